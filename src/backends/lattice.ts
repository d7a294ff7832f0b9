/**
 * `lattice[:N]`: wide committees with smooth activations (THEORY §3.6). A, B, S and ε from pair
 * integrals E[f(x_i) h(x_m)] by the trapezoidal rule (the three-field drift reduced to pairs by
 * Stein's lemma, E[σ′(x_j) x_i h(x_m)] = Ω_ij E[σ″(x_j) h(x_m)] + Ω_im E[σ′(x_j) h′(x_m)]), and the
 * four-field part of V, E[σ′(λ_j)σ′(λ_l)e²], by a randomly shifted rank-1 lattice with N points over
 * all fields. `auto` takes it for a smooth committee beyond the whole-field quadrature budget.
 */
import type { Model } from '../hermite/model.ts';
import { modelHasKink, type ExpectationPlan } from '../gaussian/plan.ts';
import { latticeRule, trapezoidStep, TRAPEZOID_HALF_WIDTH } from '../gaussian/lattice.ts';
import { call, int, v, type Fn } from '../ir/ir.ts';
import { parseKernel } from '../ir/parse.ts';
import { usageError, internal, type ErrorWhere } from '../errors.ts';
import { maxAbsOf, maxOf } from '../extrema.ts';
import { residualWeight } from '../loss/index.ts';
import { f64Literal, studentFunctions } from './support.ts';
import { QUADRATURE_BUDGET, wholeFieldCost } from './tensor.ts';
import type { AccuracyContext, BackendDef, KernelContext, Kernels } from './types.ts';

/** Default points of the `lattice` backend's rule for the variance term. */
export const LATTICE_POINTS = 16384;

export const latticeBackend: BackendDef = {
  name: 'lattice',
  // every lattice point evaluates the activations (tanh, exp, log): as WebAssembly 3.2× slower than as JavaScript (tanh on tanh, p = k = 2, 1024 points: 166 against 536 evaluations/s)
  evaluate: 'js',
  argument: { required: false, meta: 'N' },
  summary: `pair integrals and an N-point shifted lattice for the variance term (smooth committees; N a power of two, default ${LATTICE_POINTS})`,
  plan: (model, points, where) => latticePlan(model, points ?? LATTICE_POINTS, where),
  auto: (model, where) => (wholeFieldCost(model) > QUADRATURE_BUDGET && latticeApplies(model) === undefined ? latticePlan(model, LATTICE_POINTS, where) : undefined),
  kernels: latticeFunctions,
  tex: {
    whole: {
      text: 'With e = Σ_m c_m h_m(x_m) over the fields x = (λ, ν) (h = σ for a student, g for a teacher), Stein’s lemma reduces the drift to integrals over pairs of fields, which the code evaluates by the trapezoidal rule; the four-field part of V remains an integral over all fields, evaluated on a shifted lattice:',
      eqs: [String.raw`\mathbb{E}[\sigma'(x_j)\,x_i\,e] = \Omega_{ij}\sum_m c_m\,\mathbb{E}[\sigma''(x_j)\,h_m(x_m)] + \sum_m c_m\,\Omega_{im}\,\mathbb{E}[\sigma'(x_j)\,h_m'(x_m)]`],
    },
  },
  accuracy: latticeAccuracyNotes,
};


/** Why the `lattice` backend does not apply to a model (undefined when it does). */
export function latticeApplies(model: Model): string | undefined {
  const t = model.target;
  if (t.kind !== 'committee') return 'lattice needs a committee target (a general target g*(ν) couples all k teacher fields in every pair)';
  if (modelHasKink(model)) return 'lattice needs smooth activations: this model has a kink (use exact or quadrature:N)';
  return undefined;
}

/**
 * The `lattice` backend (THEORY §3.6): A, B, S and ε from pair integrals E[f(x_i) h(x_m)] by the
 * trapezoidal rule (the three-field drift reduced to pairs by Stein's lemma,
 * E[σ′(x_j) x_i h(x_m)] = Ω_ij E[σ″(x_j) h(x_m)] + Ω_im E[σ′(x_j) h′(x_m)]), and the four-field part of
 * V, E[σ′(λ_j)σ′(λ_l)e²], by a randomly shifted rank-1 lattice with `points` points over all fields.
 */
function latticePlan(model: Model, points: number, where: ErrorWhere, shiftSeed = 1): ExpectationPlan {
  const why = latticeApplies(model);
  if (why) throw usageError(why, where);
  if (!Number.isInteger(points) || points < 1024 || points > 2 ** 22 || !Number.isInteger(Math.log2(points)))
    throw usageError('lattice points must be a power of two between 1024 and 4194304 (e.g. lattice:65536)', where);
  const t = model.target as Extract<Model['target'], { kind: 'committee' }>;
  const d2 = model.student.dexpr.derivative('z').compile();
  const dg = t.g.dexpr.compile();
  const fns = [model.student.f, model.student.df, (x: number) => d2(x), t.g.f, (x: number) => dg(x)];
  const step = trapezoidStep(fns);
  if (step === undefined)
    throw usageError('lattice: the trapezoidal rule does not converge for these activations down to step 0.05 (not smooth enough); use quadrature:N', where);
  const n = model.p + model.k;
  return {
    backend: 'lattice',
    label: `pair integrals by the trapezoidal rule (step ${step.toPrecision(2)}/sd), the variance term by a ${points}-point shifted lattice over the ${n} fields`,
    scheme: 'whole',
    templates: {},
    settings: { points, shiftSeed, step },
    notes: [
      'A, B, S and ε are pair integrals (the drift reduced to pairs by Stein’s lemma), spectrally accurate for analytic activations; the four-field part of V, E[σ′σ′e²], is a lattice estimate — its error is stated below; lattice:N with more points lowers it (for p = k = 10, 4× the points about halve it)',
    ],
  };
}

/** Independent shifts of the lattice that measure its error at derive time. */
export const LATTICE_SHIFTS = 6;

/**
 * The lattice backend's accuracy at the generic state:
 * - the pair integrals (A, B, S, ε and the Δ part of V): their change when the trapezoidal step
 *   shrinks by 0.8;
 * - the lattice part of V: the rms spread of LATTICE_SHIFTS estimates with independent random shifts
 *   (each an unbiased estimate with the error of the one in the code), relative to the largest |V_jl|.
 */
function latticeAccuracyNotes(ctx: AccuracyContext): string[] {
  const { model, plan, base } = ctx;
  const lat = plan.settings;
  const { p } = model;
  const moments = (pl: ExpectationPlan) => ctx.momentsOf(model, pl);
  const { V } = ctx.mom;
  const isV = (i: number) => i >= V && i < V + p * p;
  const finer = moments({ ...plan, settings: { ...lat, step: 0.8 * lat.step } });
  const idx = [...base.keys()].filter((i) => !isV(i));
  const pairErr = maxOf(idx.map((i) => Math.abs(base[i] - finer[i])), 0) / maxAbsOf(idx.map((i) => finer[i]), 1e-300);
  const shifts = Array.from({ length: LATTICE_SHIFTS }, (_, r) => moments({ ...plan, settings: { ...lat, shiftSeed: lat.shiftSeed + 1 + r } }));
  const vIdx = [...base.keys()].filter(isV);
  let ms = 0;
  for (const i of vIdx) {
    const mean = shifts.reduce((a, x) => a + x[i], 0) / shifts.length;
    ms = Math.max(ms, shifts.reduce((a, x) => a + (x[i] - mean) ** 2, 0) / (shifts.length - 1));
  }
  const vScale = maxAbsOf(vIdx.map((i) => base[i]), 1e-300);
  const vErr = Math.sqrt(ms) / vScale;
  return [
    `lattice accuracy at a generic state: pair integrals (A, B, S, ε) change by ${pairErr.toExponential(1)} relative when the step shrinks by 0.8; V's lattice error ≈ ${vErr.toExponential(1)} relative to max|V| (rms spread of ${LATTICE_SHIFTS} independently shifted ${lat.points}-point lattices)` +
      (vErr > 1e-3 ? ` — lattice:${lat.points * 4} lowers it (for p = k = 10 it about halves it, at about twice the cost per evaluation)` : ''),
  ];
}

/**
 * The `lattice` backend for a committee: every pair E[f(x_i) h(x_m)] of the fields by the trapezoidal
 * rule in the pair's Cholesky coordinates (x_i = a z1, x_m = b z1 + c z2; step h0/max(1, sd), nodes
 * within TRAPEZOID_HALF_WIDTH of the origin), the drift from the pairs by Stein's lemma, and the
 * four-field part of V by a shifted rank-1 lattice over all fields (Box–Muller, Cholesky of Ω —
 * unique, so the right-hand side is a smooth function of the state).
 */
function latticeFunctions({ model, layout: L, plan, consts }: KernelContext): Kernels {
  const { p, k } = model;
  const n = p + k;
  const t = model.target;
  if (t.kind !== 'committee') throw internal('lattice needs a committee target');
  const { points: N, step, shiftSeed } = plan.settings;
  const s = n + (n % 2);
  const rule = latticeRule(N, s, shiftSeed);
  consts.set('LAT_Z', { name: 'LAT_Z', type: 'f64', values: rule.z, doc: `generating vector of the ${N}-point rank-1 lattice (component by component)` });
  consts.set('LAT_SHIFT', { name: 'LAT_SHIFT', type: 'f64', values: rule.shift, doc: `random shift of the lattice (seed ${shiftSeed})` });
  consts.set('TEACHER_W', { name: 'TEACHER_W', type: 'f64', values: t.weights, doc: 'teacher weights w_r' });
  const x = v('x');
  const fns: Fn[] = [
    ...studentFunctions(model),
    { name: 'd2sigma', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: model.student.dexpr.derivative('z').toIr({ z: x }) }], doc: 'σ″(x)' },
    { name: 'gfun', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: t.g.expr.toIr({ z: x }) }], doc: `g(x) = ${t.g.expr.text}` },
    { name: 'dgfun', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: t.g.dexpr.toIr({ z: x }) }], doc: 'g′(x)' },
  ];
  const { size } = L.mom;
  const src = [pairsSource(n, p, step), latticeVSource(n, p, N, s, L.mom.V), momentsSource(model, L)].join('\n');
  const kernel = parseKernel(src);
  const mom = kernel[kernel.length - 1];
  mom.outSize = size;
  mom.doc = `A, B, V, S and ε: pairs of fields by the trapezoidal rule (step ${step.toPrecision(3)}/max(1, sd)), the drift by Stein's lemma, the four-field part of V by a ${N}-point shifted rank-1 lattice over the ${n} fields.`;
  fns.push(...kernel);
  // the risk needs only the pair integrals
  return { fns, riskFill: call('momentsWith', v('y'), v('params'), v('MOM'), int(0)) };
}

/**
 * Every pair E[f(x_i) h(x_m)] of the n fields (P0), E[σ″(x_j) h(x_m)] (P1) and E[σ′(x_j) h′(x_m)] (P2)
 * by the trapezoidal rule in the pair's Cholesky coordinates.
 */
function pairsSource(n: number, p: number, step: number): string {
  const Z = TRAPEZOID_HALF_WIDTH;
  return `
function pairs(O: f64[], outP0: f64[], outP1: f64[], outP2: f64[]): void {
  for (let i = 0; i < ${n}; i++) {
    for (let m = i; m < ${n}; m++) {
      let vi = O[i * ${n} + i];
      let vm = O[m * ${n} + m];
      let a = sqrt(vi > 0.0 ? vi : 0.0);
      let b = a > 0.0 ? O[i * ${n} + m] / a : 0.0;
      let cc = vm - b * b;
      let c = sqrt(cc > 0.0 ? cc : 0.0);
      let sd = sqrt(vi > vm ? vi : vm);
      let h = ${step} / (sd > 1.0 ? sd : 1.0);
      let nz: int = floor(${Z} / h);
      let s0 = 0.0;
      let s1 = 0.0;
      let s2 = 0.0;
      let s3 = 0.0;
      let s4 = 0.0;
      let wsum = 0.0;
      for (let i1 = 0; i1 < 2 * nz + 1; i1++) {
        let z1 = (i1 - nz) * h;
        let w1 = exp(-0.5 * z1 * z1);
        let xi = a * z1;
        let fi0 = i < ${p} ? sigma(xi) : gfun(xi);
        let fi1 = i < ${p} ? dsigma(xi) : dgfun(xi);
        let fi2 = i < ${p} ? d2sigma(xi) : 0.0;
        let r2 = ${Z * Z} - z1 * z1;
        let n2: int = floor(sqrt(r2 > 0.0 ? r2 : 0.0) / h);
        if (m == i) n2 = 0;
        for (let i2 = 0; i2 < 2 * n2 + 1; i2++) {
          let z2 = (i2 - n2) * h;
          let w = m == i ? w1 : w1 * exp(-0.5 * z2 * z2);
          let xm = m == i ? xi : b * z1 + c * z2;
          let fm0 = m < ${p} ? sigma(xm) : gfun(xm);
          let fm1 = m < ${p} ? dsigma(xm) : dgfun(xm);
          s0 += w * fi0 * fm0;
          s1 += w * fi2 * fm0;
          s2 += w * fi0 * xm * fm1;
          s3 += w * fi1 * fm1;
          s4 += w * fi0;
          wsum += w;
        }
      }
      // normalised by the rule's own weight sum (exact for the Gaussian to e^{-2π²/h²})
      s0 = s0 / wsum;
      s1 = s1 / wsum;
      s3 = s3 / wsum;
      // E[σ″(x_m) h(x_i)] without σ″ at the pair's nodes, by Stein's lemma:
      // E[x_m σ′(x_m) h(x_i)] = Ω_mm E[σ″(x_m) h(x_i)] + Ω_im E[σ′(x_m) h′(x_i)]
      s2 = vm > 1e-12 ? (s2 / wsum - O[i * ${n} + m] * s3) / vm : d2sigma(0.0) * s4 / wsum;
      outP0[i * ${n} + m] = s0;
      outP0[m * ${n} + i] = s0;
      if (i < ${p}) {
        outP1[i * ${n} + m] = s1;
        outP2[i * ${n} + m] = s3;
      }
      if (m < ${p}) {
        outP1[m * ${n} + i] = s2;
        outP2[m * ${n} + i] = s3;
      }
    }
  }
}
`;
}

/** The four-field part of V, E[σ′(x_j)σ′(x_l)e²], on the shifted rank-1 lattice (Box–Muller over s = n rounded up to even dimensions). */
function latticeVSource(n: number, p: number, N: number, s: number, V: number): string {
  return `
function latticeV(O: f64[], CE: f64[], out: f64[]): void {
  let LC: f64[${n * n}];
  for (let i = 0; i < ${n * n}; i++) LC[i] = 0.0;
  for (let i = 0; i < ${n}; i++) {
    for (let j = 0; j < i + 1; j++) {
      let acc = O[i * ${n} + j];
      for (let m = 0; m < j; m++) acc -= LC[i * ${n} + m] * LC[j * ${n} + m];
      if (i == j) LC[i * ${n} + i] = acc > 1e-300 ? sqrt(acc) : 0.0;
      else LC[i * ${n} + j] = LC[j * ${n} + j] > 0.0 ? acc / LC[j * ${n} + j] : 0.0;
    }
  }
  let ZN: f64[${s}];
  let DS: f64[${p}];
  for (let pt = 0; pt < ${N}; pt++) {
    for (let i = 0; i < ${s / 2}; i++) {
      let u1 = pt * LAT_Z[2 * i] * ${1 / N} + LAT_SHIFT[2 * i];
      u1 = u1 - floor(u1);
      let u2 = pt * LAT_Z[2 * i + 1] * ${1 / N} + LAT_SHIFT[2 * i + 1];
      u2 = u2 - floor(u2);
      let rad = sqrt(-2.0 * log(u1 > 1e-300 ? u1 : 1e-300));
      ZN[2 * i] = rad * cos(${2 * Math.PI} * u2);
      ZN[2 * i + 1] = rad * sin(${2 * Math.PI} * u2);
    }
    let e = 0.0;
    for (let i = 0; i < ${n}; i++) {
      let xv = 0.0;
      for (let m = 0; m < i + 1; m++) xv += LC[i * ${n} + m] * ZN[m];
      if (i < ${p}) {
        DS[i] = dsigma(xv);
        if (CE[i] != 0.0) e += CE[i] * sigma(xv);
      } else e += CE[i] * gfun(xv);
    }
    let e2 = e * e * ${1 / N};
    for (let j = 0; j < ${p}; j++) {
      let wv = DS[j] * e2;
      for (let l = j; l < ${p}; l++) out[${V} + j * ${p} + l] += wv * DS[l];
    }
  }
}
`;
}

/** `momentsWith(…, withV)`: A, B, S, ε from the pairs by Stein's lemma, V from the lattice when withV ≠ 0; and `moments`. */
function momentsSource(model: Model, L: KernelContext['layout']): string {
  const { p, k } = model;
  const n = p + k;
  const rw = residualWeight(model);
  const aOf = L.trained ? `y[${L.a} + j]` : `params[${L.aParam} + j]`;
  const { A, B, V, S, risk, size } = L.mom;
  return `
function momentsWith(y: f64[], params: f64[], out: f64[], withV: int): void {
  let O: f64[${n * n}];
  omega(y, params, O);
  let Delta = params[${L.delta}];
  for (let i = 0; i < ${size}; i++) out[i] = 0.0;
  // e = Σ_m CE_m h_m(x_m) (the error the gradient sees), d = Σ_m CD_m h_m(x_m) = y − f
  let CE: f64[${n}];
  let CD: f64[${n}];
  for (let j = 0; j < ${p}; j++) {
    CD[j] = -${aOf} * ${1 / p};
    CE[j] = ${rw === 1 ? 'CD[j]' : rw === 0 ? '0.0' : `${f64Literal(rw)} * CD[j]`};
  }
  for (let r = 0; r < ${k}; r++) {
    CD[${p} + r] = TEACHER_W[r] * ${1 / k};
    CE[${p} + r] = CD[${p} + r];
  }
  let P0: f64[${n * n}];
  let P1: f64[${p * n}];
  let P2: f64[${p * n}];
  pairs(O, P0, P1, P2);
  // Stein: E[σ′(x_j) x_i e] = Ω_ij Σ_m CE_m E[σ″(x_j) h_m] + Σ_m CE_m Ω_im E[σ′(x_j) h′_m]
  for (let j = 0; j < ${p}; j++) {
    let s1 = 0.0;
    let sS = 0.0;
    for (let m = 0; m < ${n}; m++) {
      s1 += CE[m] * P1[j * ${n} + m];
      sS += CE[m] * P0[j * ${n} + m];
    }
    out[${S} + j] = sS;
    for (let i = 0; i < ${n}; i++) {
      let tv = O[i * ${n} + j] * s1;
      for (let m = 0; m < ${n}; m++) tv += CE[m] * O[i * ${n} + m] * P2[j * ${n} + m];
      if (i < ${p}) out[${B} + j * ${p} + i] = tv;
      else out[${A} + j * ${k} + i - ${p}] = tv;
    }
  }
  let dd = 0.0;
  for (let i = 0; i < ${n}; i++) {
    for (let m = 0; m < ${n}; m++) dd += CD[i] * CD[m] * P0[i * ${n} + m];
  }
  out[${risk}] = 0.5 * dd + 0.5 * Delta;
  if (withV != 0) latticeV(O, CE, out);
  // V = E[σ′σ′e²] + Δ E[σ′σ′]; E[σ′(x_j)σ′(x_l)] is the pair P2[j, l]
  for (let j = 0; j < ${p}; j++) {
    for (let l = j; l < ${p}; l++) {
      out[${V} + j * ${p} + l] += Delta * P2[j * ${n} + l];
      out[${V} + l * ${p} + j] = out[${V} + j * ${p} + l];
    }
  }
}

export function moments(y: f64[], params: f64[], out: f64[]): void {
  momentsWith(y, params, out, 1);
}
`;
}
