/**
 * hermode benchmarks (`npm run bench`). Not timed tests: each figure is measured once in this run
 * and ratios are taken within the run, because the machine is shared and noisy.
 */
import { create, all } from 'mathjs';
import { deriveFile, deriveSpec } from '../src/pipeline.ts';
import { parseSpec } from '../src/spec/load.ts';
import { compileModule } from '../src/codegen/compile.ts';
import { instantiate } from '../src/ir/js.ts';
import { covNames } from '../src/gaussian/wick.ts';
import { integrateOde, euler } from '../src/numeric/integrate.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { defaultOverlaps } from '../src/numeric/setup.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { table } from '../src/report/format.ts';
import { maxAbsDiff, maxAbsOf, maxOf } from '../src/extrema.ts';

const rows: (string | number)[][] = [];
const report = (what: string, value: string, aim: string) => {
  rows.push([what, value, aim]);
  console.error(`  ${what}: ${value}`);
};
const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
};
/** Median wall time of `reps` runs after `warm` warm-up runs (JIT steady state). */
const median = <T>(f: () => T, reps = 7, warm = 3): [T, number] => {
  for (let i = 0; i < warm; i++) f();
  const ts: number[] = [];
  let r!: T;
  for (let i = 0; i < reps; i++) {
    const [x, t] = time(f);
    r = x;
    ts.push(t);
  }
  ts.sort((a, b) => a - b);
  return [r, ts[Math.floor(reps / 2)]];
};

// ---- derive ----
deriveFile('derivations/saad-solla-erf.yaml'); // warm the module caches once
const [, tErf] = time(() => deriveFile('derivations/saad-solla-erf.yaml'));
report('derive erf p=k=2 (closed forms)', `${tErf.toFixed(0)} ms`, '< 1 s');
const he3p4 = `name: he3-p4
student: {width: 4, activation: "He3(z)/sqrt(6)"}
teacher: {width: 4, target: committee, activation: "He3(z)/sqrt(6)"}
loss: mse`;
const [dHe3, tHe3] = time(() => deriveSpec(parseSpec(he3p4)));
report('derive He3/√6 p=k=4 (Wick, MSE)', `${tHe3.toFixed(0)} ms`, '< 5 s');

// ---- generated RHS vs mathjs-compiled evaluation of the same expressions ----
const math = create(all, {});
function mathjsTwin(d: ReturnType<typeof deriveSpec>): ReturnType<typeof compileModule> {
  // the same module, with every template body (and every erf closed form) evaluated by mathjs-compiled expressions
  const erfForms: Record<string, string> = {
    erfI2: '2/pi*asin(c12/sqrt((1+c11)*(1+c22)))',
    erfJ2: '2/pi/sqrt((1+c11)*(1+c22)-c12^2)',
    erfI3: '2/pi*(c23*(1+c11)-c12*c13)/((1+c11)*sqrt((1+c11)*(1+c33)-c13^2))',
    erfI4: '4/(pi^2*sqrt(L4))*asin(L0/sqrt(L1*L2))'
      .replace(/L4/g, '((1+c11)*(1+c22)-c12^2)')
      .replace(/L0/g, '(((1+c11)*(1+c22)-c12^2)*c34-c23*c24*(1+c11)-c13*c14*(1+c22)+c12*c13*c24+c12*c14*c23)')
      .replace(/L1/g, '(((1+c11)*(1+c22)-c12^2)*(1+c33)-c23^2*(1+c11)-c13^2*(1+c22)+2*c12*c13*c23)')
      .replace(/L2/g, '(((1+c11)*(1+c22)-c12^2)*(1+c44)-c24^2*(1+c11)-c14^2*(1+c22)+2*c12*c14*c24)'),
  };
  const polyText = (t: (typeof d.plan.templates)[string]) => {
    if (!t.poly) return '';
    const vars = covNames(t.slots);
    return t.poly.terms().map((x) => [`(${x.c.toNumber()})`, ...x.exps.flatMap((e, i) => (e ? [`${vars[i]}^${e}`] : []))].join('*')).join(' + ') || '0';
  };
  const polys = new Map(Object.values(d.plan.templates).flatMap((t) => (t.poly ? [[t.name, polyText(t)] as const] : [])));
  const functions = d.module.functions.map((f) => {
    const text = erfForms[f.name] ?? polys.get(f.name);
    if (!text) return f;
    const compiled = math.compile(text);
    const names = f.params.map((p) => p.name);
    (globalThis as any)[`__mj_${f.name}`] = (...args: number[]) => compiled.evaluate(Object.fromEntries(names.map((n, i) => [n, args[i]])));
    return { ...f, body: [{ k: 'return' as const, value: { k: 'call' as const, fn: `__mj_${f.name}`, args: names.map((name) => ({ k: 'var' as const, name })) } }] };
  });
  // global JavaScript functions: the twin runs as JavaScript (WebAssembly cannot call them by name)
  return instantiate<ReturnType<typeof compileModule>>({ ...d.module, functions });
}

function rhsRate(gm: ReturnType<typeof compileModule>, y: number[], params: readonly number[], seconds: number): number {
  const dy = new Float64Array(y.length);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (let i = 0; i < 100; i++) gm.rhs(0, y, params, dy);
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

for (const [label, d] of [
  ['erf p=k=2', deriveFile('derivations/saad-solla-erf.yaml')],
  ['He3/√6 p=k=4 (Wick)', dHe3],
] as const) {
  const init = defaultOverlaps(d.model, 1, 0.3);
  const y = stateOf(init, d.layout);
  const gen = rhsRate(d.compiled, y, d.layout.defaultParams, 1.5);
  const mj = rhsRate(mathjsTwin(d), y, d.layout.defaultParams, 1.5);
  report(`RHS evaluations/s, ${label}`, `${gen.toExponential(2)} generated, ${mj.toExponential(2)} mathjs: ${(gen / mj).toFixed(0)}×`, '≥ 100×');
}

// ---- kinked student on a polynomial target: exact evaluator against tensor quadrature ----
{
  // ReLU p = 3 on the two-direction staircase ν1 + ν1ν2 (MSE: four kinked fields in I4ss): the exact
  // Stein evaluator against the tensor rule `auto` chose before it (11 nodes per field, 5 fields) and
  // the even rule it chooses now when it must use quadrature (10 nodes)
  const yaml = (e: string) => `name: relu3-staircase\nstudent: {width: 3, activation: "relu(z)"}\nteacher: {width: 2, target: "nu1 + nu1*nu2"}\nloss: mse\nexpectations: "${e}"\n`;
  const [exact, tExact] = time(() => deriveSpec(parseSpec(yaml('exact'))));
  const [q11, tQ11] = time(() => deriveSpec(parseSpec(yaml('quadrature:11'))));
  const init = defaultOverlaps(exact.model, 1, 0.3);
  const y = stateOf(init, exact.layout);
  const rE = rhsRate(exact.compiled, y, exact.layout.defaultParams, 1.5);
  const rQ = rhsRate(q11.compiled, y, q11.layout.defaultParams, 1.5);
  const mom = (d: typeof exact) => {
    const out = new Float64Array(d.layout.mom.size);
    d.compiled.moments(y, d.layout.defaultParams, out);
    return out;
  };
  const [mE, mQ] = [mom(exact), mom(q11)];
  const err = maxAbsDiff(mE, mQ) / maxAbsOf(mE);
  report('derive ReLU p=3 on ν1 + ν1ν2 (MSE)', `${tExact.toFixed(0)} ms exact, ${tQ11.toFixed(0)} ms quadrature:11`, '≤ quadrature');
  report('RHS evaluations/s, ReLU p=3 on ν1 + ν1ν2 (MSE)', `${rE.toExponential(2)} exact, ${rQ.toExponential(2)} quadrature:11: ${(rE / rQ).toFixed(0)}×; quadrature's relative error ${err.toExponential(1)}`, '≥ 1×');
}

// ---- tanh and sigmoid committees: the scale mixture against tensor quadrature and erf's closed forms ----
{
  // the same committee with tanh, erf(z/√2) (closed forms) and tanh by the whole-field Gauss–Hermite
  // rule auto took before the mixture; accuracy at a wide state (Q's eigenvalues 2–4) against mixture:24
  const yaml = (p: number, act: string, e: string) =>
    `name: c${p}\nstudent: {width: ${p}, activation: "${act}", second_layer: {train: false, init: [${Array(p).fill(1).join(', ')}]}}\nteacher: {width: 2, target: committee, activation: "${act}"}\nloss: mse\nexpectations: "${e}"\n`;
  for (const p of [2, 3]) {
    const [mix, tMix] = time(() => deriveSpec(parseSpec(yaml(p, 'tanh(z)', 'auto'))));
    const quad = deriveSpec(parseSpec(yaml(p, 'tanh(z)', `quadrature:${p === 2 ? 21 : 11}`)));
    const ref = deriveSpec(parseSpec(yaml(p, 'tanh(z)', 'mixture:24')));
    const erf = deriveSpec(parseSpec(yaml(p, 'erf(z/sqrt(2))', 'auto')));
    const init = defaultOverlaps(mix.model, 1, 0.3);
    const y = stateOf(init, mix.layout);
    const [rM, rQ, rE] = [rhsRate(mix.compiled, y, mix.layout.defaultParams, 1.5), rhsRate(quad.compiled, y, quad.layout.defaultParams, 1.5), rhsRate(erf.compiled, y, erf.layout.defaultParams, 1.5)];
    const Q = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? 3 : 0.5)));
    const M = Array.from({ length: p }, (_, j) => [1.2 - 0.2 * j, 0.3]);
    const yw = stateOf({ M, Q, a: mix.model.a0 }, mix.layout);
    const mom = (d: typeof mix) => {
      const out = new Float64Array(d.layout.mom.size);
      d.compiled.moments(yw, d.layout.defaultParams, out);
      return out;
    };
    const truth = mom(ref);
    const rel = (d: typeof mix) => maxAbsDiff(mom(d), truth) / maxAbsOf(truth);
    report(
      `tanh p=${p}, k=2 (MSE): RHS evaluations/s and error at a wide state`,
      `${rM.toExponential(2)} ${mix.plan.backend} (derive ${tMix.toFixed(0)} ms, error ${rel(mix).toExponential(1)}), ${rQ.toExponential(2)} ${quad.plan.backend}:${quad.plan.settings.nodes} (error ${rel(quad).toExponential(1)}); erf closed forms ${rE.toExponential(2)} (${(rE / rM).toFixed(0)}× the mixture)`,
      'mixture ≥ quadrature, error ≤ 1e-8',
    );
  }
}

// ---- kinks away from 0: probit's thresholds against the split rule and the tensor rule ----
{
  // hard-tanh on an erf committee (p = k = 2, MSE): probit (exact, what auto takes) against split:5 and the
  // tensor rule; differences at a wide state from split:12. ReLU on erf: probit (exact, what auto takes) against
  // split:5 and the tensor rule, errors against probit
  const yaml = (act: string, e: string) => `name: kink\nstudent: {width: 2, activation: "${act}", second_layer: {train: false, init: [1, 1]}}\nteacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\nexpectations: "${e}"\n`;
  const yw = (d: ReturnType<typeof deriveSpec>) => stateOf({ M: [[1.2, 0.3], [0.2, 1.1]], Q: [[3, 0.5], [0.5, 2.5]], a: [1, 1] }, d.layout);
  const mom = (d: ReturnType<typeof deriveSpec>) => {
    const out = new Float64Array(d.layout.mom.size);
    d.compiled.moments(yw(d), d.layout.defaultParams, out);
    return out;
  };
  {
    const pb = deriveSpec(parseSpec(yaml('max(-1, min(1, z))', 'auto')));
    const sp = deriveSpec(parseSpec(yaml('max(-1, min(1, z))', 'split:5')));
    const quad = deriveSpec(parseSpec(yaml('max(-1, min(1, z))', 'quadrature:20')));
    const truth = mom(deriveSpec(parseSpec(yaml('max(-1, min(1, z))', 'split:12'))));
    const rel = (d: typeof sp) => maxAbsDiff(mom(d), truth) / maxAbsOf(truth);
    const [rP, rS, rQ] = [rhsRate(pb.compiled, yw(pb), pb.layout.defaultParams, 1.5), rhsRate(sp.compiled, yw(sp), sp.layout.defaultParams, 2), rhsRate(quad.compiled, yw(quad), quad.layout.defaultParams, 1.5)];
    report('hard-tanh p=k=2 on erf (MSE): RHS evaluations/s and difference from split:12 at a wide state', `${rP.toExponential(2)} ${pb.plan.backend} (exact; ${rel(pb).toExponential(1)}), ${rS.toExponential(2)} split:5 (${rel(sp).toExponential(1)}), ${rQ.toExponential(2)} quadrature:20 (${rel(quad).toExponential(1)}, and its right-hand side jumps as nodes cross the kinks)`, 'probit ≥ split');
    const y0 = stateOf(defaultOverlaps(pb.model, 1), pb.layout);
    const t0 = performance.now();
    const res = integrateOde(pb.compiled, pb.layout, y0, pb.layout.defaultParams, { grid: Array.from({ length: 11 }, (_, i) => i), rtol: 1e-9, atol: 1e-11, P: defaultOverlaps(pb.model, 1).P, aFixed: [1, 1], maxSteps: 1e6 });
    report('hard-tanh p=k=2 on erf: integrate to τ = 10 (probit, odex rtol 1e-9)', `${((performance.now() - t0) / 1000).toFixed(2)} s, ${res.stats.evaluations} RHS evaluations`, '< 1 min');
  }
  {
    const pb = deriveSpec(parseSpec(yaml('relu(z)', 'auto')));
    const sp = deriveSpec(parseSpec(yaml('relu(z)', 'split:5')));
    const quad = deriveSpec(parseSpec(yaml('relu(z)', 'quadrature:20')));
    const truth = mom(pb);
    const rel = (d: typeof sp) => maxAbsDiff(mom(d), truth) / maxAbsOf(truth);
    const [rP, rS, rQ] = [rhsRate(pb.compiled, yw(pb), pb.layout.defaultParams, 1.5), rhsRate(sp.compiled, yw(sp), sp.layout.defaultParams, 2), rhsRate(quad.compiled, yw(quad), quad.layout.defaultParams, 1.5)];
    report('ReLU p=k=2 on erf (MSE): RHS evaluations/s, error at a wide state against the exact one', `${rP.toExponential(2)} ${pb.plan.backend} (exact), ${rS.toExponential(2)} split:5 (error ${rel(sp).toExponential(1)}), ${rQ.toExponential(2)} quadrature:20 (error ${rel(quad).toExponential(1)})`, 'probit ≥ split');
  }
}

// ---- GELU: the Φ representation against the tensor rule, and an integration ----
{
  // GELU students on erf and tanh committees: probit (what auto takes) against the tensor rule auto took
  // before (21 nodes over 4 fields, 11 over 5) and erf's closed forms; errors at a wide state against probit:20
  const yaml = (p: number, act: string, teacher: string, e: string) =>
    `name: g${p}\nstudent: {width: ${p}, activation: "${act}", second_layer: {train: false, init: [${Array(p).fill(1).join(', ')}]}}\nteacher: {width: 2, target: committee, activation: "${teacher}"}\nloss: mse\nexpectations: "${e}"\n`;
  const GELU = 'z*(1+erf(z/sqrt(2)))/2';
  for (const [p, teacher] of [[2, 'erf(z/sqrt(2))'], [2, 'tanh(z)'], [3, 'tanh(z)']] as const) {
    const pb = deriveSpec(parseSpec(yaml(p, GELU, teacher, 'auto')));
    const quad = deriveSpec(parseSpec(yaml(p, GELU, teacher, `quadrature:${p === 2 ? 21 : 11}`)));
    const truth = deriveSpec(parseSpec(yaml(p, GELU, teacher, 'probit:20')));
    const erf = deriveSpec(parseSpec(yaml(p, 'erf(z/sqrt(2))', 'erf(z/sqrt(2))', 'auto')));
    const Q = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? 3 : 0.5)));
    const M = Array.from({ length: p }, (_, j) => [1.2 - 0.2 * j, 0.3]);
    const yw = stateOf({ M, Q, a: pb.model.a0 }, pb.layout);
    const mom = (d: typeof pb) => {
      const out = new Float64Array(d.layout.mom.size);
      d.compiled.moments(yw, d.layout.defaultParams, out);
      return out;
    };
    const ref = mom(truth);
    const rel = (d: typeof pb) => maxAbsDiff(mom(d), ref) / maxAbsOf(ref);
    const y = stateOf(defaultOverlaps(pb.model, 1, 0.3), pb.layout);
    const [rP, rQ, rE] = [rhsRate(pb.compiled, y, pb.layout.defaultParams, 2), rhsRate(quad.compiled, y, quad.layout.defaultParams, 1.5), rhsRate(erf.compiled, y, erf.layout.defaultParams, 1)];
    report(
      `GELU p=${p}, k=2 on ${teacher.startsWith('erf') ? 'erf' : 'tanh'} (MSE): RHS evaluations/s and error at a wide state`,
      `${rP.toExponential(2)} ${pb.plan.backend} (error ${rel(pb).toExponential(1)}), ${rQ.toExponential(2)} quadrature:${quad.plan.settings.nodes} (error ${rel(quad).toExponential(1)}); erf closed forms ${rE.toExponential(2)} (${(rE / rP).toFixed(0)}× probit)`,
      'probit ≥ quadrature, error ≤ 1e-8',
    );
    if (p === 3) {
      // the default start, η̄ = 1 (the `integrate --tau 10` job), along-run accuracy check included
      const [res, tInt] = time(() => runIntegration(pb, { tauEnd: 10, points: 11 }));
      const it = res.meta.integrator as { evaluations: number };
      report('GELU p=3 on tanh k=2: integrate to τ = 10 (probit, odex rtol 1e-9, with the accuracy along the run)', `${(tInt / 1000).toFixed(1)} s, ${it.evaluations} RHS evaluations`, 'seconds');
    }
  }
}

// ---- every activation: what auto takes, its rate and its error at a wide state ----
{
  // p = k = 2 on an erf committee (MSE, fixed a); error of the moments at a wide state (Q_jj = 3) against
  // a converged evaluation of another structure or order: probit:20 for the tanh family, split:12 for kinks
  // away from 0 (for hard-tanh, exact under probit, the difference is split:12's own error), the exact evaluators themselves where auto's is exact
  const yaml = (act: string, e: string) => `name: act\nstudent: {width: 2, activation: "${act}", second_layer: {train: false, init: [1, 1]}}\nteacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\nexpectations: "${e}"\n`;
  const rows: [string, string, string | undefined][] = [
    ['erf', 'erf(z/sqrt(2))', undefined],
    ['ReLU', 'relu(z)', undefined],
    ['tanh', 'tanh(z)', 'mixture:24'],
    ['sigmoid', '1/(1+exp(-z))', 'mixture:24'],
    ['GELU', 'z*(1+erf(z/sqrt(2)))/2', undefined],
    ['SiLU', 'z/(1+exp(-z))', 'probit:13'],
    ['softplus', 'log(1+exp(z))', 'probit:13'],
    ['ELU', 'relu(z) + step(-z)*(exp(z)-1)', 'split:12'],
    ['hard-tanh', 'max(-1, min(1, z))', 'split:12'],
  ];
  for (const [label, act, refReq] of rows) {
    const d = deriveSpec(parseSpec(yaml(act, 'auto')));
    const yw = stateOf({ M: [[1.2, 0.3], [0.2, 1.1]], Q: [[3, 0.5], [0.5, 2.5]], a: [1, 1] }, d.layout);
    const mom = (x: typeof d) => {
      const out = new Float64Array(x.layout.mom.size);
      x.compiled.moments(yw, x.layout.defaultParams, out);
      return out;
    };
    let err = 'exact';
    if (refReq) {
      const truth = mom(deriveSpec(parseSpec(yaml(act, refReq))));
      err = `error ${(maxAbsDiff(mom(d), truth) / maxAbsOf(truth)).toExponential(1)} against ${refReq}`;
    }
    report(`activation ${label} p=k=2 on erf: auto's backend, RHS evaluations/s`, `${d.plan.backend}, ${rhsRate(d.compiled, yw, d.layout.defaultParams, 1).toExponential(2)}, ${err}`, '');
  }
}

// ---- kernels: the WebAssembly module against the TypeScript printer's JavaScript (same IR, equal bit for bit) ----
{
  const { wasmModule } = await import('../src/ir/print-wasm.ts');
  const { instantiateWasm } = await import('../src/ir/wasm.ts');
  for (const [label, file] of [
    ['erf p = k = 2 (closed forms)', 'derivations/saad-solla-erf.yaml'],
    ['ReLU p = k = 2 (exact, Plackett)', 'derivations/relu-committee.yaml'],
    ['He3 time complexity (Wick)', 'derivations/he3-time-complexity.yaml'],
  ] as const) {
    const d = deriveFile(file);
    const y = stateOf(defaultOverlaps(d.model, 1, 0.3), d.layout);
    type G = ReturnType<typeof compileModule>;
    const wa = instantiateWasm<G>(wasmModule(d.module));
    const js = instantiate<G>(d.module);
    // the first 200 calls of a fresh module (µs per call), then the warm rate, interleaved
    const first = (g: G) => {
      const dy = new Float64Array(y.length);
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) g.rhs(0, y, d.layout.defaultParams, dy);
      return ((performance.now() - t0) / 200) * 1000;
    };
    const [fw, fj] = [first(wa), first(js)];
    const rates = [0, 1, 2].map(() => [rhsRate(wa, y, d.layout.defaultParams, 0.5), rhsRate(js, y, d.layout.defaultParams, 0.5)]);
    const [rw, rj] = [maxOf(rates.map((r) => r[0])), maxOf(rates.map((r) => r[1]))];
    report(`RHS, ${label}: WebAssembly / JavaScript kernels`, `first 200 calls ${fw.toFixed(1)} / ${fj.toFixed(1)} µs per call; warm ${rw.toExponential(2)} / ${rj.toExponential(2)} per s (${(rw / rj).toFixed(2)}×)`, 'wasm ≥ js');
  }
}

// ---- integrate the classic Saad–Solla committee ----
{
  const d = deriveFile('derivations/saad-solla-erf-classic.yaml');
  const eta = 0.5;
  const alphaEnd = 1000;
  const tauEnd = eta * alphaEnd;
  const init = defaultOverlaps(d.model, 1);
  const y0 = stateOf(init, d.layout);
  const params = [...d.layout.defaultParams];
  params[d.layout.etaBar] = eta;
  // errors are taken along the whole trajectory (201 points): at α = 1000 every method sits on the fixed point
  const grid = Array.from({ length: 201 }, (_, i) => (tauEnd * i) / 200);
  const run = (rtol: number) => integrateOde(d.compiled, d.layout, y0, params, { grid, rtol, atol: rtol * 1e-2, P: init.P, aFixed: init.a, maxSteps: 1e6 });
  const ref = run(1e-13);
  const maxErr = (ys: number[][]) => maxOf(ys.map((y, g) => maxAbsDiff(y, ref.y[g])));
  const eulerOnGrid = (dAlpha: number) => {
    const out: number[][] = [y0.slice()];
    let y = y0.slice();
    for (let g = 1; g < grid.length; g++) {
      y = euler(d.compiled, y, params, grid[g] - grid[g - 1], eta * dAlpha);
      out.push(y);
    }
    return out;
  };
  const [sol, tOdex] = median(() => run(1e-8));
  const [ye, tEuler] = median(() => eulerOnGrid(0.01), 3, 1);
  const errOdex = maxErr(sol.y);
  const errEuler = maxErr(ye);
  report('integrate Saad–Solla (η = 0.5, α ≤ 1000), odex rtol 1e-8', `${tOdex.toFixed(1)} ms, ${sol.stats.evaluations} RHS evaluations, max error ${errOdex.toExponential(1)}`, '');
  report('  fixed-step Euler dα = 0.01 (the classic codes)', `${tEuler.toFixed(0)} ms, max error ${errEuler.toExponential(1)}`, '');
  report('  odex rtol 1e-8 against Euler', `${(tEuler / tOdex).toFixed(0)}× faster, error ${(errEuler / errOdex).toExponential(1)}× smaller`, '');
  // the loosest tolerance whose error is still at most Euler's: the equal-accuracy comparison
  for (const rtol of [1e-4, 1e-5, 1e-6, 1e-7]) {
    const [s2, t2] = median(() => run(rtol));
    const e2 = maxErr(s2.y);
    if (e2 <= errEuler) {
      const evals = Math.round(tauEnd / (eta * 0.01));
      report(
        `  odex rtol ${rtol} (error ${e2.toExponential(1)} ≤ Euler's)`,
        `${t2.toFixed(1)} ms: ${(tEuler / t2).toFixed(0)}× faster than Euler; ${s2.stats.evaluations} vs ${evals} RHS evaluations (${(evals / s2.stats.evaluations).toFixed(0)}×)`,
        '≥ 20× at equal or better accuracy',
      );
      break;
    }
  }
}

// ---- the stiff integrator against odex (Saad–Solla erf p = k = 2, η̄ = 0.5, rtol 1e-9; interleaved, median of 5) ----
{
  const d = deriveFile('derivations/saad-solla-erf.yaml');
  const jobs: [string, number, number | undefined][] = [
    ['to α = 10⁴ (τ = 5000)', 5000, undefined],
    ['to α = 10⁵ (τ = 50000), far past convergence', 50000, undefined],
    ['through the plateau (m₀ = 10⁻⁶, τ = 3000)', 3000, 1e-6],
  ];
  for (const [what, tauEnd, m0] of jobs) {
    const init = m0 !== undefined ? defaultOverlaps(d.model, 1, m0) : undefined;
    const go = (integrator: 'odex' | 'implicit') => runIntegration(d, { tauEnd, sets: { eta_bar: 0.5 }, init, integrator, measureAccuracy: false });
    const tOdex: number[] = [];
    const tImp: number[] = [];
    let a = go('odex');
    let b = go('implicit');
    for (let r = 0; r < 5; r++) {
      tOdex.push(time(() => (a = go('odex')))[1]);
      tImp.push(time(() => (b = go('implicit')))[1]);
    }
    const med = (xs: number[]) => xs.slice().sort((x, y) => x - y)[2];
    const ia = a.meta.integrator as { accepted: number; evaluations: number };
    const ib = b.meta.integrator as { accepted: number; evaluations: number; jacobians: number };
    report(`integrator ${what}: odex / implicit`, `${med(tOdex).toFixed(0)} ms (${ia.accepted} steps, ${ia.evaluations} evaluations) / ${med(tImp).toFixed(0)} ms (${ib.accepted} steps, ${ib.evaluations} evaluations, ${ib.jacobians} Jacobians): implicit ${(med(tOdex) / med(tImp)).toFixed(2)}× odex's speed`, 'auto takes odex unless implicit wins');
  }
}

// ---- wide smooth students: tanh p = k = 20 under MSE through hermite:6 ----
{
  const wide = `name: tanh-p20
student: {width: 20, activation: "tanh(z)"}
teacher: {width: 20, target: committee, activation: "tanh(z)"}
loss: mse`;
  const [dw, tw] = time(() => deriveSpec(parseSpec(wide), 'hermite:6'));
  const init = defaultOverlaps(dw.model, 1);
  const y = stateOf(init, dw.layout);
  const rate = rhsRate(dw.compiled, y, dw.layout.defaultParams, 2);
  report('tanh p = k = 20 (MSE), hermite:6: derive / RHS evaluations/s', `${(tw / 1000).toFixed(2)} s / ${rate.toExponential(2)} (integrating to τ = 20 takes ~165 evaluations)`, 'derive < 5 s');
  // the same models through the lattice backend (auto's choice): accurate drift, stated V error
  for (const p of [10, 20]) {
    const [dl, tl] = time(() => deriveSpec(parseSpec(wide.replace(/width: 20/g, `width: ${p}`)), 'lattice'));
    const yl = stateOf(defaultOverlaps(dl.model, 1), dl.layout);
    const rl = rhsRate(dl.compiled, yl, dl.layout.defaultParams, 2);
    report(`tanh p = k = ${p} (MSE), lattice (auto): derive / RHS evaluations/s`, `${(tl / 1000).toFixed(2)} s / ${rl.toExponential(2)} (τ = 20 takes ~${p === 10 ? 211 : 165} evaluations)`, 'derive < 5 s');
  }
}

// ---- learning-rate rules: the ODE's right-hand side under LARS, the simulators' overhead ----
{
  const { OverlapRules } = await import('../src/numeric/rules.ts');
  const { resolveRules } = await import('../src/rules/spec.ts');
  const { runSeed } = await import('../src/simulate/kernel.ts');
  const { kernelConfig } = await import('../src/simulate/simulate.ts');
  const d = deriveFile('derivations/saad-solla-erf.yaml');
  const L = d.layout;
  const init = { M: [[0.5, 0.1], [0.05, 0.45]], Q: [[1, 0.1], [0.1, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };
  const y = stateOf(init, L);
  const ev = new OverlapRules(resolveRules({ lrRule: 'lars' }, { gamma0: '0.01' }), { gm: d.compiled, L, d: 1000, P: init.P, aFixed: init.a, params: [...L.defaultParams], loss: 'mse', nb: 10 });
  const pr = [...L.defaultParams];
  const dy = new Float64Array(y.length);
  const rate = (f: () => void) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1500) {
      for (let i = 0; i < 100; i++) f();
      n += 100;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  const plain = rate(() => d.compiled.rhs(0, y, pr, dy));
  const once = rate(() => {
    const r = ev.at(0, 0, y);
    pr[L.etaBar] = r.etaBar;
    d.compiled.rhsFromMoments(0, y, pr, r.mom as Float64Array, dy);
  });
  const twice = rate(() => {
    const r = ev.at(0, 0, y);
    pr[L.etaBar] = r.etaBar;
    d.compiled.rhs(0, y, pr, dy);
  });
  report('RHS evaluations/s under LARS, erf p=k=2: moments once (rhsFromMoments) / twice / no rule', `${once.toExponential(2)} / ${twice.toExponential(2)} / ${plain.toExponential(2)}`, 'once > twice');
  // simulators: the same run under a constant rate, LARS and CBLR (n_b = 10, d = 1000, 5000 steps; rates of the same order)
  const params = [...L.defaultParams];
  const base = { d: 1000, nb: 10, params, steps: 5000, record: [0, 5000], teacher: 'orthonormal' as const, init };
  const cConst = kernelConfig(d, { ...base, gamma: 0.01 });
  const cLars = kernelConfig(d, { ...base, gamma: NaN, rules: resolveRules({ lrRule: 'lars' }, { gamma0: '0.01' }) });
  const cCblr = kernelConfig(d, { ...base, gamma: NaN, rules: resolveRules({ lrRule: 'cblr' }, { gamma0: '0.001' }) });
  const [, tConst] = median(() => runSeed(cConst, 1), 3, 1);
  const [, tLars] = median(() => runSeed(cLars, 1), 3, 1);
  const [, tCblr] = median(() => runSeed(cCblr, 1), 3, 1);
  report('full simulator n_b = 10, d = 1000: LARS / CBLR time over constant γ', `${(tLars / tConst).toFixed(2)} / ${(tCblr / tConst).toFixed(2)} (${((tConst / 5000) * 1e3).toFixed(0)} µs/step constant)`, 'LARS ≈ 1, CBLR ≈ 2 (a second batch)');
}

// ---- simulators ----
{
  const { Rng } = await import('../src/random/rng.ts');
  const { runSeed } = await import('../src/simulate/kernel.ts');
  const { runReducedSeed } = await import('../src/simulate/reduced.ts');
  const { kernelSources } = await import('../src/simulate/sources.ts');
  const { spawnSync } = await import('node:child_process');
  // Gaussian draws per second (block fill, one core)
  const rng = new Rng(1);
  const buf = new Float64Array(1000);
  const [, tRng] = median(() => {
    for (let b = 0; b < 20000; b++) rng.fillNormal(buf);
  }, 5, 1);
  const drawRate = 2e7 / (tRng / 1000);
  report('Gaussian draws/s, one core (xoshiro128** + ziggurat)', `${drawRate.toExponential(2)}`, '≥ 6·10⁷');
  // full simulator, erf p = k = 2, d = 1000, n_b = 1
  const d = deriveFile('derivations/saad-solla-erf.yaml');
  const D = 1000;
  const steps = 100000;
  const cfg = {
    p: 2, k: 2, d: D, nb: 1, gamma: 1 / D, kappa: 0, trainA: false, Delta: 0, residualWeight: 1, dynamics: 'plain' as const,
    steps, record: [0, steps], P: [[1, 0], [0, 1]], teacher: 'orthonormal' as const, init: null, a0: [1, 1], ...kernelSources(d.model),
  };
  const [, tFull] = median(() => runSeed(cfg, 1), 3, 1);
  const coordRate = (steps * D) / (tFull / 1000);
  const [, tRngOnly] = median(() => {
    for (let s = 0; s < steps; s++) rng.fillNormal(buf, D);
  }, 3, 1);
  report('full simulator erf p=k=2, d=1000, n_b=1: input coordinates/s', `${coordRate.toExponential(2)} (${((tFull / steps) * 1e3).toFixed(1)} µs/step)`, '');
  report('  ratio to the RNG-only loop', `${(tFull / tRngOnly).toFixed(2)}`, '≤ 2');
  // (no ratio to another program here: a comparison needs both measured in one run, on one core)
  report('  10⁶ steps (extrapolated ×10 from 10⁵, in process)', `${((tFull * 10) / 1000).toFixed(1)} s`, '');
  // reduced simulator at d = 10³ and 10⁶
  for (const Dr of [1000, 1_000_000]) {
    const rcfg = { ...cfg, d: Dr, gamma: 1 / Dr, steps: 200000, record: [0, 200000] };
    const [, tRed] = median(() => runReducedSeed(rcfg, 1), 3, 1);
    report(`reduced simulator steps/s, d = ${Dr.toExponential(0)}`, `${(200000 / (tRed / 1000)).toExponential(2)}`, 'equal within noise');
  }
  // memory: peak RSS of a d = 10⁴, p = 8 run, in a child process
  const rssOf = (steps: string) =>
    JSON.parse((spawnSync(process.execPath, ['--import', 'tsx', 'bench/rss.ts', '10000', '8', steps], { encoding: 'utf8' }).stdout.trim().split('\n').pop() as string)).maxRssMB as number;
  const rss = rssOf('2000');
  const base = rssOf('1');
  report('peak RSS, full simulator d = 10⁴, p = 8, 2000 steps', `${rss.toFixed(0)} MB (${base.toFixed(0)} MB for 1 step: runtime and libraries; weights 0.64 MB)`, '');
}

console.log(table(['benchmark', 'measured (this run)', 'aim'], rows, ['l', 'l', 'l']));
