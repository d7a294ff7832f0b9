/**
 * The table of functions a derivation may use: the call each becomes in hermode's language-neutral
 * code (src/ir; functions a language lacks come from src/ir/runtime.ts), how it is differentiated
 * (chain rule applied by the caller) and how it is typeset.
 */
import type { Expr as IrExpr } from '../ir/ir.ts';

export interface FunctionRule {
  arity: number;
  /** The call in hermode's language-neutral code (src/ir): a known function or a runtime one. */
  ir: (args: IrExpr[]) => IrExpr;
  /**
   * d f(u)/du as a mathjs expression string in the placeholder `u` (one-argument functions); for
   * two-argument functions (max, min), partial derivatives in `u`, `v`.
   */
  derivative?: string | [string, string];
  /** LaTeX for a call with typeset arguments. */
  tex: (args: string[]) => string;
}

const op = (name: string) => (args: string[]) => `\\operatorname{${name}}\\left(${args.join(',')}\\right)`;
const callOf = (name: string) => (a: IrExpr[]): IrExpr => ({ k: 'call', fn: name, args: a });
const mathFn = (name: string, d: string): FunctionRule => ({
  arity: 1,
  ir: callOf(name),
  derivative: d,
  tex: (a) => `\\${name}\\left(${a[0]}\\right)`,
});

export const FUNCTIONS: Record<string, FunctionRule> = {
  erf: { arity: 1, ir: callOf('erf'), derivative: '2/sqrt(pi)*exp(-u^2)', tex: op('erf') },
  erfc: { arity: 1, ir: callOf('erfc'), derivative: '-2/sqrt(pi)*exp(-u^2)', tex: op('erfc') },
  relu: { arity: 1, ir: callOf('relu'), derivative: 'step(u)', tex: op('ReLU') },
  step: { arity: 1, ir: callOf('step'), derivative: '0', tex: (a) => `\\Theta\\left(${a[0]}\\right)` },
  heaviside: { arity: 1, ir: callOf('step'), derivative: '0', tex: (a) => `\\Theta\\left(${a[0]}\\right)` },
  sigmoid: { arity: 1, ir: callOf('sigmoid'), derivative: 'sigmoid(u)*(1-sigmoid(u))', tex: op('sigmoid') },
  softplus: { arity: 1, ir: callOf('softplus'), derivative: 'sigmoid(u)', tex: op('softplus') },
  sign: { arity: 1, ir: callOf('sign'), derivative: '0', tex: op('sign') },
  floor: { arity: 1, ir: callOf('floor'), derivative: '0', tex: (a) => `\\left\\lfloor ${a[0]}\\right\\rfloor` },
  ceil: { arity: 1, ir: callOf('ceil'), derivative: '0', tex: (a) => `\\left\\lceil ${a[0]}\\right\\rceil` },
  abs: { arity: 1, ir: callOf('abs'), derivative: 'sign(u)', tex: (a) => `\\left|${a[0]}\\right|` },
  max: { arity: 2, ir: callOf('max'), derivative: ['step(u-v)', 'step(v-u)'], tex: (a) => `\\max\\left(${a.join(',')}\\right)` },
  min: { arity: 2, ir: callOf('min'), derivative: ['step(v-u)', 'step(u-v)'], tex: (a) => `\\min\\left(${a.join(',')}\\right)` },
  sqrt: { arity: 1, ir: callOf('sqrt'), derivative: '1/(2*sqrt(u))', tex: (a) => `\\sqrt{${a[0]}}` },
  cbrt: { arity: 1, ir: callOf('cbrt'), derivative: '1/(3*cbrt(u)^2)', tex: (a) => `\\sqrt[3]{${a[0]}}` },
  exp: { arity: 1, ir: callOf('exp'), derivative: 'exp(u)', tex: (a) => `e^{${a[0]}}` },
  expm1: { arity: 1, ir: callOf('expm1'), derivative: 'exp(u)', tex: (a) => `\\left(e^{${a[0]}}-1\\right)` },
  log: mathFn('log', '1/u'),
  log1p: { arity: 1, ir: callOf('log1p'), derivative: '1/(1+u)', tex: (a) => `\\log\\left(1+${a[0]}\\right)` },
  sin: mathFn('sin', 'cos(u)'),
  cos: mathFn('cos', '-sin(u)'),
  tan: mathFn('tan', '1+tan(u)^2'),
  asin: { arity: 1, ir: callOf('asin'), derivative: '1/sqrt(1-u^2)', tex: (a) => `\\arcsin\\left(${a[0]}\\right)` },
  acos: { arity: 1, ir: callOf('acos'), derivative: '-1/sqrt(1-u^2)', tex: (a) => `\\arccos\\left(${a[0]}\\right)` },
  atan: { arity: 1, ir: callOf('atan'), derivative: '1/(1+u^2)', tex: (a) => `\\arctan\\left(${a[0]}\\right)` },
  sinh: mathFn('sinh', 'cosh(u)'),
  cosh: mathFn('cosh', 'sinh(u)'),
  tanh: mathFn('tanh', '1-tanh(u)^2'),
  asinh: { arity: 1, ir: callOf('asinh'), derivative: '1/sqrt(1+u^2)', tex: op('arsinh') },
  atanh: { arity: 1, ir: callOf('atanh'), derivative: '1/(1-u^2)', tex: op('artanh') },
  sech: { arity: 1, ir: (a) => ({ k: 'bin', op: '/', a: { k: 'num', v: 1 }, b: { k: 'call', fn: 'cosh', args: a } }), derivative: '-tanh(u)*sech(u)', tex: op('sech') },
  cube: { arity: 1, ir: (a) => ({ k: 'pow', a: a[0], n: 3 }), derivative: '3*u^2', tex: (a) => `\\left(${a[0]}\\right)^3` },
  square: { arity: 1, ir: (a) => ({ k: 'pow', a: a[0], n: 2 }), derivative: '2*u', tex: (a) => `\\left(${a[0]}\\right)^2` },
};

export const MAX_HERMITE = 30;

/** `HeN` for 0 ≤ N ≤ 30 → N. */
export function hermiteIndex(name: string): number | undefined {
  const m = /^He(\d{1,2})$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= MAX_HERMITE ? n : undefined;
}

export function knownFunctionNames(): string[] {
  return [...Object.keys(FUNCTIONS), 'He0..He30'];
}
