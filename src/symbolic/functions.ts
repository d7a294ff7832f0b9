/**
 * The table of functions a derivation may use: how each is printed as JavaScript, how it is
 * differentiated (chain rule applied by the caller) and how it is typeset. Everything the generated
 * code needs beyond `Math.*` is a helper defined here once and emitted into each generated file that
 * uses it, so generated files stay self-contained.
 */

/** Helper functions (TypeScript source, no imports) that printed code may call. */
export const HELPERS: Record<string, string> = {
  erf: `function erf(x: number): number {
  // erf by the positive series 2/√π e^{-x²} Σ 2ⁿx^{2n+1}/(2n+1)!! for |x| < 3, and the continued
  // fraction of erfc (modified Lentz) beyond: both accurate to a few ulp.
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return 1.1283791670955126 * Math.exp(-x2) * sum;
  }
  if (ax > 6.5) return x > 0 ? 1 : -1;
  // erfc(ax) = e^{-ax²}/√π · 1/(ax + (1/2)/(ax + 1/(ax + (3/2)/(ax + ...))))
  const tiny = 1e-300;
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = ax + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * 1.7724538509055160);
  return x > 0 ? 1 - erfc : erfc - 1;
}`,
  relu: `function relu(x: number): number {
  return x > 0 ? x : 0;
}`,
  step: `function step(x: number): number {
  return x > 0 ? 1 : 0;
}`,
  sigmoid: `function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}`,
  softplus: `function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}`,
};

/** Probabilists' Hermite helper He_n(x) by the three-term recurrence (exact for integer inputs). */
export function hermiteHelper(n: number): string {
  if (n === 0) return `function He0(x: number): number {\n  return 1;\n}`;
  return `function He${n}(x: number): number {
  let h0 = 1;
  let h1 = x;
  for (let k = 1; k < ${n}; k++) {
    const h2 = x * h1 - k * h0;
    h0 = h1;
    h1 = h2;
  }
  return h1;
}`;
}

export interface FunctionRule {
  arity: number;
  /** JavaScript for a call with printed arguments; may name helpers. */
  js: (args: string[]) => string;
  helpers?: string[];
  /**
   * d f(u)/du as a mathjs expression string in the placeholder `u` (one-argument functions); for
   * two-argument functions (max, min), partial derivatives in `u`, `v`.
   */
  derivative?: string | [string, string];
  /** LaTeX for a call with typeset arguments. */
  tex: (args: string[]) => string;
}

const op = (name: string) => (args: string[]) => `\\operatorname{${name}}\\left(${args.join(',')}\\right)`;
const mathFn = (name: string, d: string): FunctionRule => ({
  arity: 1,
  js: (a) => `Math.${name}(${a[0]})`,
  derivative: d,
  tex: (a) => `\\${name}\\left(${a[0]}\\right)`,
});

export const FUNCTIONS: Record<string, FunctionRule> = {
  erf: { arity: 1, js: (a) => `erf(${a[0]})`, helpers: ['erf'], derivative: '2/sqrt(pi)*exp(-u^2)', tex: op('erf') },
  erfc: { arity: 1, js: (a) => `(1 - erf(${a[0]}))`, helpers: ['erf'], derivative: '-2/sqrt(pi)*exp(-u^2)', tex: op('erfc') },
  relu: { arity: 1, js: (a) => `relu(${a[0]})`, helpers: ['relu'], derivative: 'step(u)', tex: op('ReLU') },
  step: { arity: 1, js: (a) => `step(${a[0]})`, helpers: ['step'], derivative: '0', tex: (a) => `\\Theta\\left(${a[0]}\\right)` },
  heaviside: { arity: 1, js: (a) => `step(${a[0]})`, helpers: ['step'], derivative: '0', tex: (a) => `\\Theta\\left(${a[0]}\\right)` },
  sigmoid: { arity: 1, js: (a) => `sigmoid(${a[0]})`, helpers: ['sigmoid'], derivative: 'sigmoid(u)*(1-sigmoid(u))', tex: op('sigmoid') },
  softplus: { arity: 1, js: (a) => `softplus(${a[0]})`, helpers: ['softplus'], derivative: 'sigmoid(u)', tex: op('softplus') },
  sign: { arity: 1, js: (a) => `Math.sign(${a[0]})`, derivative: '0', tex: op('sign') },
  abs: { arity: 1, js: (a) => `Math.abs(${a[0]})`, derivative: 'sign(u)', tex: (a) => `\\left|${a[0]}\\right|` },
  max: { arity: 2, js: (a) => `Math.max(${a[0]}, ${a[1]})`, derivative: ['step(u-v)', 'step(v-u)'], tex: (a) => `\\max\\left(${a.join(',')}\\right)` },
  min: { arity: 2, js: (a) => `Math.min(${a[0]}, ${a[1]})`, derivative: ['step(v-u)', 'step(u-v)'], tex: (a) => `\\min\\left(${a.join(',')}\\right)` },
  sqrt: { arity: 1, js: (a) => `Math.sqrt(${a[0]})`, derivative: '1/(2*sqrt(u))', tex: (a) => `\\sqrt{${a[0]}}` },
  cbrt: { arity: 1, js: (a) => `Math.cbrt(${a[0]})`, derivative: '1/(3*cbrt(u)^2)', tex: (a) => `\\sqrt[3]{${a[0]}}` },
  exp: { arity: 1, js: (a) => `Math.exp(${a[0]})`, derivative: 'exp(u)', tex: (a) => `e^{${a[0]}}` },
  expm1: { arity: 1, js: (a) => `Math.expm1(${a[0]})`, derivative: 'exp(u)', tex: (a) => `\\left(e^{${a[0]}}-1\\right)` },
  log: mathFn('log', '1/u'),
  log1p: { arity: 1, js: (a) => `Math.log1p(${a[0]})`, derivative: '1/(1+u)', tex: (a) => `\\log\\left(1+${a[0]}\\right)` },
  sin: mathFn('sin', 'cos(u)'),
  cos: mathFn('cos', '-sin(u)'),
  tan: mathFn('tan', '1+tan(u)^2'),
  asin: { arity: 1, js: (a) => `Math.asin(${a[0]})`, derivative: '1/sqrt(1-u^2)', tex: (a) => `\\arcsin\\left(${a[0]}\\right)` },
  acos: { arity: 1, js: (a) => `Math.acos(${a[0]})`, derivative: '-1/sqrt(1-u^2)', tex: (a) => `\\arccos\\left(${a[0]}\\right)` },
  atan: { arity: 1, js: (a) => `Math.atan(${a[0]})`, derivative: '1/(1+u^2)', tex: (a) => `\\arctan\\left(${a[0]}\\right)` },
  sinh: mathFn('sinh', 'cosh(u)'),
  cosh: mathFn('cosh', 'sinh(u)'),
  tanh: mathFn('tanh', '1-tanh(u)^2'),
  asinh: { arity: 1, js: (a) => `Math.asinh(${a[0]})`, derivative: '1/sqrt(1+u^2)', tex: op('arsinh') },
  atanh: { arity: 1, js: (a) => `Math.atanh(${a[0]})`, derivative: '1/(1-u^2)', tex: op('artanh') },
  sech: { arity: 1, js: (a) => `(1 / Math.cosh(${a[0]}))`, derivative: '-tanh(u)*sech(u)', tex: op('sech') },
  cube: { arity: 1, js: (a) => `(${a[0]}) ** 3`, derivative: '3*u^2', tex: (a) => `\\left(${a[0]}\\right)^3` },
  square: { arity: 1, js: (a) => `(${a[0]}) ** 2`, derivative: '2*u', tex: (a) => `\\left(${a[0]}\\right)^2` },
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
