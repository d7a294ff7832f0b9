/**
 * The right-hand side written out in the overlaps, for the LaTeX a paper needs: when every template is
 * an exact polynomial (Wick), each template is composed with the covariance entries of its fields
 * (λ_jλ_l → Q_jl, λ_jν_r → M_jr, ν_rν_t → P_rt), the sums over indices are carried out at this p and
 * k, and dM_jr/dτ, dQ_jl/dτ (and da_j/dτ) become polynomials in M, Q, a and η̄, Δ, κ with exact
 * coefficients. The teacher overlaps P, the teacher weights and an untrained second layer are the
 * derivation's numbers; on the sphere (spherical, projected) Q_jj = 1.
 */
import { internal } from '../errors.ts';
import type { Equations, SExpr, Equation, Field, Ix } from '../ode/equations.ts';
import { Poly } from '../symbolic/poly.ts';
import { polyToTex } from '../ir/polyprint.ts';
import { Coef } from '../symbolic/coef.ts';
import { covIndex } from '../gaussian/wick.ts';
import { pIndex, qIndex } from '../ode/layout.ts';
import { templateCalls } from '../gaussian/plan.ts';

export interface OverlapEquation {
  /** LaTeX of the left-hand side, e.g. \frac{dM_{11}}{d\tau} */
  lhs: string;
  /** the state entry it is the derivative of (index into the state vector) */
  state: number;
  poly: Poly;
}

export interface OverlapSystem {
  /** LaTeX names of the polynomial variables */
  vars: string[];
  /** the variables as keys: "M<j>,<r>", "Q<j>,<l>", "a<j>", "eta_bar", "Delta", "kappa" (0-based) */
  keys: string[];
  /** indices of the parameters (η̄, Δ, κ) among the variables */
  params: number[];
  equations: OverlapEquation[];
  /** what was substituted, in words */
  assumptions: string[];
}

/** Template terms (calls × terms per template) above which the system is not written out. */
export const EXPLICIT_LIMIT = 2000;

/** The explicit system, or undefined when some expectation is not a polynomial or it would be too long. */
export function overlapSystem(eq: Equations): OverlapSystem | undefined {
  if (eq.moments.kind !== 'templates' || eq.templates.some((t) => !t.poly)) return undefined;
  // written out only while it is short enough to read (and to compute: the expansion grows as the
  // template calls, ~p⁴, times the terms of each template)
  const calls = templateCalls(eq.model);
  const size = eq.templates.reduce((acc, t) => acc + (calls[t.name] ?? 0) * (t.poly?.size ?? 0), 0);
  if (size > EXPLICIT_LIMIT) return undefined;
  const { model, layout: L } = eq;
  const { p, k } = model;
  const normalised = model.dynamics !== 'plain';
  const single = p === 1 && k === 1;
  // variables: M, Q (off-diagonal on the sphere), a when trained, η̄, Δ, κ
  const vars: string[] = [];
  const keys: string[] = [];
  const index = new Map<string, number>();
  const addVar = (key: string, tex: string) => {
    index.set(key, vars.length);
    vars.push(tex);
    keys.push(key);
  };
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) addVar(`M${j},${r}`, single ? 'm' : `M_{${j + 1}${r + 1}}`);
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) if (!(normalised && j === l)) addVar(`Q${j},${l}`, single ? 'q' : `Q_{${j + 1}${l + 1}}`);
  if (model.trainSecondLayer) for (let j = 0; j < p; j++) addVar(`a${j}`, p === 1 ? 'a' : `a_{${j + 1}}`);
  addVar('eta_bar', '\\bar\\eta');
  addVar('Delta', '\\Delta');
  if (model.trainSecondLayer) addVar('kappa', '\\kappa');
  for (const { reg } of model.regularisers) addVar(reg.param.name, reg.param.tex);
  const nv = vars.length;
  const num = (x: number) => Poly.constant(nv, Coef.fromNumber(x));
  const variable = (key: string) => Poly.variable(nv, index.get(key) as number);
  const params = L.defaultParams;
  const weights = model.target.kind === 'committee' ? model.target.weights : [];
  const Pent = (r: number, t: number) => num(params[L.P + pIndex(k, Math.min(r, t), Math.max(r, t))]);
  const Q = (j: number, l: number) => (normalised && j === l ? num(1) : variable(`Q${Math.min(j, l)},${Math.max(j, l)}`));
  const M = (j: number, r: number) => variable(`M${j},${r}`);
  const aOf = (j: number) => (model.trainSecondLayer ? variable(`a${j}`) : num(model.a0[j]));
  const cov = (x: Field, y: Field, env: Map<string, number>): Poly => {
    const i = ix(x.i, env);
    const m = ix(y.i, env);
    if (x.f === 'lambda' && y.f === 'lambda') return Q(i, m);
    if (x.f === 'lambda') return M(i, m);
    if (y.f === 'lambda') return M(m, i);
    return Pent(i, m);
  };
  const computed = new Map<string, Poly>();
  const key = (sym: string, ids: number[]) => `${sym}${ids.join(',')}`;
  const compose = (poly: Poly, args: Poly[]): Poly => {
    let out = Poly.zero(nv);
    for (const t of poly.terms()) {
      let term = Poly.constant(nv, t.c);
      t.exps.forEach((e, i) => {
        if (e > 0) term = term.mul(args[i].pow(e));
      });
      out = out.add(term);
    }
    return out;
  };
  const templates = new Map(eq.templates.map((t) => [t.name, t]));
  const evalS = (e: SExpr, env: Map<string, number>): Poly => {
    switch (e.k) {
      case 'num':
        return num(e.v);
      case 'par':
        return e.name === 'kappa' && !model.trainSecondLayer ? num(0) : variable(e.name);
      case 'dim':
        return num(e.name === 'p' ? p : k);
      case 'el': {
        const ids = e.ix.map((x) => ix(x, env));
        if (e.sym === 'M') return M(ids[0], ids[1]);
        if (e.sym === 'Q') return Q(ids[0], ids[1]);
        if (e.sym === 'a') return aOf(ids[0]);
        if (e.sym === 'w') return num(weights[ids[0]]);
        const v = computed.get(key(e.sym, ids));
        if (!v) throw internal(`${e.sym} ${ids} used before it is computed`);
        return v;
      }
      case 'add':
        return e.terms.reduce((acc, t) => acc.add(evalS(t, env)), Poly.zero(nv));
      case 'mul':
        return e.fs.reduce((acc, t) => acc.mul(evalS(t, env)), num(1));
      case 'neg':
        return evalS(e.a, env).scale(Coef.int(-1));
      case 'div': {
        const b = evalS(e.b, env);
        const c = b.terms();
        if (c.length !== 1 || c[0].exps.some((x) => x > 0)) throw internal('division by a non-constant');
        return evalS(e.a, env).scale(c[0].c.inverse());
      }
      case 'sum': {
        const n = e.over === 'p' ? p : k;
        let acc = Poly.zero(nv);
        const loop = (depth: number, envIn: Map<string, number>) => {
          if (depth === e.ix.length) {
            acc = acc.add(evalS(e.body, envIn));
            return;
          }
          for (let i = 0; i < n; i++) loop(depth + 1, new Map(envIn).set(e.ix[depth], i));
        };
        loop(0, env);
        return acc;
      }
      case 'tmpl': {
        const t = templates.get(e.name);
        if (!t?.poly) throw internal(`template ${e.name}`);
        const fields = [...e.fields, ...(e.allNu ? Array.from({ length: k }, (_, r) => ({ f: 'nu' as const, i: r })) : [])];
        const args: Poly[] = [];
        for (let i = 0; i < fields.length; i++) for (let j = i; j < fields.length; j++) args[covIndex(fields.length, i, j)] = cov(fields[i], fields[j], env);
        return compose(t.poly, args);
      }
    }
  };
  const run = (eqn: Equation, store: boolean): { ids: number[]; poly: Poly }[] => {
    const out: { ids: number[]; poly: Poly }[] = [];
    const loop = (depth: number, env: Map<string, number>, ids: number[]) => {
      if (depth === eqn.domain.length) {
        const poly = evalS(eqn.rhs, env);
        if (store) computed.set(key(eqn.lhs, ids), poly);
        out.push({ ids, poly });
        return;
      }
      const d = eqn.domain[depth];
      const n = d.over === 'p' ? p : k;
      for (let i = d.from ? (env.get(d.from) as number) : 0; i < n; i++) loop(depth + 1, new Map(env).set(d.ix, i), [...ids, i]);
    };
    loop(0, new Map(), []);
    // symmetric matrices: the lower triangle is the upper one
    if (store && eqn.symmetric) for (const { ids, poly } of out) computed.set(key(eqn.lhs, [...ids].reverse()), poly);
    return out;
  };
  for (const e of eq.moments.equations) run(e, true);
  const equations: OverlapEquation[] = [];
  for (const e of eq.rhs) {
    const res = run(e, true);
    if (e.lhs === 'r') continue;
    for (const { ids, poly } of res) {
      if (e.lhs === 'dQ' && normalised && ids[0] === ids[1]) continue;
      const name = e.lhs === 'dM' ? (single ? 'm' : `M_{${ids[0] + 1}${ids[1] + 1}}`) : e.lhs === 'dQ' ? (single ? 'q' : `Q_{${ids[0] + 1}${ids[1] + 1}}`) : p === 1 ? 'a' : `a_{${ids[0] + 1}}`;
      const state = e.lhs === 'dM' ? L.M + ids[0] * k + ids[1] : e.lhs === 'dQ' ? L.Q + qIndex(p, ids[0], ids[1]) : L.a + ids[0];
      equations.push({ lhs: `\\frac{d${name}}{d\\tau}`, state, poly });
    }
  }
  const assumptions: string[] = [];
  if (normalised) assumptions.push('Q_jj = 1 (the dynamics keep each neuron on the sphere)');
  const Pvals = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, t) => params[L.P + pIndex(k, Math.min(r, t), Math.max(r, t))]));
  const identity = Pvals.every((row, r) => row.every((v, t) => v === (r === t ? 1 : 0)));
  assumptions.push(identity ? 'P = I (orthonormal teacher)' : `P as in the file`);
  if (!model.trainSecondLayer) assumptions.push(`a = (${model.a0.join(', ')}) (not trained)`);
  if (single) assumptions.push('m = M_11, q = Q_11');
  const paramIdx = ['eta_bar', 'Delta', 'kappa', ...model.regularisers.map(({ reg }) => reg.param.name)].filter((x) => index.has(x)).map((x) => index.get(x) as number);
  return { vars, keys, params: paramIdx, equations, assumptions };
}

/**
 * A right-hand side grouped by powers of the parameters: 3m^2 - 3m^4 - \bar\eta\,(27m^5 + … + 48m) - …,
 * the overlap polynomial of each group in canonical order.
 */
export function groupedTex(sys: OverlapSystem, poly: Poly): string[] {
  const groups = new Map<string, { pexps: number[]; terms: { exps: number[]; c: Coef }[] }>();
  for (const t of poly.terms()) {
    const pexps = sys.params.map((i) => t.exps[i]);
    const key = pexps.join(',');
    const g = groups.get(key) ?? { pexps, terms: [] };
    g.terms.push({ exps: t.exps.map((e, i) => (sys.params.includes(i) ? 0 : e)), c: t.c });
    groups.set(key, g);
  }
  // the parameter-free group first, then by total degree in the parameters
  const ordered = [...groups.values()].sort((a, b) => a.pexps.reduce((x, y) => x + y, 0) - b.pexps.reduce((x, y) => x + y, 0) || b.pexps.join().localeCompare(a.pexps.join()));
  const parts: string[] = [];
  for (const g of ordered) {
    const par = g.pexps.map((e, i) => (e === 0 ? '' : e === 1 ? sys.vars[sys.params[i]] : `${sys.vars[sys.params[i]]}^{${e}}`)).filter(Boolean).join(' ');
    const inner = Poly.fromTerms(poly.nv, g.terms);
    let body = polyToTex(inner, sys.vars);
    if (!par) {
      parts.push(body);
      continue;
    }
    // a leading minus comes out of the bracket when every term is negative
    const allNeg = inner.terms().every((t) => t.c.toNumber() < 0);
    if (allNeg) body = polyToTex(inner.scale(Coef.int(-1)), sys.vars);
    const single = inner.terms().length === 1;
    parts.push(`${allNeg ? '- ' : '+ '}${single ? `${par}\\,${body}` : `${par}\\,\\big(${body}\\big)`}`);
  }
  return parts.map((x, i) => (i === 0 && x.startsWith('+ ') ? x.slice(2) : i > 0 && !/^[-+] /.test(x) ? `+ ${x}` : x));
}

function ix(x: Ix, env: Map<string, number>): number {
  if (typeof x === 'number') return x;
  const v = env.get(x);
  if (v === undefined) throw internal(`unbound index ${x}`);
  return v;
}
