/**
 * `split[:N]`: models whose activations are not smooth where no exact evaluator reaches — hard-tanh's
 * kinks at ±1, relu(z − b), ELU, a ReLU student on an erf or tanh teacher — by a tensor rule over all
 * p + k fields that follows the kinks (THEORY §3.8). The fields are taken in Cholesky coordinates,
 * u_i = μ_i + s_i z_i with μ_i = Σ_{m<i} L_im z_m; a field whose functions have breakpoints b is
 * integrated over z_i ∈ [−8.5, 8.5] split at a fixed grid and at z = (b − μ_i)/s_i, with N Gauss–Legendre
 * nodes per piece (weights φ(z)·w); a smooth field by Gauss–Hermite. No node ever sits across a kink,
 * so the rule is spectrally accurate on each piece and — unlike a fixed tensor rule, whose nodes cross
 * the kinks as the state moves — its right-hand side is a smooth function of the state.
 */
import type { Model } from '../hermite/model.ts';
import type { Activation } from '../hermite/activation.ts';
import { breakpoints } from '../hermite/breaks.ts';
import type { ExpectationPlan } from '../gaussian/plan.ts';
import { v, type Fn } from '../ir/ir.ts';
import { parseKernel } from '../ir/parse.ts';
import { usageError } from '../errors.ts';
import { gaussLegendre } from '../quadrature.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { maxAbsDiff, maxAbsOf, maxOf } from '../extrema.ts';
import { f64Literal, gaussHermiteTables, momentsFinishSource, nodeMomentsSource, studentFunctions, targetFunction } from './support.ts';
import type { BackendDef, KernelContext } from './types.ts';

/** Piece boundaries in z every kinked field has (narrow where the Gaussian weight is large). */
export const SPLIT_GRID = [-8.5, -5.5, -3.5, -2.25, -1.25, -0.5, 0.5, 1.25, 2.25, 3.5, 5.5, 8.5];
/** Gauss–Legendre nodes per piece when none are asked for. */
export const DEFAULT_SPLIT_NODES = 5;
/** Leaves per evaluation `auto` accepts (each right-hand side visits them, less the pruned tails). */
export const SPLIT_BUDGET = 3e6;
/** Leaves per evaluation a request may ask for (the loop counter is a 32-bit integer). */
const SPLIT_MAX = 2e9;

const ghNodes = (N: number) => 2 * N + 12;

/** Breakpoints of the student and, for a committee, of the teacher (sorted positions). */
function modelBreaks(model: Model): { s: number[]; g: number[] } {
  const at = (a: Activation) => breakpoints(a).map((b) => b.at);
  return { s: at(model.student), g: model.target.kind === 'committee' ? at(model.target.g) : [] };
}

/** Nodes of each field: kinked fields (pieces × N), smooth ones Gauss–Hermite. */
function levelCounts(model: Model, N: number): number[] {
  const { s, g } = modelBreaks(model);
  const pieces = SPLIT_GRID.length - 1;
  return Array.from({ length: model.p + model.k }, (_, i) => {
    const b = i < model.p ? s : g;
    return b.length ? (pieces + b.length) * N : ghNodes(N);
  });
}

function why(model: Model): string | undefined {
  const { s, g } = modelBreaks(model);
  if (!s.length && !g.length) return 'split follows kinks, and this model has none (its functions are smooth): the other backends are faster';
  if (model.target.kind !== 'committee' && !model.target.poly) return 'split needs a committee teacher or a polynomial target (the breakpoints of a general target g*(ν) are not found)';
  return undefined;
}

function splitPlan(model: Model, N: number): ExpectationPlan {
  const counts = levelCounts(model, N);
  const leaves = counts.reduce((a, b) => a * b, 1);
  const { s, g } = modelBreaks(model);
  const list = (xs: number[]) => xs.map(fmt17).join(', ');
  const where = [s.length ? `σ at z = ${list(s)}` : '', g.length ? `g at z = ${list(g)}` : ''].filter(Boolean).join('; ');
  return {
    backend: 'split',
    label: `Gauss–Legendre split at the kinks (${where}; ${N} nodes per piece, Gauss–Hermite ${ghNodes(N)} on smooth fields; ${leaves.toExponential(1)} nodes per evaluation)`,
    scheme: 'whole',
    templates: {},
    settings: { nodes: N, leaves },
    notes: ['each kinked field is integrated piece by piece between its breakpoints (in the Cholesky coordinates of Ω): spectral accuracy, and a right-hand side that is smooth in the state'],
  };
}

export const splitBackend: BackendDef = {
  name: 'split',
  argument: { required: false, meta: 'N' },
  summary: 'tensor rule split at the kinks (hard-tanh, relu(z − b), ELU, ReLU on erf; N Gauss–Legendre nodes per piece)',
  plan(model, arg, where) {
    const N = arg ?? DEFAULT_SPLIT_NODES;
    if (!(N >= 2 && N <= 40)) throw usageError(`split nodes per piece must be 2 to 40, got ${N}`, where);
    const no = why(model);
    if (no) throw usageError(no, where);
    const plan = splitPlan(model, N);
    if (plan.settings.leaves > SPLIT_MAX) throw usageError(`split:${N} needs ${plan.settings.leaves.toExponential(1)} nodes per evaluation over p + k = ${model.p + model.k} fields (at most ${SPLIT_MAX.toExponential(0)}): fewer nodes per piece or a smaller width`, where);
    return plan;
  },
  auto(model) {
    if (why(model)) return undefined;
    const plan = splitPlan(model, DEFAULT_SPLIT_NODES);
    return plan.settings.leaves <= SPLIT_BUDGET ? plan : undefined;
  },
  kernels: splitFunctions,
  tex: {
    whole: {
      text: 'The moments are one pass of a tensor rule in the Cholesky coordinates of Ω (u_i = μ_i + s_i z_i, μ_i = Σ_(m<i) L_im z_m): a field with breakpoints b is integrated over z_i ∈ [−8.5, 8.5] split at a fixed grid and at z_i = (b − μ_i)/s_i, with Gauss–Legendre nodes on each piece; a smooth field by Gauss–Hermite.',
      eqs: [],
    },
  },
  accuracy(ctx) {
    const N = ctx.plan.settings.nodes;
    const coarse = Math.max(2, N - 2);
    const other = ctx.momentsOf(ctx.model, { ...ctx.plan, settings: { ...ctx.plan.settings, nodes: coarse } });
    const err = maxAbsDiff(ctx.base, other);
    const rel = err / maxAbsOf(ctx.base, 1e-300);
    return [`split accuracy: ${rel.toExponential(1)} relative (the moments change by ${err.toExponential(1)} from ${coarse} to ${N} nodes per piece ${ctx.where}; the kinks are resolved, so rules of one structure do not share a bias) — pass split:N for more`];
  },
  along(model, plan) {
    const R = plan.settings.nodes + 3;
    const leaves = splitPlan(model, R).settings.leaves;
    return { request: `split:${R}`, against: `the split rule with ${R} nodes per piece`, cost: leaves, remedy: 'raise the nodes per piece with --expectations split:N' };
  },
};

/** `moments` by one depth-first pass over the split tensor rule. */
function splitFunctions({ model, layout: L, plan, consts }: KernelContext): { fns: Fn[] } {
  const { p, k } = model;
  const n = p + k;
  const N = plan.settings.nodes;
  const NH = ghNodes(N);
  const counts = levelCounts(model, N);
  const { s: KS, g: KG } = modelBreaks(model);
  const gl = gaussLegendre(N);
  gaussHermiteTables(NH, `GHS${NH}`, consts, 'log-weights of the Gauss–Hermite rule for smooth fields');
  const put = (name: string, values: number[], doc: string) => consts.set(name, { name, type: 'f64', values: values.length ? values : [0], doc });
  put('SPLIT_GRID', SPLIT_GRID, 'piece boundaries in z every kinked field has');
  put('SPLIT_GLX', [...gl.x], `Gauss–Legendre nodes on [−1, 1], ${N} points`);
  put('SPLIT_GLW', [...gl.w], 'their weights');
  put('SPLIT_KS', KS, "the student's breakpoints");
  put('SPLIT_KG', KG, "the teacher's breakpoints");
  const maxCount = maxOf(counts);
  const nGrid = SPLIT_GRID.length;
  const t = model.target;
  const fns: Fn[] = [...studentFunctions(model)];
  if (t.kind === 'committee') fns.push({ name: 'gfun', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: t.g.expr.toIr({ z: v('x') }) }], doc: `g(x) = ${t.g.expr.text}` });
  else fns.push(targetFunction(model));
  // the nodes of one kinked field: pieces between the grid and its breakpoints mapped to z
  const maxK = maxOf([KS.length, KG.length, 1]);
  fns.push(
    ...parseKernel(`
function splitLevel(mu: f64, sd: f64, which: int, nk: int, outZ: f64[], outW: f64[], off: int): void {
  let E: f64[${nGrid + maxK}];
  for (let i = 0; i < ${nGrid}; i++) E[i] = SPLIT_GRID[i];
  let ne: int = ${nGrid};
  for (let q = 0; q < nk; q++) {
    let kb = which == 1 ? SPLIT_KS[q] : SPLIT_KG[q];
    let zb = sd > 0.0 ? (kb - mu) / sd : 0.0;
    zb = zb < ${SPLIT_GRID[0]} ? ${SPLIT_GRID[0]} : zb > ${SPLIT_GRID[nGrid - 1]} ? ${SPLIT_GRID[nGrid - 1]} : zb;
    let at: int = ne;
    for (let i = 0; i < ne; i++) {
      if (at == ne && E[i] > zb) at = i;
    }
    for (let r = 0; r < ne - at; r++) {
      let i: int = ne - r;
      E[i] = E[i - 1];
    }
    E[at] = zb;
    ne += 1;
  }
  let c: int = off;
  for (let piece = 0; piece < ne - 1; piece++) {
    let half = 0.5 * (E[piece + 1] - E[piece]);
    let mid = 0.5 * (E[piece + 1] + E[piece]);
    for (let g = 0; g < ${N}; g++) {
      let z = mid + half * SPLIT_GLX[g];
      outZ[c] = z;
      outW[c] = half * SPLIT_GLW[g] * 0.3989422804014327 * exp(-0.5 * z * z);
      c += 1;
    }
  }
}
function cholPsd(A: f64[], outC: f64[]): void {
  let big = 0.0;
  for (let i = 0; i < ${n}; i++) big = A[i * ${n} + i] > big ? A[i * ${n} + i] : big;
  for (let i = 0; i < ${n * n}; i++) outC[i] = 0.0;
  for (let j = 0; j < ${n}; j++) {
    let d = A[j * ${n} + j];
    for (let m = 0; m < j; m++) d -= outC[j * ${n} + m] * outC[j * ${n} + m];
    if (d > 1e-13 * big) {
      let s = sqrt(d);
      outC[j * ${n} + j] = s;
      for (let i = j + 1; i < ${n}; i++) {
        let v = A[i * ${n} + j];
        for (let m = 0; m < j; m++) v -= outC[i * ${n} + m] * outC[j * ${n} + m];
        outC[i * ${n} + j] = v / s;
      }
    }
  }
}`),
  );
  const fieldKind = counts.map((_, i) => (i < p ? (KS.length ? 's' : 'h') : KG.length ? 'g' : 'h'));
  // levels: kinked fields outermost, where their breakpoints are resolved in unconditioned coordinates;
  // smooth fields innermost, whose conditional integrands are then smooth at the scale of the rule
  // (the other order is ~5× faster with an erf teacher but converges far more slowly: the outer smooth
  // integrand then carries the kinks smeared over the conditional spread, which can be narrow)
  const perm = [...counts.keys()].sort((a, b) => Number(fieldKind[a] === 'h') - Number(fieldKind[b] === 'h') || a - b);
  const levelKind = perm.map((f) => fieldKind[f]);
  const levelCount = perm.map((f) => counts[f]);
  // a smooth level's nodes are the Gauss–Hermite rule's (filled once); a kinked level's follow its μ and s.
  // A degenerate field (s = 0) needs nothing special: every node gives u = μ and the weights sum to 1.
  const build = (i: string) => `
      MU[${i}] = 0.0;
      for (let m = 0; m < ${i}; m++) MU[${i}] += LC[${i} * ${n} + m] * ZV[m];
      SD[${i}] = LC[${i} * ${n} + ${i}];
      if (KIND[${i}] == 1) splitLevel(MU[${i}], SD[${i}], 1, ${KS.length}, ZN, WN, ${i} * ${maxCount});
      if (KIND[${i}] == 2) splitLevel(MU[${i}], SD[${i}], 2, ${KG.length}, ZN, WN, ${i} * ${maxCount});`;
  const aOf = L.trained ? `y[${L.a} + j]` : `params[${L.aParam} + j]`;
  const { size } = L.mom;
  const total = counts.reduce((a, b) => a * b, 1);
  const src = `
export function moments(y: f64[], params: f64[], out: f64[]): void {
  let O: f64[${n * n}];
  omega(y, params, O);
  let LC: f64[${n * n}];
  let PERM: int[${n}];
${perm.map((f, i) => `  PERM[${i}] = ${f};`).join('\n')}
  let PO: f64[${n * n}];
  for (let a = 0; a < ${n}; a++) {
    for (let b = 0; b < ${n}; b++) PO[a * ${n} + b] = O[PERM[a] * ${n} + PERM[b]];
  }
  cholPsd(PO, LC);
  let NL: int[${n}];
  let KIND: int[${n}];
${levelCount.map((c, i) => `  NL[${i}] = ${c};\n  KIND[${i}] = ${levelKind[i] === 'h' ? 0 : levelKind[i] === 's' ? 1 : 2};`).join('\n')}
  let ZN: f64[${n * maxCount}];
  let WN: f64[${n * maxCount}];
  let MU: f64[${n}];
  let SD: f64[${n}];
  let ZV: f64[${n}];
  let WP: f64[${n + 1}];
  let QI: int[${n}];
  let QU: f64[${n}];
  let AS: f64[${p}];
  let SIG: f64[${p}];
  let DSIG: f64[${p}];
  let GV: f64[${k}];
  let Delta = params[${L.delta}];
  for (let j = 0; j < ${p}; j++) AS[j] = ${aOf};
  for (let i = 0; i < ${size}; i++) out[i] = 0.0;
  let eps = 0.0;
  for (let i = 0; i < ${n}; i++) {
    if (KIND[i] == 0) {
      for (let q = 0; q < ${NH}; q++) {
        ZN[i * ${maxCount} + q] = GHS${NH}_X[q];
        WN[i * ${maxCount} + q] = exp(GHS${NH}_LOGW[q]);
      }
    }
  }
  WP[0] = 1.0;
  // level 0 depends on no other level: built once${build('0')}
  QI[0] = 0;
  let lo: int = 0;
  for (let it = 0; it < ${total}; it++) {
    // levels lo..n−1 take their current node (the ones above lo are rebuilt from the new z first)
    let cut: int = ${n};
    for (let i = lo; i < ${n}; i++) {
      if (i > lo) {
        QI[i] = 0;
        ${build('i')}
      }
      ZV[i] = ZN[i * ${maxCount} + QI[i]];
      WP[i + 1] = WP[i] * WN[i * ${maxCount} + QI[i]];
      let fld: int = PERM[i];
      QU[fld] = MU[i] + SD[i] * ZV[i];
      // the functions of a field are evaluated when it takes its node, not at every leaf below it
      if (fld < ${p}) {
        SIG[fld] = sigma(QU[fld]);
        DSIG[fld] = dsigma(QU[fld]);
      }${t.kind === 'committee' ? `
      else GV[fld - ${p}] = gfun(QU[fld]);` : ''}
      if (cut == ${n} && WP[i + 1] < 1e-15) cut = i;
      if (cut < ${n}) break;
    }
    if (cut == ${n}) {
      let w = WP[${n}];
      let f = 0.0;
      for (let j = 0; j < ${p}; j++) f += AS[j] * SIG[j];
      f = f * ${1 / p};
      let yv = ${t.kind === 'committee' ? t.weights.map((w, r) => `${f64Literal(w / k)} * GV[${r}]`).join(' + ') : 'target(QU)'};
${nodeMomentsSource(model, L)}
    }
    // the next node: the deepest level taken (or the one whose weight was negligible: its subtree is skipped)
    lo = cut == ${n} ? ${n - 1} : cut;
    for (let t = 0; t < ${n}; t++) {
      QI[lo] += 1;
      if (QI[lo] < NL[lo]) break;
      lo -= 1;
      if (lo < 0) break;
    }
    if (lo < 0) break;
  }
${momentsFinishSource(model, L)}
}`;
  const [momentsFn] = parseKernel(src);
  momentsFn.outSize = size;
  momentsFn.doc = `A, B, V, S and ε by a tensor rule over the ${n} local fields split at the kinks (${N} Gauss–Legendre nodes per piece).`;
  fns.push(momentsFn);
  return { fns };
}

