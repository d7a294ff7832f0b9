// Types of scripts/playground.mjs for the tests and the benchmark that build and serve the page.
import type { Server } from 'node:http';
export function buildPlayground(): Promise<{ dir: string; pageBytes: number; workerBytes: number; ms: number }>;
export function servePlayground(port: number): Promise<Server>;
