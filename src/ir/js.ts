/**
 * In-process evaluation of IR: the module (or a few functions) printed as plain JavaScript by the
 * TypeScript printer without types and instantiated with `new Function` — the same code the
 * generated .ts file holds, with no TypeScript compiler at run time.
 */
import type { Expr, Fn, Module, Param } from './ir.ts';
import { TsPrinter } from './print-ts.ts';

/** Instantiates a module; returns its records, name tables and exported functions. */
export function instantiate<T>(m: Module): T {
  return new Function(new TsPrinter(false).module(m))() as T;
}

/** A module exporting one function `f(params…) = value` (runtime functions such as erf included). */
function oneFunction(params: Param[], value: Expr): Module {
  const f: Fn = { name: 'f', params, ret: 'f64', body: [{ k: 'return', value }], exported: true };
  return { header: [], prefix: 'f', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [], functions: [f] };
}

/** A JavaScript function of `vars` evaluating `body`. */
export function compileExpr(body: Expr, vars: readonly string[]): (...args: number[]) => number {
  return instantiate<{ f: (...args: number[]) => number }>(oneFunction(vars.map((name) => ({ name, type: 'f64' })), body)).f;
}

/** Source of an expression `(function () { … })().f` of one parameter, for code compiled elsewhere (worker threads). */
export function functionSource(param: Param, body: Expr): string {
  return `(function () {\n${new TsPrinter(false).module(oneFunction([param], body))}})().f`;
}

const sourceCache = new Map<string, unknown>();

/** Compiles a function source once per thread (activations, targets, schedules, the generated risk). */
export function compileSource<T>(src: string): T {
  let f = sourceCache.get(src);
  if (!f) sourceCache.set(src, (f = new Function(`return (${src});`)()));
  return f as T;
}
