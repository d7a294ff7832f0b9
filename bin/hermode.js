#!/usr/bin/env node
// hermode's command line. TypeScript sources run through tsx's loader (no build step to go stale).
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
