/**
 * Functions generated code may call that are not in every language's standard library, written once
 * as kernel source: erf and erfc (TypeScript only: C99 and Python have them), the Hermite polynomials
 * He_n, and the piecewise and logistic activations. Printers include the ones a module calls.
 */
import { callsIn, type Fn } from './ir.ts';
import { parseKernel } from './parse.ts';

/**
 * erf by the positive series 2/√π e^{-x²} Σ 2ⁿx^{2n+1}/(2n+1)!! for |x| < 2, and erfc by its
 * continued fraction (modified Lentz) beyond, so erfc keeps its relative accuracy far into the tail
 * instead of being computed as 1 − erf.
 */
export const ERF_SOURCE = `
function erfcTail(ax: f64): f64 {
  // erfc(ax) = e^{-ax²}/√π · 1/(ax + (1/2)/(ax + 1/(ax + (3/2)/(ax + ...)))), ax ≥ 2
  let f = ax;
  let c = ax;
  let d = 0.0;
  for (let n = 1; n < 300; n++) {
    let an = n * 0.5;
    d = ax + an * d;
    d = abs(d) < 1e-300 ? 1e-300 : d;
    c = ax + an / c;
    c = abs(c) < 1e-300 ? 1e-300 : c;
    d = 1.0 / d;
    let delta = c * d;
    f = f * delta;
    if (abs(delta - 1.0) < 1e-16) break;
  }
  return exp(-ax * ax) / (f * 1.7724538509055160);
}
function erf(x: f64): f64 {
  let ax = abs(x);
  if (ax < 2.0) {
    let x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term = term * (2.0 * x2) / (2 * n + 1);
      sum = sum + term;
      if (abs(term) < 1e-17 * abs(sum)) break;
    }
    return 1.1283791670955126 * exp(-x2) * sum;
  }
  if (ax > 6.5) return x > 0.0 ? 1.0 : -1.0;
  let tail = erfcTail(ax);
  return x > 0.0 ? 1.0 - tail : tail - 1.0;
}
function erfc(x: f64): f64 {
  if (x < 2.0) return 1.0 - erf(x);
  return erfcTail(x);
}
`;

/** Activations with kinks or guards, the same in every language (x = 0 belongs to the lower branch). */
export const ACTIVATION_SOURCE = `
function relu(x: f64): f64 {
  return x > 0.0 ? x : 0.0;
}
function step(x: f64): f64 {
  return x > 0.0 ? 1.0 : 0.0;
}
function sigmoid(x: f64): f64 {
  return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}
function softplus(x: f64): f64 {
  return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
}
`;

/** Probabilists' Hermite polynomial He_n(x) by the three-term recurrence. */
export function hermiteSource(n: number): string {
  if (n === 0) return `function He0(x: f64): f64 {\n  return 1.0;\n}`;
  return `function He${n}(x: f64): f64 {
  let h0 = 1.0;
  let h1 = x;
  for (let k = 1; k < ${n}; k++) {
    let h2 = x * h1 - k * h0;
    h0 = h1;
    h1 = h2;
  }
  return h1;
}`;
}

const parsed = new Map<string, Fn>();
function load(src: string): void {
  for (const f of parseKernel(src)) parsed.set(f.name, f);
}
load(ERF_SOURCE);
load(ACTIVATION_SOURCE);

/** The runtime function `name` (He0..He30, relu, step, sigmoid, softplus, erf, erfc, erfcTail). */
export function runtimeFunction(name: string): Fn | undefined {
  const he = /^He(\d+)$/.exec(name);
  if (he && !parsed.has(name)) load(hermiteSource(Number(he[1])));
  return parsed.get(name);
}

/**
 * `fns` with every runtime function they call (transitively) added before them, except the names a
 * language provides itself (`provided`, e.g. erf in C and Python).
 */
export function withRuntime(fns: Fn[], provided: (name: string) => boolean): Fn[] {
  const have = new Set(fns.map((f) => f.name));
  const out: Fn[] = [];
  const visit = (f: Fn) => {
    for (const name of callsIn(f.body)) {
      if (have.has(name) || provided(name)) continue;
      const r = runtimeFunction(name);
      if (!r) continue;
      have.add(name);
      visit(r);
      out.push(r);
    }
  };
  fns.forEach(visit);
  return [...out, ...fns];
}
