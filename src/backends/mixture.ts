/**
 * `mixture:m`: committees whose student and teacher are each c₀ + A·tanh(b z) (tanh, the logistic
 * sigmoid) or c₀ + A·erf(b z), through the Gaussian scale mixture tanh(x) = E_K[erf(x/(√2K))] (THEORY
 * §3.7). With the m-node Gauss rule on the mixing law (gaussian/kolmogorov.ts), σ = c₀ + A Σ_i w_i g(s_i z)
 * with g = erf(·/√2), s_i = √2 b c_i, and σ′ = A Σ_i w_i s_i g′(s_i z): every template is a sum of the erf
 * closed forms of Saad & Solla at rescaled covariances — one term per tuple of nodes — plus the constants'
 * terms that parity leaves (c₀c₀′ in I2, c₀c₀′·J2 in I4). An erf factor is a one-node mixture (exact).
 *
 * The error is bounded uniformly in the state: |σ̃ − σ| ≤ |A| ε_m and |σ̃′ − σ′| ≤ |A| b ε′_m for all z,
 * with ε_m, ε′_m the sup-norm errors of the rule for tanh and sech² (about 2e-8 and 5e-8 at m = 13),
 * so each template is off by at most the bound the note states, at every covariance.
 */
import type { Activation } from '../hermite/activation.ts';
import type { Model } from '../hermite/model.ts';
import { modelTemplates, templateCalls, type ExpectationPlan, type SlotFn, type Template, type TemplateImpl } from '../gaussian/plan.ts';
import { logisticMixture, mixtureMember, memberNodes, type MixtureMember } from '../gaussian/kolmogorov.ts';

export { mixtureMember, memberNodes, type MixtureMember };
import { erfFamily, erfNum } from '../families/erf.ts';
import { covNames } from '../gaussian/wick.ts';
import { parseKernel } from '../ir/parse.ts';
import { instantiate } from '../ir/js.ts';
import type { Const, Module } from '../ir/ir.ts';
import { usageError, internal } from '../errors.ts';
import { maxOf } from '../extrema.ts';
import { f64Literal, plainTex } from './support.ts';
import type { BackendDef, KernelContext } from './types.ts';

/**
 * Mixture nodes when none are asked for: the worst relative error of I4 over 60 random covariances with
 * eigenvalues in [1e-3, 10] is 1.6e-9 at 13 nodes (7.8e-9 at 12, 1.1e-7 at 10; THEORY §3.7).
 */
export const DEFAULT_MIXTURE_NODES = 13;
/**
 * Closed forms per right-hand side `auto` accepts (about 0.1 s per evaluation: p = k = 4 costs 1.0e7);
 * wider committees go on to the lattice backend, faster there but accurate to about 1 % in V.
 */
export const MIXTURE_AUTO_BUDGET = 2e7;
/** The most nodes a request may ask for (I4 costs m⁴ closed forms). */
export const MAX_MIXTURE_NODES = 24;

interface MixtureImpl extends TemplateImpl {
  kind: 'mixture';
  fn: 'I2' | 'J2' | 'I3' | 'I4';
  hs: SlotFn[];
}

const committeeActs = (model: Model): [Activation, Activation] | undefined =>
  model.target.kind === 'committee' ? [model.student, model.target.g] : undefined;

/** Student and teacher members, or why the backend does not apply. */
function members(model: Model): { s: MixtureMember; g: MixtureMember } | string {
  const acts = committeeActs(model);
  if (!acts) return 'scale mixtures are for committee teachers';
  const [s, g] = acts.map((a) => mixtureMember(a.f));
  if (!s || !g) return `scale mixtures need student and teacher of the form c0 + A·tanh(b z) or c0 + A·erf(b z) (tanh, sigmoid, erf); ${!s ? `the student ${acts[0].expr.text}` : `the teacher ${acts[1].expr.text}`} is not`;
  return { s, g };
}

const nodesOf = (mem: MixtureMember, m: number) => (mem.kind === 'erf' ? 1 : m);

function mixturePlan(model: Model, m: number): ExpectationPlan {
  const mem = members(model);
  if (typeof mem === 'string') throw internal(mem);
  const count = { s: nodesOf(mem.s, m), g: nodesOf(mem.g, m), d: nodesOf(mem.s, m), u: 1 } as const;
  const calls = templateCalls(model);
  let cost = 0;
  const templates = modelTemplates(
    model,
    (name, fn, hs, tex): Template => {
      cost += (calls[name] ?? 0) * hs.reduce((x, h) => x * count[h], 1);
      const impl: MixtureImpl = { kind: 'mixture', fn, hs };
      return { name, slots: hs.length, tex, impl };
    },
    () => {
      throw internal('scale mixtures are for committees');
    },
  );
  const what = (x: MixtureMember) => (x.kind === 'erf' ? 'erf' : 'tanh');
  return {
    backend: 'mixture',
    label: `erf closed forms through a Gaussian scale mixture (${m} nodes on the Kolmogorov mixing law; student ${what(mem.s)}, teacher ${what(mem.g)}; ${cost.toExponential(1)} closed forms per right-hand side)`,
    scheme: 'templates',
    templates,
    settings: { nodes: m, cost },
    notes: ['tanh(x) = E_K[erf(x/(√2K))], K Kolmogorov: each expectation is a sum of erf closed forms over the mixture nodes, with an error bounded uniformly in the state'],
  };
}

const supErrors = new Map<number, { f: number; d: number }>();

/** Sup-norm errors of the m-node representation of tanh and sech² on [0, 15] (both are even/odd; beyond, both vanish or saturate); measured once per m. */
export function mixtureSupErrors(m: number): { f: number; d: number } {
  let hit = supErrors.get(m);
  if (!hit) supErrors.set(m, (hit = measureSupErrors(m)));
  return hit;
}

function measureSupErrors(m: number): { f: number; d: number } {
  const rule = logisticMixture(m);
  let f = 0;
  let d = 0;
  for (let i = 0; i <= 6000; i++) {
    const x = (i * 15) / 6000;
    let a = 0;
    let b = 0;
    for (let j = 0; j < rule.c.length; j++) {
      a += rule.w[j] * erfNum(rule.c[j] * x);
      b += ((rule.w[j] * rule.c[j] * 2) / Math.sqrt(Math.PI)) * Math.exp(-((rule.c[j] * x) ** 2));
    }
    f = Math.max(f, Math.abs(a - Math.tanh(x)));
    d = Math.max(d, Math.abs(b - 1 / Math.cosh(x) ** 2));
  }
  // the grid's spacing (2.5e-3) resolves the error's oscillations (period ≳ 0.3) to within a few per cent
  return { f: 1.05 * f, d: 1.05 * d };
}

/**
 * Uniform bounds on each template's error: with |σ̃−σ| ≤ e_s, |σ̃′−σ′| ≤ e_d, |g̃−g| ≤ e_g and the sup norms
 * of the factors, |E[Πf̃] − E[Πf]| ≤ Σ_slots e_slot Π_others sup|f| (I3: times √C₂₂ ≥ E|u₂|).
 */
export function mixtureBounds(model: Model, m: number): { I2: number; J2: number; I3: number; I4: number; fn: number; dfn: number } {
  const mem = members(model);
  if (typeof mem === 'string') throw internal(mem);
  const sup = mixtureSupErrors(m);
  const err = (x: MixtureMember) => (x.kind === 'erf' ? { f: 0, d: 0 } : { f: Math.abs(x.A) * sup.f, d: Math.abs(x.A * x.b) * sup.d });
  const norm = (x: MixtureMember) => ({ f: Math.abs(x.c0) + Math.abs(x.A), d: Math.abs(x.A * x.b) * (x.kind === 'erf' ? 2 / Math.sqrt(Math.PI) : 1) });
  const [es, eg, ns, ng] = [err(mem.s), err(mem.g), norm(mem.s), norm(mem.g)];
  const e = { s: es.f, g: eg.f, d: es.d };
  const n = { s: ns.f, g: ng.f, d: ns.d };
  const bound = (hs: ('s' | 'g' | 'd')[]) => {
    let total = 0;
    for (let i = 0; i < hs.length; i++) {
      let t = e[hs[i]];
      for (let j = 0; j < hs.length; j++) if (j !== i) t *= n[hs[j]] + (j < i ? e[hs[j]] : 0);
      total += t;
    }
    return total;
  };
  const worst = (...cases: ('s' | 'g' | 'd')[][]) => maxOf(cases.map(bound));
  return {
    I2: worst(['s', 's'], ['s', 'g'], ['g', 'g']),
    J2: bound(['d', 'd']),
    I3: worst(['d', 's'], ['d', 'g']),
    I4: worst(['d', 'd', 's', 's'], ['d', 'd', 's', 'g'], ['d', 'd', 'g', 'g']),
    fn: Math.max(e.s, e.g),
    dfn: e.d,
  };
}

const clampAsin = (x: string) => `asin(${x} > 1.0 ? 1.0 : ${x} < -1.0 ? -1.0 : ${x})`;
const TWO_PI = '0.63661977236758134';
const FOUR_PI2 = '0.40528473456935109';

/** The source of one template: loops over the nodes of each slot's mixture (arrays MIX_<h>_S, MIX_<h>_W). */
function templateSource(t: Template, c0: { s: number; g: number }, sizes: { s: number; g: number; d: number }): string {
  const impl = t.impl as MixtureImpl;
  const args = covNames(t.slots).map((x) => `${x}: f64`).join(', ');
  const S = (h: SlotFn) => `MIX_${h === 'd' ? 'S' : h.toUpperCase()}_S`;
  const W = (h: SlotFn) => `MIX_${h.toUpperCase()}_W`;
  const N = (h: SlotFn) => sizes[h as 's' | 'g' | 'd'];
  const c0c0 = (a: SlotFn, b: SlotFn) => c0[a as 's' | 'g'] * c0[b as 's' | 'g'];
  const head = `function ${t.name}(${args}): f64 {`;
  const [h1, h2, h3, h4] = impl.hs;
  // the σ′ node pairs (i, j) of J2 and I4: i ≤ j, twice off the diagonal, when the template is symmetric in them (\`sym\`)
  const pairLoops = `
  for (let i = 0; i < ${N('d')}; i++) {
    let si = MIX_S_S[i];
    let a11 = 1.0 + si * si * c11;
    for (let j = sym == 1 ? i : 0; j < ${N('d')}; j++) {
      let sj = MIX_S_S[j];
      let c12p = si * sj * c12;
      let twice = sym == 1 && j > i ? 2.0 : 1.0;`;
  switch (impl.fn) {
    case 'I2':
      return `${head}
  let q: f64[${N(h2)}];
  for (let l = 0; l < ${N(h2)}; l++) {
    let sl = ${S(h2)}[l];
    q[l] = sl / sqrt(1.0 + sl * sl * c22);
  }
  let acc = 0.0;
  for (let k = 0; k < ${N(h1)}; k++) {
    let sk = ${S(h1)}[k];
    let r = sk * c12 / sqrt(1.0 + sk * sk * c11);
    let inner = 0.0;
    for (let l = 0; l < ${N(h2)}; l++) {
      let x = r * q[l];
      inner += ${W(h2)}[l] * ${clampAsin('x')};
    }
    acc += ${W(h1)}[k] * inner;
  }
  return ${TWO_PI} * acc${c0c0(h1, h2) === 0 ? '' : ` + ${f64Literal(c0c0(h1, h2))}`};
}`;
    case 'J2':
      // symmetric in the node pair when c11 = c22 (the Q_jj equations): i ≤ j, off-diagonal pairs twice
      return `${head}
  let sym: int = c11 == c22 ? 1 : 0;
  let acc = 0.0;${pairLoops}
      acc += twice * MIX_D_W[i] * MIX_D_W[j] / sqrt(a11 * (1.0 + sj * sj * c22) - c12p * c12p);
    }
  }
  return ${TWO_PI} * acc;
}`;
    case 'I3':
      return `${head}
  let acc = 0.0;
  for (let i = 0; i < ${N('d')}; i++) {
    let si = MIX_S_S[i];
    let a11 = 1.0 + si * si * c11;
    let top = c23 * a11 - si * si * c12 * c13;
    let inner = 0.0;
    for (let k = 0; k < ${N(h3)}; k++) {
      let sk = ${S(h3)}[k];
      let c13p = si * sk * c13;
      inner += ${W(h3)}[k] * sk / sqrt(a11 * (1.0 + sk * sk * c33) - c13p * c13p);
    }
    acc += MIX_D_W[i] * top / a11 * inner;
  }
  return ${TWO_PI} * acc;
}`;
    case 'I4':
      // symmetric in the σ′ node pair when u1 and u2 have the same covariances (the Q_jj equations): i ≤ j, twice off the diagonal
      return `${head}
  let sym: int = c11 == c22 && c13 == c23 && c14 == c24 ? 1 : 0;
  let q: f64[${N(h4)}];
  let acc = 0.0;${pairLoops}
      let a22 = 1.0 + sj * sj * c22;
      let l4 = a11 * a22 - c12p * c12p;
      let x3 = l4 * c33 - sj * sj * c23 * c23 * a11 - si * si * c13 * c13 * a22 + 2.0 * c12p * si * sj * c13 * c23;
      let x4 = l4 * c44 - sj * sj * c24 * c24 * a11 - si * si * c14 * c14 * a22 + 2.0 * c12p * si * sj * c14 * c24;
      let x0 = l4 * c34 - sj * sj * c23 * c24 * a11 - si * si * c13 * c14 * a22 + c12p * si * sj * (c13 * c24 + c14 * c23);
      for (let l = 0; l < ${N(h4)}; l++) {
        let sl = ${S(h4)}[l];
        q[l] = sl / sqrt(l4 + sl * sl * (x4 > 0.0 ? x4 : 0.0));
      }
      let inner = 0.0;
      for (let k = 0; k < ${N(h3)}; k++) {
        let sk = ${S(h3)}[k];
        let r = sk * x0 / sqrt(l4 + sk * sk * (x3 > 0.0 ? x3 : 0.0));
        let part = 0.0;
        for (let l = 0; l < ${N(h4)}; l++) {
          let x = r * q[l];
          part += ${W(h4)}[l] * ${clampAsin('x')};
        }
        inner += ${W(h3)}[k] * part;
      }
      acc += twice * MIX_D_W[i] * MIX_D_W[j] * (${FOUR_PI2} * inner${c0c0(h3, h4) === 0 ? '' : ` + ${f64Literal(c0c0(h3, h4) * (2 / Math.PI))}`}) / sqrt(l4);
    }
  }
  return acc;
}`;
  }
}

function mixtureKernels({ model, plan, templates, consts }: KernelContext) {
  const mem = members(model);
  if (typeof mem === 'string') throw internal(mem);
  const m = plan.settings.nodes;
  const s = memberNodes(mem.s, m);
  const g = memberNodes(mem.g, m);
  const put = (name: string, values: number[], doc: string) => consts.set(name, { name, type: 'f64', values, doc });
  put('MIX_S_S', s.s, "scales s_i of the student's mixture σ = c0 + Σ W_i erf(s_i z/√2)");
  put('MIX_S_W', s.W, "weights W_i of the student's mixture (A included)");
  put('MIX_D_W', s.W.map((w, i) => w * s.s[i]), "weights W_i s_i of σ′ = Σ W_i s_i g′(s_i z), g′(x) = √(2/π) e^{−x²/2}");
  put('MIX_G_S', g.s, "scales of the teacher's mixture");
  put('MIX_G_W', g.W, "weights of the teacher's mixture (A included)");
  const sizes = { s: s.s.length, g: g.s.length, d: s.s.length };
  const fns = templates.map((t) => {
    const [fn] = parseKernel(templateSource(t, { s: mem.s.c0, g: mem.g.c0 }, sizes));
    return { ...fn, doc: `${plainTex(t.tex)}, a sum of erf closed forms over the mixture nodes.` };
  });
  return { fns };
}

/**
 * The templates of a model under mixture:m as JavaScript functions of their covariance entries
 * (upper triangle, row-major) — what the generated module calls, for tests and library users.
 */
export function mixtureTemplateFunctions(model: Model, m = DEFAULT_MIXTURE_NODES): Record<string, (...c: number[]) => number> {
  const plan = mixturePlan(model, m);
  const consts = new Map<string, Const>();
  const templates = Object.values(plan.templates);
  const { fns } = mixtureKernels({ model, plan, templates, consts, layout: undefined as never });
  const module: Module = { header: [], prefix: 'mix', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [...consts.values()], functions: fns.map((f) => ({ ...f, exported: true })) };
  return instantiate<Record<string, (...c: number[]) => number>>(module);
}

const parseNodes = (arg: number | undefined, where: Parameters<BackendDef['plan']>[2]): number => {
  const m = arg ?? DEFAULT_MIXTURE_NODES;
  if (!(m >= 2 && m <= MAX_MIXTURE_NODES)) throw usageError(`mixture nodes must be 2 to ${MAX_MIXTURE_NODES} (I4 costs m⁴ closed forms), got ${m}`, where);
  return m;
};

export const mixtureBackend: BackendDef = {
  name: 'mixture',
  // the I4 sum calls asin M⁴ times: as WebAssembly 2.3× slower than as JavaScript (tanh on tanh, p = k = 2, 13 nodes: 62 against 146 evaluations/s)
  evaluate: 'js',
  // measured: 7.7e-9 s per closed form at p = k = 2, 1.0e-8 at p = k = 3
  seconds: (plan) => plan.settings.cost * 1e-8,
  argument: { required: false, meta: 'M' },
  summary: 'erf closed forms through the scale mixture tanh = E_K[erf(·/√2K)] (committees of tanh, sigmoid, erf; uniform error bound)',
  plan(model, arg, where) {
    const m = parseNodes(arg, where);
    const mem = members(model);
    if (typeof mem === 'string') throw usageError(mem, where);
    return mixturePlan(model, m);
  },
  auto(model) {
    const mem = members(model);
    if (typeof mem === 'string') return undefined;
    const plan = mixturePlan(model, DEFAULT_MIXTURE_NODES);
    return plan.settings.cost <= MIXTURE_AUTO_BUDGET ? plan : undefined;
  },
  kernels: mixtureKernels,
  tex: {
    intro: (plan) =>
      ` Through the Gaussian scale mixture tanh x = E_K[erf(x/(√2 K))] (K Kolmogorov) with a ${plan.settings.nodes}-node Gauss rule on its law, σ(z) = c₀ + Σ_i W_i g(s_i z) with g(x) = erf(x/√2), and each template is a sum of the erf closed forms at C_ab → s_a s_b C_ab over the nodes of its slots.`,
    kernels: () => erfFamily.tex,
    template(t) {
      const impl = t.impl as MixtureImpl;
      const base = `${impl.fn === 'J2' ? 'J_2' : 'I_' + impl.fn.slice(1)}`;
      const idx = ['i', 'j', 'k', 'l'].slice(0, t.slots);
      const w = impl.hs.map((h, n) => (h === 'u' ? '' : `W^{(${h})}_{${idx[n]}}`)).join('');
      return { rhs: `\\sum ${w}\\, ${base}^{\\mathrm{erf}}(s_a s_b C_{ab})` + (impl.fn === 'I2' || impl.fn === 'I4' ? ' + c_0 c_0\' \\cdots' : '') };
    },
  },
  accuracy(ctx) {
    const m = ctx.plan.settings.nodes;
    const b = mixtureBounds(ctx.model, m);
    if (b.fn === 0 && b.dfn === 0) return ['mixture accuracy: exact (every factor is an erf, a one-node mixture)'];
    return [
      `mixture accuracy (bounded uniformly in the state, not measured at one): |σ̃ − σ| ≤ ${b.fn.toExponential(1)}, |σ̃′ − σ′| ≤ ${b.dfn.toExponential(1)} for all z with ${m} nodes; hence |ΔI2| ≤ ${b.I2.toExponential(1)}, |ΔJ2| ≤ ${b.J2.toExponential(1)}, |ΔI3| ≤ ${b.I3.toExponential(1)}·√C22, |ΔI4| ≤ ${b.I4.toExponential(1)} at every covariance — pass mixture:M for more (16 nodes: about 5e-9)`,
    ];
  },
  along(model, plan) {
    const mem = members(model);
    if (typeof mem === 'string' || (mem.s.kind === 'erf' && mem.g.kind === 'erf')) return undefined;
    const R = Math.min(MAX_MIXTURE_NODES, plan.settings.nodes + 4);
    if (R === plan.settings.nodes) return undefined;
    return { request: `mixture:${R}`, against: `the mixture with ${R} nodes`, cost: mixturePlan(model, R).settings.cost, remedy: 'raise the nodes with --expectations mixture:M' };
  },
};
