/**
 * Kernels every backend shares, below the backends themselves: Ω = [[Q, M], [Mᵀ, P]] from (y, params),
 * σ and σ′ as module functions, the symmetric square root a Gaussian rule maps its nodes through, the
 * Gauss–Hermite tables, and the function of a template that is a polynomial in its covariance entries
 * (equal polynomials share one function).
 */
import type { Model } from '../hermite/model.ts';
import type { Template, TemplateImpl } from '../gaussian/plan.ts';
import { qIndex, pIndex, type Layout } from '../ode/layout.ts';
import { add, idx, int, mul, num, rat, v, type Const, type Expr, type Fn, type Stmt } from '../ir/ir.ts';
import { gaussHermite } from '../quadrature.ts';
import { polyToStatements } from '../ir/polyprint.ts';
import { covNames } from '../gaussian/wick.ts';
import type { Poly } from '../symbolic/poly.ts';
import { piecewiseOf } from '../hermite/piecewise.ts';
import { residualWeight } from '../loss/index.ts';

/** Ω (n×n, row-major) from the state y and the parameters (P). */
export function omegaFunction(L: Layout, p: number, k: number): Fn {
  const n = p + k;
  const body: Stmt[] = [];
  const set = (i: number, j: number, value: Expr) => {
    body.push({ k: 'store', arr: 'O', i: int(i * n + j), op: '=', value });
    if (i !== j) body.push({ k: 'store', arr: 'O', i: int(j * n + i), op: '=', value });
  };
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) set(j, l, idx('y', L.Q + qIndex(p, j, l)));
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) set(j, p + r, idx('y', L.M + j * k + r));
  for (let r = 0; r < k; r++) for (let t = r; t < k; t++) set(p + r, p + t, idx('params', L.P + pIndex(k, r, t)));
  return {
    name: 'omega',
    params: [{ name: 'y', type: 'f64[]' }, { name: 'params', type: 'f64[]' }, { name: 'O', type: 'f64[]', out: true }],
    ret: 'void',
    body,
    doc: `Ω = [[Q, M], [Mᵀ, P]] (${n}×${n}, row-major), the covariance of the local fields (λ_1..λ_p, ν_1..ν_k).`,
  };
}

/** σ and σ′ as functions of the module (what quadrature evaluates at its nodes). */
export function studentFunctions(model: Model): Fn[] {
  const x = v('x');
  return [
    { name: 'sigma', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: model.student.expr.toIr({ z: x }) }], doc: `σ(x) = ${model.student.expr.text}` },
    { name: 'dsigma', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: model.student.dexpr.toIr({ z: x }) }], doc: 'σ′(x)' },
  ];
}

/** `name(QU)`: the noiseless label g*(ν) at the fields QU = (λ, ν) — a committee's (1/k)Σ_r w_r g(ν_r) or a general target. */
export function targetFunction(model: Model, name = 'target'): Fn {
  const { p, k } = model;
  const t = model.target;
  const target: Expr =
    t.kind === 'committee'
      ? t.weights.map((w, r) => mul(rat(1, k), mul(num(w), t.g.expr.toIr({ z: idx('QU', p + r) })))).reduce((a, b) => add(a, b))
      : t.expr.toIr(Object.fromEntries(Array.from({ length: k }, (_, r) => [`nu${r + 1}`, idx('QU', p + r)])));
  return { name, params: [{ name: 'QU', type: 'f64[]' }], ret: 'f64', body: [{ k: 'return', value: target }], doc: 'the noiseless label g*(ν) at the fields QU = (λ, ν)' };
}

/** The N-point Gauss–Hermite nodes and log-weights as constants `<prefix>_X`, `<prefix>_LOGW`; returns the log-weights. */
export function gaussHermiteTables(N: number, prefix: string, consts: Map<string, Const>, logwDoc: string): number[] {
  const gh = gaussHermite(N);
  const logw = Array.from(gh.w, (w) => Math.log(w));
  if (!consts.has(`${prefix}_X`)) {
    consts.set(`${prefix}_X`, { name: `${prefix}_X`, type: 'f64', values: [...gh.x], doc: `Gauss–Hermite nodes for N(0, 1), ${N} points` });
    consts.set(`${prefix}_LOGW`, { name: `${prefix}_LOGW`, type: 'f64', values: logw, doc: logwDoc });
  }
  return logw;
}

/** L = V diag(√max(λ, 0)) for a symmetric n×n A = V diag(λ) Vᵀ (cyclic Jacobi), so that L Lᵀ = A. */
export function symSqrtSource(n: number, name = 'symSqrt'): string {
  return `
function ${name}(A: f64[], outL: f64[]): void {
  let JW: f64[${n * n}];
  let JV: f64[${n * n}];
  for (let i = 0; i < ${n * n}; i++) {
    JW[i] = A[i];
    JV[i] = 0.0;
  }
  for (let i = 0; i < ${n}; i++) JV[i * ${n} + i] = 1.0;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0.0;
    for (let i = 0; i < ${n}; i++) {
      for (let j = i + 1; j < ${n}; j++) off += JW[i * ${n} + j] * JW[i * ${n} + j];
    }
    if (off < 1e-30) break;
    for (let p = 0; p < ${n}; p++) {
      for (let q = p + 1; q < ${n}; q++) {
        let apq = JW[p * ${n} + q];
        if (abs(apq) < 1e-300) continue;
        let theta = (JW[q * ${n} + q] - JW[p * ${n} + p]) / (2.0 * apq);
        let t = (theta < 0.0 ? -1.0 : 1.0) / (abs(theta) + sqrt(theta * theta + 1.0));
        let c = 1.0 / sqrt(t * t + 1.0);
        let s = t * c;
        for (let r = 0; r < ${n}; r++) {
          let arp = JW[r * ${n} + p];
          let arq = JW[r * ${n} + q];
          JW[r * ${n} + p] = c * arp - s * arq;
          JW[r * ${n} + q] = s * arp + c * arq;
        }
        for (let r = 0; r < ${n}; r++) {
          let apr = JW[p * ${n} + r];
          let aqr = JW[q * ${n} + r];
          JW[p * ${n} + r] = c * apr - s * aqr;
          JW[q * ${n} + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < ${n}; r++) {
          let vrp = JV[r * ${n} + p];
          let vrq = JV[r * ${n} + q];
          JV[r * ${n} + p] = c * vrp - s * vrq;
          JV[r * ${n} + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  for (let m = 0; m < ${n}; m++) {
    let lam = JW[m * ${n} + m];
    let rt = lam > 0.0 ? sqrt(lam) : 0.0;
    for (let i = 0; i < ${n}; i++) outL[i * ${n} + m] = JV[i * ${n} + m] * rt;
  }
}`;
}

/** A template that is a polynomial in its covariance entries (Wick; the kinkless templates of exact). */
export interface PolyImpl extends TemplateImpl {
  kind: 'poly';
  poly: Poly;
}

/** A template evaluated by a polynomial in its covariance entries. */
export const polyTemplate = (name: string, slots: number, tex: string, poly: Poly): Template => ({ name, slots, tex, impl: { kind: 'poly', poly } as PolyImpl, poly });

/**
 * The functions of templates given by polynomials — `poly(t)` with `symbols(t)`, the key of what its
 * variables stand for — one function per distinct (slots, symbols, polynomial); later equal templates
 * are aliased to the first.
 */
export function sharedPolyFunctions(templates: Template[], define: (t: Template) => { fn: Fn; key: string } | undefined): { fns: Fn[]; alias: Map<string, string> } {
  const seen = new Map<string, string>();
  const alias = new Map<string, string>();
  const fns: Fn[] = [];
  for (const t of templates) {
    const d = define(t);
    if (!d) continue;
    const first = seen.get(d.key);
    if (first) alias.set(t.name, first);
    else {
      seen.set(d.key, t.name);
      fns.push(d.fn);
    }
  }
  return { fns, alias };
}

/** The sharing key of a polynomial over a template's slots (with the key of what its variables stand for). */
export const polyKey = (slots: number, symbols: string, poly: Poly): string => `${slots}:${symbols}:${JSON.stringify(poly.terms().map((x) => [x.exps, x.c.toNumber()]))}`;

/** The function of a polynomial template: the polynomial in its covariance entries by Horner. */
export function polyFunction(t: Template, poly: Poly, doc = plainTex(t.tex)): Fn {
  const args = covNames(t.slots);
  const { stmts, value } = polyToStatements(poly, args.map(v));
  return { name: t.name, params: args.map((name) => ({ name, type: 'f64' as const })), ret: 'f64', body: [...stmts, { k: 'return', value }], doc };
}

/** A template's LaTeX definition as plain text for a code comment. */
export function plainTex(s: string): string {
  return s.replace(/\\mathbb\{E\}/g, 'E').replace(/\\,/g, ' ').replace(/\\sigma/g, 'σ').replace(/\\nu/g, 'ν').replace(/\^\*/g, '*').replace(/\\/g, '');
}

/** A double as a literal of the kernel language (an integral value keeps its decimal point). */
export function f64Literal(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

export function factorialNum(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

/** ‖σ − σ_K‖² in L²(N(0,1)) from Hermite coefficients c_n (probabilists', ‖He_n‖² = n!) beyond order K. */
export function hermiteTail(coefficients: number[], K: number): number {
  return coefficients.slice(K + 1).reduce((acc, c, i) => acc + c * c * factorialNum(i + K + 1), 0);
}

/**
 * Whether the exact kinked evaluator applies (THEORY §3.5): a continuous piecewise-polynomial student
 * (kink at 0), and a committee teacher that is piecewise polynomial (jumps allowed) or a polynomial
 * general target — and not both polynomial (that is Wick's case).
 */
export function kinkedExactApplies(model: Model): boolean {
  const t = model.target;
  const pw = piecewiseOf(model.student);
  const polynomial = model.student.family.kind === 'polynomial' && (t.kind === 'committee' ? t.g.family.kind === 'polynomial' : !!t.poly);
  return !!pw && pw.continuous && (t.kind === 'committee' ? !!piecewiseOf(t.g) : !!t.poly) && !polynomial;
}

/**
 * Kernel source accumulating one node of a whole-field rule into the moments: given its weight `w`,
 * the fields QU = (λ, ν), SIG/DSIG = σ, σ′ at λ, f = the student's output and yv = the label, it adds
 * to ε (`eps`), A, B, V (upper triangle), S in `out` — with `momentsFinishSource` after the last node.
 */
export function nodeMomentsSource(model: Model, L: Layout): string {
  const { p, k } = model;
  const rw = residualWeight(model);
  const { A, B, V, S } = L.mom;
  return `
      let d = yv - f;
      let e = ${rw === 1 ? 'd' : rw === 0 ? 'yv' : `yv - ${f64Literal(rw)} * f`};
      eps += w * 0.5 * d * d;
      for (let j = 0; j < ${p}; j++) {
        let we = w * DSIG[j] * e;
        for (let r = 0; r < ${k}; r++) out[${A} + j * ${k} + r] += we * QU[${p} + r];
        for (let l = 0; l < ${p}; l++) out[${B} + j * ${p} + l] += we * QU[l];
        let wv = w * DSIG[j] * (e * e + Delta);
        for (let l = j; l < ${p}; l++) out[${V} + j * ${p} + l] += wv * DSIG[l];
        out[${S} + j] += w * SIG[j] * e;
      }`;
}

/** After the last node: V's lower triangle from its upper one, and the risk ε + Δ/2. */
export function momentsFinishSource(model: Model, L: Layout): string {
  const { p } = model;
  return `
  for (let j = 0; j < ${p}; j++) {
    for (let l = 0; l < j; l++) out[${L.mom.V} + j * ${p} + l] = out[${L.mom.V} + l * ${p} + j];
  }
  out[${L.mom.risk}] = eps + 0.5 * Delta;`;
}
