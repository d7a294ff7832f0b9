/** odex, loaded by require and typed by types/odex.d.ts. */
import { createRequire } from 'node:module';
import type { OdexModule } from '../../types/odex.d.ts';

const odex = createRequire(import.meta.url)('odex') as OdexModule;
export const Solver = odex.Solver;
export const Outcome = odex.Outcome;
