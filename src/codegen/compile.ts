/**
 * Compiles generated TypeScript in memory (esbuild strips the types; the code has no imports), so
 * `integrate` runs exactly the code that `derive` writes to generated/X.ts, also for derivation
 * files that were never written.
 */
import { transformSync } from 'esbuild';

export interface GeneratedModel {
  meta: {
    name: string;
    source: string;
    specHash: string;
    convention: string;
    timeUnit: string;
    p: number;
    k: number;
    loss: string;
    dynamics: string;
    trainSecondLayer: boolean;
    backend: string;
    expectations: string;
  };
  stateNames: readonly string[];
  paramNames: readonly string[];
  defaultParams: readonly number[];
  momentLayout: { A: number; B: number; V: number; S: number; risk: number; size: number };
  moments(y: ArrayLike<number>, params: ArrayLike<number>, out: Float64Array): void;
  rhs(t: number, y: ArrayLike<number>, params: ArrayLike<number>, dydt: Float64Array | number[]): void;
  risk(y: ArrayLike<number>, params: ArrayLike<number>): number;
}

export function compileModule(tsSource: string): GeneratedModel {
  const js = transformSync(tsSource, { loader: 'ts', format: 'cjs', target: 'es2022' }).code;
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', js)(module, module.exports);
  return module.exports as unknown as GeneratedModel;
}
