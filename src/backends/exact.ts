/**
 * `exact`: kinks at 0 without error (THEORY §3.5). For a continuous piecewise-polynomial student
 * (ReLU, leaky ReLU, |z|) and a piecewise-polynomial teacher (jumps allowed: step, sign) or a
 * polynomial general target, every template is a polynomial in conditional covariances, densities at
 * 0 and orthant probabilities (gaussian/stein.ts); a template without σ or σ′ is Wick's. A polynomial
 * model is planned as `wick`.
 */
import type { Model } from '../hermite/model.ts';
import { modelTemplates, type ExpectationPlan, type SlotFactor, type Template, type TemplateImpl } from '../gaussian/plan.ts';
import { SteinEngine, indicatorTerms, STEIN_SOURCE, steinConstants, type Factor, type SteinExpansion, type SteinSymbol } from '../gaussian/stein.ts';
import { WickEngine } from '../gaussian/wick.ts';
import { piecewiseOf, piecewiseDerivative, type Piecewise } from '../hermite/piecewise.ts';
import { Poly } from '../symbolic/poly.ts';
import { Coef } from '../symbolic/coef.ts';
import { call, idx, int, num, v, type Expr, type Fn, type Stmt } from '../ir/ir.ts';
import { parseKernel } from '../ir/parse.ts';
import { polyToStatements, polyToTex } from '../ir/polyprint.ts';
import { covNames } from '../gaussian/wick.ts';
import { usageError } from '../errors.ts';
import { kinkedExactApplies, plainTex, polyFunction, polyKey, polyTemplate, sharedPolyFunctions, type PolyImpl } from './support.ts';
import { polynomialModel, polynomialTex, wickPlan } from './wick.ts';
import type { BackendDef } from './types.ts';

interface SteinImpl extends TemplateImpl {
  kind: 'stein';
  expansion: SteinExpansion;
}

/** Exact templates for kinked piecewise-polynomial models. */
function exactPlan(model: Model): ExpectationPlan {
  const sw = piecewiseOf(model.student) as Piecewise;
  const dsw = piecewiseDerivative(sw);
  const engines = new Map<number, SteinEngine>();
  const stein = (name: string, n: number, tex: string, factors: Factor[]): Template => {
    let e = engines.get(n);
    if (!e) engines.set(n, (e = new SteinEngine(n)));
    const impl: SteinImpl = { kind: 'stein', expansion: e.expectation(indicatorTerms(n, factors)) };
    return { name, slots: n, tex, impl };
  };
  const target = model.target;
  const gw = target.kind === 'committee' ? (piecewiseOf(target.g) as Piecewise) : undefined;
  const pw = { s: sw, g: gw as Piecewise, d: dsw } as const;
  const gstar = target.kind === 'general' ? (target.poly as Poly) : undefined;
  const k = model.k;
  const factor = (n: number, f: SlotFactor): Factor =>
    f.kind === 'target'
      ? { kind: 'poly', poly: (gstar as Poly).embed(n, Array.from({ length: k }, (_, r) => f.from + r)) }
      : f.kind === 'u'
        ? { kind: 'poly', poly: Poly.variable(n, f.slot) }
        : { kind: 'pw', slot: f.slot, pw: f.kind === 's' ? sw : dsw };
  const templates = modelTemplates(
    model,
    (name, _f, hs, tex) => {
      const n = hs.length;
      return stein(name, n, tex, hs.map((h, i): Factor => (h === 'u' ? { kind: 'poly', poly: Poly.variable(n, i) } : { kind: 'pw', slot: i, pw: pw[h] })));
    },
    (name, n, factors, tex) => {
      const F = factors.map((f) => factor(n, f));
      // a template without σ or σ′ (E[g*²]) has no kink: Wick alone
      if (factors.every((f) => f.kind === 'target' || f.kind === 'u'))
        return polyTemplate(name, n, tex, new WickEngine(n).expectation(F.reduce((acc, f) => acc.mul((f as { poly: Poly }).poly), Poly.constant(n, Coef.one))));
      return stein(name, n, tex, F);
    },
  );
  return {
    backend: 'exact',
    label: 'exact: Wick–Stein reduction of the kinks to orthant probabilities',
    scheme: 'templates',
    templates,
    settings: {},
    notes: ['kinks at 0 are exact: every expectation is a polynomial in conditional covariances, densities at 0 and orthant probabilities (P₄ by Plackett’s integral, to 1e-13)'],
  };
}

export const exactBackend: BackendDef = {
  name: 'exact',
  summary: 'exact for kinks at 0 (ReLU-type students, step/sign teachers) and polynomials',
  plan(model, _arg, where) {
    if (polynomialModel(model)) return wickPlan(model);
    if (kinkedExactApplies(model)) return exactPlan(model);
    throw usageError(
      'exact needs a continuous activation that is polynomial on each side of 0 (ReLU, leaky ReLU, |z|, polynomials) and a teacher of that kind (jumps allowed: step, sign) or a polynomial target',
      where,
    );
  },
  auto: (model) => (kinkedExactApplies(model) ? exactPlan(model) : undefined),
  kernels(ctx) {
    for (const c of steinConstants()) ctx.consts.set(c.name, c);
    const { fns, alias } = sharedPolyFunctions(ctx.templates, (t) => {
      if (t.impl.kind === 'poly') return { fn: polyFunction(t, (t.impl as PolyImpl).poly), key: polyKey(t.slots, '', (t.impl as PolyImpl).poly) };
      const exp = (t.impl as SteinImpl).expansion;
      return { fn: steinFunction(t.name, exp, `${plainTex(t.tex)}, exact (Stein reduction to orthant probabilities).`), key: steinKey(exp) };
    });
    return { fns: [...parseKernel(STEIN_SOURCE), ...fns], alias };
  },
  tex: {
    intro: () =>
      ' Exact for kinks at 0 (Stein reduction): C^B is the covariance given u_B = 0, φ^B_b = 1/√(2π C^B_bb) the density of u_b at 0, and P^B_R = P(u_i > 0 for i ∈ R, given u_B = 0) the orthant probability — ¼ + arcsin ρ/2π for two fields, ⅛ + (the sum of the three arcsin ρ)/4π for three, Plackett’s integral for four.',
    template(t) {
      if (t.impl.kind === 'poly') return (polynomialTex as NonNullable<typeof polynomialTex>)(t);
      const exp = (t.impl as SteinImpl).expansion;
      return { rhs: polyToTex(exp.poly, exp.symbols.map(steinSymbolTex)), long: true };
    },
  },
};

/** The function of a Stein expansion: its symbols at the covariance it is called with (entries c_ij, i ≤ j), then the polynomial. */
export function steinFunction(name: string, exp: SteinExpansion, doc: string): Fn {
  const args = covNames(exp.n);
  const { pre, vars } = steinSymbols(exp, args);
  const { stmts, value } = polyToStatements(exp.poly, vars);
  return { name, params: args.map((a) => ({ name: a, type: 'f64' as const })), ret: 'f64', body: [...pre, ...stmts, { k: 'return', value } as Stmt], doc };
}

/** Equal keys: equal functions. */
export const steinKey = (exp: SteinExpansion): string => polyKey(exp.n, `${exp.kinked}:${JSON.stringify(exp.symbols)}`, exp.poly);

/** C^{(B)}_{ij}, φ^{(B)}_b, P^{(B)}_R with slots numbered from 1 (B: the slots conditioned to 0). */
function steinSymbolTex(s: SteinSymbol): string {
  const slots = (m: number) => [...Array(31).keys()].filter((i) => m & (1 << i)).map((i) => i + 1).join('');
  const up = s.B ? `^{(${slots(s.B)})}` : '';
  if (s.kind === 'c') return `C${up}_{${s.i + 1}${s.j + 1}}`;
  if (s.kind === 'phi') return `\\varphi${up}_{${s.b + 1}}`;
  return `P${up}_{${slots(s.R)}}`;
}

/**
 * C, the full matrix of the covariance arguments (upper triangle, row by row), and K0: C regularised
 * where three or more kinked fields are nearly linearly dependent (steinRegularize).
 */
export function regularisedCovariance(n: number, kinked: number, args: string[]): Stmt[] {
  const pre: Stmt[] = [{ k: 'array', name: 'C', type: 'f64', size: n * n }];
  let a = 0;
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      pre.push({ k: 'store', arr: 'C', i: int(i * n + j), op: '=', value: v(args[a]) });
      if (i !== j) pre.push({ k: 'store', arr: 'C', i: int(j * n + i), op: '=', value: v(args[a]) });
      a++;
    }
  pre.push({ k: 'array', name: 'K0', type: 'f64', size: n * n }, { k: 'do', e: call('steinRegularize', v('C'), int(n), int(kinked), v('K0')) });
  return pre;
}

/**
 * The symbols of an exact kinked expansion as IR: C (the arguments as a full matrix), the conditional
 * covariances C^B given u_B = 0 (array KB, from the conditioning set without its highest slot), and
 * the densities φ^B_b and orthant probabilities P^B_R as locals.
 */
function steinSymbols(exp: SteinExpansion, args: string[]): { pre: Stmt[]; vars: Expr[] } {
  const n = exp.n;
  const pre = regularisedCovariance(n, exp.kinked, args);
  const needsD = exp.symbols.some((s) => s.kind === 'P' || s.B !== 0);
  if (needsD) {
    // D = dC/dε along C + εI: the direction in which singular covariances are approached
    // (the TypeScript printer allocates local arrays once per module, so D0 is written whole)
    pre.push(
      { k: 'array', name: 'D0', type: 'f64', size: n * n },
      { k: 'for', v: 'i', from: int(0), to: int(n * n), body: [{ k: 'store', arr: 'D0', i: v('i'), op: '=', value: num(0) }] },
    );
    for (let i = 0; i < n; i++) pre.push({ k: 'store', arr: 'D0', i: int(i * n + i), op: '=', value: num(1) });
  }
  const have = new Set([0]);
  const need = (B: number): string => {
    if (!have.has(B)) {
      const top = 31 - Math.clz32(B);
      const from = need(B & ~(1 << top)).slice(1);
      pre.push(
        { k: 'array', name: `K${B}`, type: 'f64', size: n * n },
        { k: 'array', name: `D${B}`, type: 'f64', size: n * n },
        { k: 'do', e: call('steinCondition', v(`K${from}`), v(`D${from}`), int(n), int(top), v(`K${B}`), v(`D${B}`)) },
      );
      have.add(B);
    }
    return `K${B}`;
  };
  const vars = exp.symbols.map((s): Expr => {
    if (s.kind === 'c') return idx(need(s.B), s.i * n + s.j);
    const name = s.kind === 'phi' ? `f${s.B}_${s.b}` : `P${s.B}_${s.R}`;
    const value =
      s.kind === 'phi'
        ? call('steinPhi', v(need(s.B)), v('K0'), int(n), int(s.b))
        : call('steinOrthant', v(need(s.B)), v(`D${s.B}`), v('K0'), int(n), int(s.R));
    pre.push({ k: 'let', name, type: 'f64', init: value });
    return v(name);
  });
  return { pre, vars };
}
