/**
 * `probit[:m]`: activations written in Φ and φ (THEORY §3.9) — GELU, z·erf, SiLU/swish, softplus and
 * log cosh, erf and tanh/sigmoid, polynomials and piecewise polynomials with kinks anywhere (hard-tanh,
 * relu(z − b): steps at thresholds, gaussian/shifted.ts), students and teachers in any pairing
 * (gaussian/probit.ts). Each factor of a template is a sum of terms c·z^e·b(a z), b ∈ {1, θ, Φ, φ};
 * a product of one term per slot (a "tuple") is
 *
 *   E[Π_i c_i u_i^{e_i} b_i(a_i u_i)] = Π_i c_i · Π_{φ slots} (2π(1 + a_j² C_jj))^{−1/2}
 *                                     · E′[Π_i u_i^{e_i} Π_{θ slots} θ(u_i) Π_{Φ slots} θ(a_i u_i − ζ_i)],
 *
 * the φ factors folded into the law one at a time (C′ = C − a² C e_j e_jᵀ C/(1 + a² C_jj)) and each Φ
 * turned into the indicator of X_i = a_i u_i − ζ_i with an independent standard ζ_i; the last
 * expectation is the exact Stein reduction to orthant probabilities (gaussian/stein.ts) in the
 * augmented vector (the u's that carry a power, then the X's). Tuples of the same bases and powers
 * ("patterns") share one generated function; the template loops over their scales and coefficients.
 *
 * Exact for every member but tanh-based ones, whose m-node mixture has an error bounded uniformly in
 * z (the note states it; runs measure it along the way against m + 4 nodes).
 */
import type { Model } from '../hermite/model.ts';
import { committeeByFactors, modelTemplates, templateCalls, type ExpectationPlan, type SlotFactor, type Template, type TemplateImpl } from '../gaussian/plan.ts';
import { derivativeRep, probitRep, repSupErrors, type ProbitBasis, type ProbitRep, type ProbitTerm } from '../gaussian/probit.ts';
import { SteinEngine, indicatorTerms, steinConstants, STEIN_SOURCE, type Factor, type SteinExpansion } from '../gaussian/stein.ts';
import { piecewiseOf, piecesOf } from '../hermite/piecewise.ts';
import { Poly } from '../symbolic/poly.ts';
import { Coef } from '../symbolic/coef.ts';
import { covNames } from '../gaussian/wick.ts';
import { parseKernel } from '../ir/parse.ts';
import { instantiate } from '../ir/js.ts';
import { call, callsIn, idx, int, num, v, type Const, type Expr, type Fn, type Module, type Stmt } from '../ir/ir.ts';
import { usageError, internal } from '../errors.ts';
import { plainTex, polyKey } from './support.ts';
import { regularisedCovariance, steinFunction, steinKey } from './exact.ts';
import { ShiftedEngine, SHIFTED_SOURCE, shiftedConstants, type ShiftedExpansion } from '../gaussian/shifted.ts';
import { polyToStatements } from '../ir/polyprint.ts';
import type { BackendDef, KernelContext } from './types.ts';

/** Mixture nodes for tanh-based members when none are asked for (as the mixture backend: THEORY §3.7). */
export const DEFAULT_PROBIT_NODES = 13;
export const MAX_PROBIT_NODES = 24;
/** Cost units per right-hand side `auto` accepts (a unit is about 0.1 µs: one tuple of up to three indicators ≈ 10, four ≈ 60). */
export const PROBIT_AUTO_BUDGET = 4e6;

/** Which function sits at a slot: σ, σ′, the teacher g, the bare field. */
type Role = 's' | 'd' | 'g' | 'u';

/** Terms of one basis and power at a slot, over their scales. */
interface Group {
  b: ProbitBasis;
  e: number;
  a: number[];
  c: number[];
  /** thresholds of step terms (0 for the others) */
  t: number[];
  /** constant arrays' prefix */
  id: string;
}

interface ProbitImpl extends TemplateImpl {
  kind: 'probit';
  /** the function at each slot (committee and general σ factors) */
  roles: Role[];
  /** slots the target's polynomial g*(ν) (general targets) occupies, and how many times it appears */
  target?: { from: number; power: number };
}

interface Reps {
  s: ProbitRep;
  d: ProbitTerm[];
  g?: ProbitRep;
  /** g*(ν) of a general target */
  gstar?: Poly;
}

/** The representations, or why the backend does not apply. */
function repsOf(model: Model, m: number): Reps | string {
  const s = probitRep(model.student, m);
  if (!s) return `probit needs activations written in Φ: polynomials, piecewise polynomials, erf, tanh, sigmoid, GELU, SiLU, softplus (z times or the antiderivative of c0 + A·erf(bz) or c0 + A·tanh(bz)); the student ${model.student.expr.text} is not`;
  const pw = piecewiseOf(model.student);
  if (pw && !pw.continuous) return `probit needs a continuous student (its derivative would carry a δ); ${model.student.expr.text} jumps at 0`;
  const pieces = pw ? undefined : piecesOf(model.student);
  if (pieces && !pieces.continuous) return `probit needs a continuous student (its derivative would carry a δ); ${model.student.expr.text} jumps`;
  const t = model.target;
  if (t.kind === 'committee') {
    const g = probitRep(t.g, m);
    if (!g) return `probit needs a teacher written in Φ (as the student); ${t.g.expr.text} is not`;
    if (piecewiseOf(model.student) && piecewiseOf(t.g)) return 'probit: a piecewise-polynomial student and teacher are the exact backend\'s';
    return { s, d: derivativeRep(s.terms), g };
  }
  if (!t.poly) return 'probit needs a polynomial general target (or a committee)';
  return { s, d: derivativeRep(s.terms), gstar: t.poly };
}

/** The groups of a term list (by basis and power). */
function groupsOf(terms: ProbitTerm[], role: string): Group[] {
  const by = new Map<string, Group>();
  for (const t of terms) {
    const key = `${t.b}${t.e}`;
    let g = by.get(key);
    if (!g) by.set(key, (g = { b: t.b, e: t.e, a: [], c: [], t: [], id: `PB_${role.toUpperCase()}_${t.b}${t.e}` }));
    g.a.push(t.a);
    g.c.push(t.c);
    g.t.push(t.t ?? 0);
  }
  return [...by.values()];
}

const BARE: Group[] = [{ b: 'one', e: 1, a: [1], c: [1], t: [0], id: 'PB_U' }];

/** A step group with a threshold other than 0 (its patterns take the shifted reduction, gaussian/shifted.ts). */
const isShifted = (g: Group): boolean => g.b === 'step' && g.t.some((x) => x !== 0);

function slotGroups(reps: Reps): Record<Role, Group[]> {
  return { s: groupsOf(reps.s.terms, 's'), d: groupsOf(reps.d, 'd'), g: reps.g ? groupsOf(reps.g.terms, 'g') : [], u: BARE };
}

/** Cost units of one tuple with `kinked` indicators (shifted: thresholds other than 0). */
const tupleCost = (kinked: number, shifted: boolean): number => (shifted ? (kinked >= 4 ? 600 : kinked === 3 ? 120 : 6 + 4 * kinked) : kinked >= 4 ? 60 : 4 + 2 * kinked);

/** The patterns of a template: one group per slot. */
function patterns(impl: ProbitImpl, groups: Record<Role, Group[]>): Group[][] {
  let out: Group[][] = [[]];
  for (const r of impl.roles) out = out.flatMap((p) => groups[r].map((g) => [...p, g]));
  return out;
}

const indicatorCount = (pat: Group[]) => pat.filter((g) => g.b === 'step' || g.b === 'Phi').length;

function probitPlan(model: Model, m: number): ExpectationPlan {
  const reps = repsOf(model, m);
  if (typeof reps === 'string') throw internal(reps);
  const groups = slotGroups(reps);
  const calls = templateCalls(model);
  let cost = 0;
  let worstKinked = 0;
  const make = (name: string, n: number, factors: SlotFactor[], tex: string): Template => {
    const roles: Role[] = [];
    let target: ProbitImpl['target'];
    for (const f of factors) {
      if (f.kind === 'target') target = { from: f.from, power: (target?.power ?? 0) + 1 };
      else roles.push(f.kind);
    }
    const impl: ProbitImpl = { kind: 'probit', roles, target };
    for (const pat of patterns(impl, groups)) {
      const kinked = indicatorCount(pat);
      worstKinked = Math.max(worstKinked, kinked);
      cost += (calls[name] ?? 0) * pat.reduce((x, g) => x * g.a.length, 1) * tupleCost(kinked, pat.some(isShifted));
    }
    if (worstKinked > 4) throw internal('more than four indicators in a template');
    return { name, slots: n, tex, impl };
  };
  const templates = modelTemplates(model, committeeByFactors(make), make);
  const what = `student ${reps.s.what}${reps.g ? `, teacher ${reps.g.what}` : ''}`;
  const nodes = Math.max(reps.s.nodes, reps.g?.nodes ?? 0);
  const shifted = Object.values(groups).some((list) => list.some(isShifted));
  return {
    backend: 'probit',
    label: `Φ-representation reduced to orthant probabilities (${what}${nodes ? `; tanh through ${nodes} mixture nodes` : ''}; ${cost.toExponential(1)} cost units per right-hand side)`,
    scheme: 'templates',
    templates,
    settings: { nodes: m, mixture: nodes, cost, shifted: shifted ? 1 : 0 },
    notes: [
      nodes
        ? 'every factor is a sum of terms c·z^e·b(a z), b one of 1, θ, Φ, φ (tanh through the Kolmogorov scale mixture): each expectation is exact in those terms, a polynomial in conditional covariances and orthant probabilities'
        : shifted
          ? 'every factor is a sum of terms c·z^e·b(a z), b one of 1, θ, Φ, φ, steps at thresholds θ(z − t): each expectation is exact, a polynomial in conditional means and covariances and orthant probabilities with shifted corners (the bivariate normal to 1e-14, three and four fields by Plackett’s integral to 1e-12)'
          : 'every factor is a sum of terms c·z^e·b(a z), b one of 1, θ, Φ, φ: each expectation is exact, a polynomial in conditional covariances and orthant probabilities (P₄ by Plackett’s integral, to 1e-13)',
    ],
  };
}

/** One pattern's expansion: the augmented slots (u's with a power, then X's) and their Stein expectation. */
interface PatternCode {
  /** per augmented slot: the template slot and whether it is that slot's X */
  aug: { slot: number; x: boolean }[];
  exp: SteinExpansion | ShiftedExpansion;
  /** the expansion has threshold arguments (a shifted step in the pattern) */
  shifted: boolean;
}

const engines = new Map<number, SteinEngine>();
const engine = (n: number): SteinEngine => {
  let e = engines.get(n);
  if (!e) engines.set(n, (e = new SteinEngine(n)));
  return e;
};
const shiftedEngines = new Map<number, ShiftedEngine>();
const shiftedEngine = (n: number): ShiftedEngine => {
  let e = shiftedEngines.get(n);
  if (!e) shiftedEngines.set(n, (e = new ShiftedEngine(n)));
  return e;
};

function patternCode(pat: Group[], target: ProbitImpl['target'], k: number, gstar: Poly | undefined): PatternCode {
  const targetSlots = target ? k : 0;
  const aug: PatternCode['aug'] = [];
  for (let i = 0; i < pat.length; i++) if (pat[i].e > 0 || pat[i].b === 'step') aug.push({ slot: i, x: false });
  for (let t = 0; t < targetSlots; t++) aug.push({ slot: pat.length + t, x: false });
  for (let i = 0; i < pat.length; i++) if (pat[i].b === 'Phi') aug.push({ slot: i, x: true });
  const N = aug.length;
  const factors: Factor[] = [];
  const theta = { minus: Poly.zero(1), plus: Poly.constant(1, Coef.one), continuous: false };
  aug.forEach((s, j) => {
    if (s.x) factors.push({ kind: 'pw', slot: j, pw: theta });
    else if (s.slot < pat.length) {
      const g = pat[s.slot];
      if (g.e > 0) factors.push({ kind: 'poly', poly: Poly.variable(N, j, g.e) });
      if (g.b === 'step') factors.push({ kind: 'pw', slot: j, pw: theta });
    }
  });
  if (target && gstar) {
    const at = aug.findIndex((s) => s.slot === pat.length);
    const poly = gstar.pow(target.power).embed(N, Array.from({ length: targetSlots }, (_, r) => at + r));
    factors.push({ kind: 'poly', poly });
  }
  const shifted = pat.some(isShifted);
  if (N === 0) return { aug, exp: { n: 0, kinked: 0, poly: Poly.constant(0, Coef.one), symbols: [] }, shifted: false };
  const terms = indicatorTerms(N, factors);
  return { aug, exp: shifted ? shiftedEngine(N).expectation(terms) : engine(N).expectation(terms), shifted };
}

/** The source of a template: for each pattern, loops over its groups' terms, the φ folds, then the pattern's function. */
function templateSource(t: Template, groups: Record<Role, Group[]>, reps: Reps, fnOf: (pc: PatternCode) => string, targetSlots: number): string {
  const impl = t.impl as ProbitImpl;
  const n = t.slots;
  const args = covNames(n);
  const codes = patterns(impl, groups)
    .map((pat) => ({ pat, pc: patternCode(pat, impl.target, targetSlots, reps.gstar) }))
    .filter(({ pc }) => !pc.exp.poly.isZero());
  const folds = codes.some(({ pat }) => pat.some((g) => g.b === 'phi'));
  const lines: string[] = [`function ${t.name}(${args.map((x) => `${x}: f64`).join(', ')}): f64 {`];
  if (folds || codes.some(({ pc }) => pc.aug.length)) {
    lines.push(`  let C0: f64[${n * n}];`);
    let a = 0;
    for (let i = 0; i < n; i++)
      for (let j = i; j < n; j++) {
        lines.push(`  C0[${i * n + j}] = ${args[a]};`);
        if (i !== j) lines.push(`  C0[${j * n + i}] = ${args[a]};`);
        a++;
      }
  }
  if (folds) lines.push(`  let M: f64[${n * n}];`, `  let col: f64[${n}];`);
  lines.push('  let acc = 0.0;');
  codes.forEach(({ pat, pc }, q) => {
    // names unique to the pattern: single-term groups are not in a loop's scope
    const A = (i: number) => `a${q}_${i}`;
    const V = (j: number) => `v${q}_${j}`;
    const norm = `w${q}`;
    // scales are read where they are used: by φ folds and by the covariances of X slots
    const scaled = (g: Group) => g.b === 'Phi' || g.b === 'phi';
    let indent = '  ';
    const open: string[] = [];
    const w: string[] = [];
    pat.forEach((g, i) => {
      const at = g.a.length === 1 ? '0' : `i${i}`;
      if (g.a.length > 1) {
        lines.push(`${indent}for (let i${i} = 0; i${i} < ${g.a.length}; i${i}++) {`);
        open.push(indent);
        indent += '  ';
      }
      if (scaled(g)) lines.push(`${indent}let ${A(i)} = ${g.id}_A[${at}];`);
      w.push(`${g.id}_C[${at}]`);
    });
    const phi = pat.some((g) => g.b === 'phi');
    const S = phi ? 'M' : 'C0';
    if (phi) lines.push(`${indent}for (let x = 0; x < ${n * n}; x++) M[x] = C0[x];`);
    lines.push(`${indent}let ${norm} = ${w.length ? w.join(' * ') : '1.0'};`);
    pat.forEach((g, j) => {
      if (g.b !== 'phi') return;
      // fold φ(a_j u_j) into the law: C ← C − a² C e_j e_jᵀ C/(1 + a² C_jj), weight (2π(1 + a² C_jj))^{−1/2}
      lines.push(
        `${indent}let ${V(j)} = 1.0 + ${A(j)} * ${A(j)} * M[${j * n + j}];`,
        `${indent}${norm} = ${norm} * 0.3989422804014327 / sqrt(${V(j)});`,
        `${indent}for (let r = 0; r < ${n}; r++) col[r] = M[r * ${n} + ${j}];`,
        `${indent}for (let r = 0; r < ${n}; r++) {`,
        `${indent}  for (let c = 0; c < ${n}; c++) M[r * ${n} + c] -= ${A(j)} * ${A(j)} * col[r] * col[c] / ${V(j)};`,
        `${indent}}`,
      );
    });
    // the augmented covariance: Cov(u_i, X_k) = a_k C_ik, Cov(X_k, X_l) = a_k a_l C_kl + δ_kl
    const entry = (p: { slot: number; x: boolean }, r: { slot: number; x: boolean }): string => {
      const base = `${S}[${p.slot * n + r.slot}]`;
      if (!p.x && !r.x) return base;
      if (p.x !== r.x) return `${A(p.x ? p.slot : r.slot)} * ${base}`;
      return p.slot === r.slot ? `${A(p.slot)} * ${A(p.slot)} * ${base} + 1.0` : `${A(p.slot)} * ${A(r.slot)} * ${base}`;
    };
    const cargs: string[] = [];
    for (let i = 0; i < pc.aug.length; i++) for (let j = i; j < pc.aug.length; j++) cargs.push(entry(pc.aug[i], pc.aug[j]));
    // a shifted pattern's thresholds, one per kinked augmented slot: the step's, 0 for an X
    if (pc.shifted)
      pc.aug.forEach((p, j) => {
        if (!(pc.exp.kinked & (1 << j))) return;
        const g = p.x ? undefined : pat[p.slot];
        cargs.push(g && isShifted(g) ? `${g.id}_T[${g.a.length === 1 ? '0' : `i${p.slot}`}]` : '0.0');
      });
    lines.push(`${indent}acc += ${norm} * ${pc.aug.length ? `${fnOf(pc)}(${cargs.join(', ')})` : fnOf(pc)};`);
    while (open.length) lines.push(`${open.pop()}}`);
  });
  lines.push('  return acc;', '}');
  return lines.join('\n');
}

function probitKernels({ model, plan, templates, consts }: KernelContext): { fns: Fn[] } {
  const reps = repsOf(model, plan.settings.nodes);
  if (typeof reps === 'string') throw internal(reps);
  const groups = slotGroups(reps);
  for (const list of Object.values(groups))
    for (const g of list) {
      if (g.b === 'Phi' || g.b === 'phi') consts.set(`${g.id}_A`, { name: `${g.id}_A`, type: 'f64', values: g.a, doc: `scales a of the terms c·z^${g.e}·${g.b}(a z)` });
      consts.set(`${g.id}_C`, { name: `${g.id}_C`, type: 'f64', values: g.c, doc: `coefficients c of the terms c·z^${g.e}·${g.b}(a z)` });
      if (isShifted(g)) consts.set(`${g.id}_T`, { name: `${g.id}_T`, type: 'f64', values: g.t, doc: `thresholds t of the terms c·z^${g.e}·θ(z − t)` });
    }
  const byKey = new Map<string, string>();
  const patternFns: Fn[] = [];
  let anyShifted = false;
  const fnOf = (pc: PatternCode): string => {
    if (!pc.aug.length) return '1.0';
    const key = pc.shifted ? shiftedKey(pc.exp as ShiftedExpansion) : steinKey(pc.exp as SteinExpansion);
    let name = byKey.get(key);
    if (!name) {
      name = `pbTuple${byKey.size}`;
      byKey.set(key, name);
      anyShifted ||= pc.shifted;
      const what = `${pc.aug.length} augmented fields (${pc.aug.filter((s) => s.x).length} Φ indicators)`;
      patternFns.push(pc.shifted ? shiftedFunction(name, pc.exp as ShiftedExpansion, `E[Π u^e θ(u − t)] of ${what}, exact`) : steinFunction(name, pc.exp as SteinExpansion, `E[Π u^e θ] of ${what}, exact`));
    }
    return name;
  };
  const targetSlots = model.target.kind === 'general' ? model.k : 0;
  const fns = templates.map((t) => {
    const [fn] = parseKernel(templateSource(t, groups, reps, fnOf, targetSlots));
    return { ...fn, doc: `${plainTex(t.tex)}, exact in the Φ terms of its factors (Stein reduction in the augmented fields).` };
  });
  // the Stein kernels the pattern functions reach (Plackett's rule and its constants only where four indicators meet)
  const lib = new Map(parseKernel(anyShifted ? SHIFTED_SOURCE : STEIN_SOURCE).map((f) => [f.name, f]));
  const kept = new Set<string>();
  const visit = (f: Fn) => {
    for (const c of callsIn(f.body))
      if (lib.has(c) && !kept.has(c)) {
        kept.add(c);
        visit(lib.get(c) as Fn);
      }
  };
  patternFns.forEach(visit);
  if (kept.has('steinPlackett') || kept.has('shPlackett')) for (const c of steinConstants()) consts.set(c.name, c);
  if (kept.has('shBvn')) for (const c of shiftedConstants().filter((c) => c.name.startsWith('SH_'))) consts.set(c.name, c);
  return { fns: [...[...lib.values()].filter((f) => kept.has(f.name)), ...patternFns, ...fns] };
}

/** The templates of a model under probit:m as JavaScript functions of their covariance entries, for tests. */
export function probitTemplateFunctions(model: Model, m = DEFAULT_PROBIT_NODES): Record<string, (...c: number[]) => number> {
  const plan = probitPlan(model, m);
  const consts = new Map<string, Const>();
  const templates = Object.values(plan.templates);
  const { fns } = probitKernels({ model, plan, templates, consts, layout: undefined as never });
  const names = new Set(templates.map((t) => t.name));
  const module: Module = { header: [], prefix: 'pb', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [...consts.values()], functions: fns.map((f) => ({ ...f, exported: names.has(f.name) })) };
  return instantiate<Record<string, (...c: number[]) => number>>(module);
}

/** Sup-norm errors of the student's σ, σ′ and the teacher's representation (0 for exact members). */
export function probitSupErrors(model: Model, m: number): { s: number; d: number; g: number } {
  const st = repSupErrors(model.student, m);
  const g = model.target.kind === 'committee' ? repSupErrors(model.target.g, m).f : 0;
  return { s: st.f, d: st.d, g };
}

const parseNodes = (arg: number | undefined, where: Parameters<BackendDef['plan']>[2]): number => {
  const m = arg ?? DEFAULT_PROBIT_NODES;
  if (!(m >= 2 && m <= MAX_PROBIT_NODES)) throw usageError(`probit mixture nodes must be 2 to ${MAX_PROBIT_NODES}, got ${m}`, where);
  return m;
};

export const probitBackend: BackendDef = {
  name: 'probit',
  argument: { required: false, meta: 'M' },
  summary: 'exact in Φ and φ: GELU, SiLU, softplus, erf, tanh (M mixture nodes), polynomials and kinks anywhere (hard-tanh, relu(z - b)), in any pairing',
  plan(model, arg, where) {
    const m = parseNodes(arg, where);
    const reps = repsOf(model, m);
    if (typeof reps === 'string') throw usageError(reps, where);
    return probitPlan(model, m);
  },
  auto(model) {
    if (typeof repsOf(model, DEFAULT_PROBIT_NODES) === 'string') return undefined;
    const plan = probitPlan(model, DEFAULT_PROBIT_NODES);
    return plan.settings.cost <= PROBIT_AUTO_BUDGET ? plan : undefined;
  },
  kernels: probitKernels,
  tex: {
    intro: (plan) =>
      ` Each factor is a sum of terms c·z^e·b(a z) with b one of 1, θ, Φ, φ${plan.settings.mixture ? ` (tanh through the Kolmogorov scale mixture with ${plan.settings.mixture} nodes)` : ''}. A product of one term per slot is Π c_i · Π_φ (2π(1 + a_j² C_jj))^(−1/2) · E′[Π u_i^(e_i) · Π_θ θ(u_i) · Π_Φ θ(a_i u_i − ζ_i)]: each φ factor is folded into the covariance, C′ = C − a_j² C e_j e_jᵀ C/(1 + a_j² C_jj), and Φ(a u) = P(ζ ≤ a u) with an independent standard ζ; the last expectation is the exact Stein reduction to orthant probabilities in the augmented fields${plan.settings.shifted ? ' (a step may sit at a threshold, θ(u − t): Stein’s lemma with conditional means reduces it to orthant probabilities with shifted corners, the bivariate normal by Drezner–Wesolowsky’s integral, three and four fields by Plackett’s identity)' : ''}.`,
    template: () => ({ remark: '\\quad\\text{(exact, term by term)}' }),
  },
  // exact without a mixture: nothing to measure or announce
  measures: (plan) => plan.settings.mixture > 0,
  accuracy(ctx) {
    const m = ctx.plan.settings.nodes;
    const e = probitSupErrors(ctx.model, m);
    return [
      `probit accuracy (bounded uniformly in z, not measured at one state): the ${m}-node mixture represents σ to ${e.s.toExponential(1)}, σ′ to ${e.d.toExponential(1)}${ctx.model.target.kind === 'committee' ? ` and the teacher to ${e.g.toExponential(1)}` : ''} in sup norm on ℝ; each template is off by at most these times the Gaussian norms of the other factors — pass probit:M for more`,
    ];
  },
  along(model, plan) {
    if (!plan.settings.mixture) return undefined;
    const R = Math.min(MAX_PROBIT_NODES, plan.settings.nodes + 4);
    if (R === plan.settings.nodes) return undefined;
    return { request: `probit:${R}`, against: `the representation with ${R} mixture nodes`, cost: probitPlan(model, R).settings.cost, remedy: 'raise the nodes with --expectations probit:M' };
  },
  // measured: 6e-9 to 1.3e-7 s per cost unit (GELU on erf, GELU on tanh, hard-tanh on erf): the upper end
  seconds: (plan) => plan.settings.cost * 1.3e-7,
};

/** Equal keys: equal functions. */
const shiftedKey = (exp: ShiftedExpansion): string => polyKey(exp.n, `shifted:${exp.kinked}:${JSON.stringify(exp.symbols)}`, exp.poly);

/**
 * A shifted expansion as IR: arguments the covariance entries, then the thresholds t_b of the kinked
 * slots; C (regularised as steinRegularize does), the conditional covariances K^B, their ε-derivatives
 * D^B and means MU^B given u_B = t_B (each from the set without its highest slot), then the densities
 * and orthant probabilities as locals.
 */
function shiftedFunction(name: string, exp: ShiftedExpansion, doc: string): Fn {
  const n = exp.n;
  const args = covNames(n);
  const kinked = [...Array(n).keys()].filter((i) => exp.kinked & (1 << i));
  const pre = regularisedCovariance(n, exp.kinked, args);
  // the TypeScript printer allocates local arrays once per module, so every array is written whole
  // D0 where orthants or conditioning read it, MU0 where densities, orthants or conditioning do, T where orthants do
  const cond = exp.symbols.some((s) => s.kind !== 't' && s.B !== 0);
  const orthants = exp.symbols.some((s) => s.kind === 'P');
  const means = cond || orthants || exp.symbols.some((s) => s.kind === 'phi');
  if (cond || orthants) {
    pre.push(
      { k: 'array', name: 'D0', type: 'f64', size: n * n },
      { k: 'for', v: 'i', from: int(0), to: int(n * n), body: [{ k: 'store', arr: 'D0', i: v('i'), op: '=', value: num(0) }] },
    );
    for (let i = 0; i < n; i++) pre.push({ k: 'store', arr: 'D0', i: int(i * n + i), op: '=', value: num(1) });
  }
  if (means) {
    pre.push({ k: 'array', name: 'MU0', type: 'f64', size: n });
    for (let i = 0; i < n; i++) pre.push({ k: 'store', arr: 'MU0', i: int(i), op: '=', value: num(0) });
  }
  if (orthants) {
    pre.push({ k: 'array', name: 'T', type: 'f64', size: n });
    for (let i = 0; i < n; i++) pre.push({ k: 'store', arr: 'T', i: int(i), op: '=', value: kinked.includes(i) ? v(`t${i}`) : num(0) });
  }
  const have = new Set([0]);
  const need = (B: number): void => {
    if (!have.has(B)) {
      const top = 31 - Math.clz32(B);
      const from = B & ~(1 << top);
      need(from);
      pre.push(
        { k: 'array', name: `K${B}`, type: 'f64', size: n * n },
        { k: 'array', name: `D${B}`, type: 'f64', size: n * n },
        { k: 'array', name: `MU${B}`, type: 'f64', size: n },
        { k: 'do', e: call('shCondMean', v(`K${from}`), v(`MU${from}`), int(n), int(top), v(`t${top}`), v(`MU${B}`)) },
        { k: 'do', e: call('steinCondition', v(`K${from}`), v(`D${from}`), int(n), int(top), v(`K${B}`), v(`D${B}`)) },
      );
      have.add(B);
    }
  };
  const vars = exp.symbols.map((s): Expr => {
    if (s.kind === 't') return v(`t${s.b}`);
    const B = s.B;
    need(B);
    if (s.kind === 'c') return idx(`K${B}`, s.i * n + s.j);
    if (s.kind === 'm') return idx(`MU${B}`, s.i);
    const local = s.kind === 'phi' ? `f${B}_${s.b}` : `P${B}_${s.R}`;
    const value =
      s.kind === 'phi'
        ? call('shPhi', v(`K${B}`), v(`MU${B}`), v('K0'), int(n), int(s.b), v(`t${s.b}`))
        : call('shProb', v(`K${B}`), v(`D${B}`), v(`MU${B}`), v('T'), v('K0'), int(n), int(s.R));
    pre.push({ k: 'let', name: local, type: 'f64', init: value });
    return v(local);
  });
  const { stmts, value } = polyToStatements(exp.poly, vars);
  const params = [...args, ...kinked.map((i) => `t${i}`)].map((p) => ({ name: p, type: 'f64' as const }));
  return { name, params, ret: 'f64', body: [...pre, ...stmts, { k: 'return', value } as Stmt], doc };
}
