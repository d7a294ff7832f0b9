/**
 * The generated module in memory: the same IR that `derive` prints to generated/X.ts, printed as
 * plain JavaScript and instantiated (no compiler at run time), so `integrate` runs exactly the code of
 * the generated files, also for derivation files that were never written.
 */
import type { Module } from '../ir/ir.ts';
import { instantiate } from '../ir/js.ts';
import { wasmModule } from '../ir/print-wasm.ts';
import { instantiateWasm } from '../ir/wasm.ts';

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
  /** dy/dτ from moments given in the layout of `moments` */
  rhsFromMoments(t: number, y: ArrayLike<number>, params: ArrayLike<number>, mom: ArrayLike<number>, dydt: Float64Array | number[]): void;
  risk(y: ArrayLike<number>, params: ArrayLike<number>): number;
}

/**
 * How modules are compiled in process: WebAssembly (machine code from the first call, the same
 * arithmetic as the TypeScript module bit for bit) or the TypeScript printer's JavaScript
 * (`HERMODE_KERNELS=js`, for comparison).
 */
export const KERNELS: 'wasm' | 'js' = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.HERMODE_KERNELS === 'js' ? 'js' : 'wasm';

/** The module instantiated as WebAssembly, or as JavaScript where `evaluate` (its backend's preference) or HERMODE_KERNELS says so. */
export function compileModule(module: Module, evaluate: 'wasm' | 'js' = 'wasm'): GeneratedModel {
  return KERNELS === 'wasm' && evaluate === 'wasm' ? instantiateWasm<GeneratedModel>(wasmModule(module)) : instantiate<GeneratedModel>(module);
}

const REQUIRED = ['rhs', 'rhsFromMoments', 'moments', 'risk'] as const;

/** A generated/X.wasm instantiated; undefined when the bytes are not such a module. */
export function moduleFromWasm(bytes: Uint8Array): GeneratedModel | undefined {
  try {
    const m = instantiateWasm<GeneratedModel>(bytes);
    return REQUIRED.every((f) => typeof m[f] === 'function') && m.meta ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A generated TypeScript module (generated/X.ts, as the TypeScript printer writes it) instantiated
 * without a compiler: the printer puts types only in signatures and declarations, in the handful of
 * spellings removed here. Returns undefined when the text is not such a module.
 */
export function moduleFromGenerated(ts: string): GeneratedModel | undefined {
  const js = ts
    .replace(/^export /gm, '')
    .replace(/ as const;$/gm, ';')
    .replace(/: readonly (?:string|number)\[\]/g, '')
    .replace(/: (?:ArrayLike<number>|Float64Array \| number\[\]|number)(?=[,)])/g, '')
    .replace(/\): (?:number|void) \{$/gm, ') {');
  try {
    const m = new Function(`${js}\nreturn { meta, momentLayout, stateNames, paramNames, defaultParams, moments, rhs, rhsFromMoments, risk };`)() as GeneratedModel;
    return typeof m.rhs === 'function' && typeof m.rhsFromMoments === 'function' && typeof m.moments === 'function' && typeof m.risk === 'function' ? m : undefined;
  } catch {
    return undefined;
  }
}
