/**
 * In-process evaluation of IR: the module (or a few functions) printed as plain JavaScript by the
 * TypeScript printer without types and instantiated with `new Function` — the same code the
 * generated .ts file holds, with no TypeScript compiler at run time.
 */
import type { Expr, Fn, Module } from './ir.ts';
import { TsPrinter } from './print-ts.ts';

/** Instantiates a module; returns its records, name tables and exported functions. */
export function instantiate<T>(m: Module): T {
  return new Function(new TsPrinter(false).module(m))() as T;
}

/** A JavaScript function of `vars` evaluating `body` (runtime functions such as erf included). */
export function compileExpr(body: Expr, vars: readonly string[]): (...args: number[]) => number {
  const fn: Fn = { name: 'f', params: vars.map((name) => ({ name, type: 'f64' })), ret: 'f64', body: [{ k: 'return', value: body }], exported: true };
  const mod = instantiate<{ f: (...args: number[]) => number }>({
    header: [],
    prefix: 'f',
    stateNames: [],
    paramNames: [],
    defaultParams: [],
    sizes: {},
    records: {},
    constants: [],
    functions: [fn],
  });
  return mod.f;
}
