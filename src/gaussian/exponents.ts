/**
 * The notes every expectation plan opens with (THEORY §3.2, §4.3): whether the student can feel the
 * target at all — the pair exponent of a single-index target against its information exponent — and a
 * multi-index target's leap index, with the staircase a student with c_2(σ) = 0 cannot climb.
 */
import type { Model } from '../hermite/model.ts';
import type { Poly } from '../symbolic/poly.ts';
import { hermiteCoefficients, quadratureCoefficients, multivariateHermite, leapIndex } from '../hermite/hermite.ts';

/**
 * THEORY §3.2 pitfalls: the drift toward a single-index committee target starts at the first k ≥ 1
 * with c_k(σ) c_k(g) ≠ 0. Warns when that pair exponent is infinite (e.g. ReLU on He3, tanh on He2)
 * or larger than the target's own information exponent.
 */
export function exponentWarnings(model: Model): string[] {
  const t = model.target;
  const order = 12;
  const sig = hermiteCoefficients(model.student, order);
  let tc: number[];
  let tAcc = 0;
  if (t.kind === 'committee') {
    const r = hermiteCoefficients(t.g, order);
    tc = r.coefficients;
    tAcc = r.accuracy;
  } else if (model.k === 1) {
    // a general single-index target g*(ν1): its own Hermite coefficients
    const f = t.f;
    tc = quadratureCoefficients((x) => f(x), order, 20);
    tAcc = 1e-12;
  } else return t.poly ? multiIndexNotes(t.poly, model.k, sig.coefficients[2], Math.max(1e-10, 10 * sig.accuracy)) : [];
  const tol = (acc: number) => Math.max(1e-10, 10 * acc);
  const ell = tc.findIndex((c, k) => k >= 1 && Math.abs(c) > tol(tAcc));
  let pair = -1;
  for (let k = 1; k <= order; k++) if (Math.abs(sig.coefficients[k]) > tol(sig.accuracy) && Math.abs(tc[k]) > tol(tAcc)) {
    pair = k;
    break;
  }
  if (ell < 0) return [];
  if (pair < 0)
    return [`warning: no k ≤ ${order} has c_k(σ) c_k(g) ≠ 0 — the student gets no drift toward the target (infinite pair exponent; the target's information exponent is ${ell})`];
  if (pair > ell)
    return [`warning: the pair exponent ${pair} exceeds the target's information exponent ${ell}: c_${ell}(σ) = 0, so the student misses the target's leading Hermite component`];
  return [];
}

/**
 * A polynomial multi-index target (THEORY §4.3): its leap index with an ordering that attains it, and a
 * warning when the student's c_2(σ) = 0 blocks a staircase — a direction with no first Hermite
 * coefficient reached through a degree-2 term with a direction that has one.
 */
function multiIndexNotes(poly: Poly, k: number, c2: number, tol: number): string[] {
  const terms = multivariateHermite(poly);
  const leap = leapIndex(terms, k);
  const name = (alpha: number[]) => alpha.map((a, r) => (a === 0 ? '' : a === 1 ? `ν${r + 1}` : `He${a}(ν${r + 1})`)).join('');
  const out = [`target leap index ${leap.leap} (THEORY §4.3), attained by the order ${leap.order.map((i) => name(terms[i].alpha)).join(' → ')}`];
  const first = Array.from({ length: k }, (_, r) => terms.some((x) => x.coefficient !== 0 && x.alpha.every((a, s) => a === (s === r ? 1 : 0))));
  const staircase = terms.some((x) => x.coefficient !== 0 && x.alpha.reduce((a, b) => a + b, 0) === 2 && x.alpha.some((a, r) => a === 1 && !first[r]) && x.alpha.some((a, r) => a === 1 && first[r]));
  if (staircase && Math.abs(c2) <= tol)
    out.push('warning: c_2(σ) = 0 blocks the staircase: a direction reached through a degree-2 term (e.g. ν1ν2) gets the drift 2c_2(σ)m from the learned one, which vanishes — use an activation with c_2 ≠ 0 (ReLU)');
  return out;
}

