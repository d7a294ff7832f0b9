/**
 * Functions generated code may call that are not in every language's standard library, written once
 * as kernel source: erf and erfc (TypeScript only: C99 and Python have them), the Hermite polynomials
 * He_n, and the piecewise and logistic activations. Printers include the ones a module calls.
 */
import { callsIn, type Fn } from './ir.ts';
import { parseKernel } from './parse.ts';

/**
 * erf and erfc to round-off (worst relative error ~2e-16 against a 50-digit evaluation, measured over
 * each piece): erf(x) = x·P(x²) for |x| ≤ 1 and erfc(x) = e^{-x²}·H(x) for 1 ≤ x < 6, P and H
 * Chebyshev interpolants (degrees 11–15, one per unit interval, as polynomials in a variable on
 * [−1, 1]), with e^{-x²} split so that x² is not rounded; beyond 6 erf is ±1 in double precision and erfc is its continued fraction, so erfc keeps
 * its relative accuracy far into the tail instead of being computed as 1 − erf.
 */
export const ERF_SOURCE = `
function erfcTail(ax: f64): f64 {
  // erfc(ax) = e^{-ax²}/√π · 1/(ax + (1/2)/(ax + 1/(ax + (3/2)/(ax + ...)))), ax ≥ 6
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
  return expNegSquare(ax) / (f * 1.7724538509055160);
}
function expNegSquare(x: f64): f64 {
  // e^{-x²} without the rounding of x² (whose relative error would be x² times larger in the result):
  // x = xh + xl with xh on a 2⁻¹⁶ grid, so xh² is exact
  let xh = floor(x * 65536.0) / 65536.0;
  let xl = x - xh;
  return exp(-xh * xh) * exp(-xl * (x + xh));
}
function erfSmall(x2: f64): f64 {
  // erf(x)/x as a polynomial in t = 2x² − 1 on 0 ≤ x ≤ 1
  let t = 2.0 * x2 - 1.0;
  return 0.96546873866986727 + t * (-0.14053608902271711 + t * (0.019852496688984218 + t * (-0.0022854855611440855 + t * (0.00021751715603563488 + t * (-1.7537169441280198e-5 + t * (1.2233827638093572e-6 + t * (-7.51156925108609e-8 + t * (4.1157515002658853e-9 + t * (-2.035231956483527e-10 + t * (9.2112501874282304e-12 + t * (-3.8065912241221399e-13)))))))))));
}
function erfcScaled(ax: f64): f64 {
  // e^{x²} erfc(x) on 1 ≤ x < 6, a polynomial in t = 2x − (2c + 1) on each [c, c + 1]
  if (ax < 2.0) {
    let t = 2.0 * ax - 3.0;
    return 0.32158541645431749 + t * (-0.081811458866280037 + t * (0.019037759963870138 + t * (-0.0041163631624454335 + t * (0.00083608380955017716 + t * (-0.00016081117337237463 + t * (2.9470857585360663e-5 + t * (-5.1713286610780723e-6 + t * (8.7230395357968843e-7 + t * (-1.4191188983511488e-7 + t * (2.2329527918697295e-8 + t * (-3.4059012963400902e-9 + t * (5.033420569164749e-10 + t * (-7.2595194994513129e-11 + t * (1.1009642121793461e-11 + t * (-1.5053845831299624e-12)))))))))))))));
  }
  if (ax < 3.0) {
    let t = 2.0 * ax - 5.0;
    return 0.21080636406114359 + t * (-0.037173673394897362 + t * (0.0062344992716642286 + t * (-0.0010001961727617342 + t * (0.0001541898009812305 + t * (-2.2924716796030181e-5 + t * (3.2971847556287464e-6 + t * (-4.5991373707582856e-7 + t * (6.2350983189848067e-8 + t * (-8.2311677340656004e-9 + t * (1.0598014640676434e-9 + t * (-1.3312005000928675e-10 + t * (1.6373756812732731e-11 + t * (-2.0779093341885258e-12 + t * (2.4476738244522083e-13))))))))))))));
  }
  if (ax < 4.0) {
    let t = 2.0 * ax - 7.0;
    return 0.1552936556088943 + t * (-0.020661788916626248 + t * (0.0026652832981275275 + t * (-0.0003341343049554451 + t * (4.0792895431792419e-5 + t * (-4.8584036947778092e-6 + t * (5.6533911949015101e-7 + t * (-6.4359268902431384e-8 + t * (7.1765468613511529e-9 + t * (-7.8465118348846017e-10 + t * (8.4152412921896539e-11 + t * (-8.870653911274375e-12 + t * (9.5328613963529007e-13 + t * (-9.7071251948318439e-14)))))))))))));
  }
  if (ax < 5.0) {
    let t = 2.0 * ax - 9.0;
    return 0.12248480427384142 + t * (-0.013007964315469885 + t * (0.0013532813586530595 + t * (-0.00013807201459935459 + t * (1.3829153408120458e-5 + t * (-1.3609633875864007e-6 + t * (1.3170690577789783e-7 + t * (-1.2542962691836786e-8 + t * (1.1762762943197043e-9 + t * (-1.0866427778527263e-10 + t * (9.8994606363098893e-12 + t * (-9.1258389553689749e-13 + t * (8.087761971856725e-14))))))))))));
  }
  let t = 2.0 * ax - 11.0;
  return 0.10096221839949908 + t * (-0.0088973823505113011 + t * (0.00077275313596902992 + t * (-6.618297580930647e-5 + t * (5.5925502543897315e-6 + t * (-4.6649229646996766e-7 + t * (3.8427932933031458e-8 + t * (-3.1275169267948498e-9 + t * (2.5154544635699553e-10 + t * (-2.0006447166117604e-11 + t * (1.6026030336933598e-12 + t * (-1.2468391975795385e-13)))))))))));
}
function erf(x: f64): f64 {
  let ax = abs(x);
  if (ax <= 1.0) return x * erfSmall(x * x);
  if (ax >= 6.0) return x > 0.0 ? 1.0 : -1.0;
  let tail = exp(-ax * ax) * erfcScaled(ax);
  return x > 0.0 ? 1.0 - tail : tail - 1.0;
}
function erfc(x: f64): f64 {
  if (x < 1.0) return 1.0 - erf(x);
  if (x < 6.0) return expNegSquare(x) * erfcScaled(x);
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

/** The runtime function `name` (He0..He30, relu, step, sigmoid, softplus, erf, erfc and their pieces). */
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
