/**
 * Regenerates the figures in docs/ (one per reproduced prediction): `npm run docs` (all) or
 * `npm run docs -- escape` (one). Each figure is computed with the library, rendered to SVG with
 * vega-lite, and written atomically; the numbers behind it go to docs/<name>.json.
 */
import type { TopLevelSpec } from 'vega-lite';
import { readFileSync } from 'node:fs';
import {
  derive as deriveFile,
  deriveWith,
  loadSpecFile,
  loadAnySpecFile,
  renderSvg,
  writeFileAtomic,
  simulate,
  integrateOde,
  stateOf,
  type Overlaps,
  odeEscape,
  simEscape,
  typicalStart,
  criticalEtaBar,
  mapEscape,
  fitPowerLaw,
  deriveParamSpec,
  runGdgf,
  defaultInit,
  gdgfPlots,
  runGiant,
  giantPlots,
  parseSpec,
  deriveSpec,
  type GiantReport,
  integrate,
  compare,
  resolveRules,
  OverlapRules,
  diagnose,
  diagnosePlots,
  adaptiveTable,
} from '../src/index.ts';
import { maxAbsDiff, maxOf } from '../src/extrema.ts';

const one = [[1]];
const seeds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const save = async (name: string, spec: TopLevelSpec, data: unknown) => {
  writeFileAtomic(`docs/${name}.svg`, await renderSvg(spec));
  writeFileAtomic(`docs/${name}.json`, JSON.stringify(data) + '\n');
  console.log(`wrote docs/${name}.svg`);
};
const logx = (field: string, title: string) => ({ field, type: 'quantitative' as const, title, scale: { type: 'log' as const } });
/** ODE rows as lines, simulation rows as points with ±2 SEM rules (rows: {x, value, lo, hi, kind, series}). */
const odeSimLayers = (xField: string, xTitle: string, yTitle: string, size = 40) => {
  const color = { field: 'series', type: 'nominal', title: '' };
  const x = { field: xField, type: 'quantitative', title: xTitle };
  const sim = [{ filter: "datum.kind === 'simulation'" }];
  return [
    { transform: [{ filter: "datum.kind === 'ODE'" }], mark: 'line', encoding: { x, y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } }, color } },
    { transform: sim, mark: 'rule', encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    { transform: sim, mark: { type: 'point', filled: true, size }, encoding: { x, y: { field: 'value', type: 'quantitative' }, color } },
  ];
};

const figures: Record<string, () => Promise<void>> = {
  /** Prediction 1: at fixed η̄ the trajectory against samples does not depend on n_b. */
  async 'batch-size'() {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const init: Overlaps = { Q: [[1, 0.1], [0.1, 1]], M: [[0.4, 0.1], [0.1, 0.3]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const d = 1000;
    const eta = 1;
    const samples = 30000;
    const rows: Record<string, unknown>[] = [];
    for (const nb of [1, 4, 16]) {
      const gamma = (eta * nb) / d;
      const sim = await simulate(der, { timeLimit: Infinity, d, nb, steps: samples / nb, seeds: seeds(8), workers: 2, points: 31, logGrid: false, engine: 'full', teacher: 'orthonormal', gamma, params: [...der.layout.defaultParams], init, initSource: 'docs' });
      sim.samples.forEach((s, i) => rows.push({ samples: s, value: sim.mean.M[i][0][0], lo: sim.mean.M[i][0][0] - sim.sem.M[i][0][0], hi: sim.mean.M[i][0][0] + sim.sem.M[i][0][0], series: `simulation n_b = ${nb} (${samples / nb} steps)` }));
    }
    const params = [...der.layout.defaultParams];
    const grid = Array.from({ length: 121 }, (_, i) => (i * samples * eta) / d / 120);
    const sol = integrateOde(der.compiled, der.layout, stateOf(init, der.layout), params, { grid, P: init.P, aFixed: [1, 1] });
    sol.y.forEach((y, i) => rows.push({ samples: (grid[i] * d) / eta, value: y[0], series: 'ODE (any n_b)' }));
    await save('batch-size', {
      width: 560, height: 300, title: 'M₁₁ against samples at η̄ = 1 for n_b = 1, 4, 16 (erf committee, d = 1000)', data: { values: rows },
      layer: [
        { transform: [{ filter: "datum.series !== 'ODE (any n_b)'" }], mark: { type: 'point', size: 14, filled: true }, encoding: { x: { field: 'samples', type: 'quantitative', title: 'samples = n_b · steps' }, y: { field: 'value', type: 'quantitative', title: 'M₁₁', scale: { zero: false } }, color: { field: 'series', type: 'nominal', title: '' } } },
        { transform: [{ filter: "datum.series === 'ODE (any n_b)'" }], mark: { type: 'line', color: 'black' }, encoding: { x: { field: 'samples', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' } } },
      ],
    } as TopLevelSpec, rows);
  },

  /** Prediction 2: escape samples ∝ d, d log d, d^{ℓ−1}. */
  async escape() {
    const ds = [256, 1024, 4096, 16384, 65536, 262144];
    const rows: Record<string, unknown>[] = [];
    const fits: Record<string, unknown> = {};
    for (const ell of [1, 2, 3]) {
      const der = deriveFile(`derivations/he${ell}-single-index.yaml`);
      const samples: number[] = [];
      for (const d of ds) {
        const params = [...der.layout.defaultParams];
        const start = typicalStart(der, d, one);
        let eta = ell === 1 ? 0.5 : 0.1;
        if (ell === 3) eta = 0.5 * (criticalEtaBar(der, stateOf(start, der.layout), params, { threshold: 0.5, entry: null }) as number);
        params[der.layout.etaBar] = eta;
        const s = { der, d, nb: 1, gamma: eta / d, params, start, criterion: { threshold: 0.5, entry: null }, horizonSteps: 1e15 };
        const r = odeEscape(s);
        samples.push(r.samples as number);
        rows.push({ d, samples: (r.samples as number) / d ** (ell === 3 ? 2 : 1), series: `ℓ = ${ell}, ODE` });
        if (d <= 4096 && ell < 3) {
          const sim = await simEscape({ ...s, horizonSteps: 200 * d }, seeds(24), 'reduced', 2, null);
          if (sim.samples !== null) rows.push({ d, samples: sim.samples / d, lo: (sim.stepsQ1 as number) / d, hi: (sim.stepsQ3 ?? sim.samples) / d, series: `ℓ = ${ell}, simulation (median, quartiles)` });
        }
      }
      fits[`l${ell}`] = fitPowerLaw(ds, samples);
    }
    await save('escape-scaling', {
      width: 560, height: 320, title: 'escape samples / d^{ℓ−1} against d (He_ℓ pairs, spherical SGD, m₀ = d^{-1/2})', data: { values: rows },
      layer: [
        { transform: [{ filter: 'isValid(datum.lo)' }], mark: 'rule', encoding: { x: logx('d', 'd'), y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'series', type: 'nominal', title: '' } } },
        { mark: { type: 'line', point: true }, encoding: { x: logx('d', 'd'), y: { field: 'samples', type: 'quantitative', title: 'samples / d^{ℓ−1}', scale: { type: 'log' } }, color: { field: 'series', type: 'nominal', title: '' } } },
      ],
    } as TopLevelSpec, { rows, fits });
  },

  /** Prediction 3: below the critical η̄ the overlap escapes, above it decays. */
  async critical() {
    const der = deriveFile('derivations/he3-single-index.yaml');
    const warm: Overlaps = { Q: one, M: [[0.3]], P: one, a: [1] };
    const params = [...der.layout.defaultParams];
    const crit = criticalEtaBar(der, stateOf(warm, der.layout), params, { threshold: 0.5, entry: null }) as number;
    const rows: Record<string, unknown>[] = [];
    const d = 2000;
    for (const f of [0.5, 0.9, 1.1, 2]) {
      const eta = f * crit;
      params[der.layout.etaBar] = eta;
      const grid = Array.from({ length: 101 }, (_, i) => i * 0.02);
      const sol = integrateOde(der.compiled, der.layout, stateOf(warm, der.layout), params, { grid, P: one, aFixed: [1] });
      sol.y.forEach((y, i) => rows.push({ tau: grid[i], m: y[0], series: `η̄ = ${f} η̄_crit`, kind: 'ODE' }));
      const sim = await simulate(der, { timeLimit: Infinity, d, nb: 1, steps: Math.round(2 / (eta / d)), seeds: seeds(8), workers: 2, points: 11, logGrid: false, engine: 'reduced', teacher: 'orthonormal', gamma: eta / d, params: [...params], init: warm, initSource: 'docs' });
      sim.tau.forEach((t, i) => rows.push({ tau: t, m: sim.mean.M[i][0][0], series: `η̄ = ${f} η̄_crit`, kind: 'simulation' }));
    }
    await save('critical', {
      width: 560, height: 300, title: `He3/√6 from m = 0.3: escape below η̄_crit = ${crit.toFixed(4)}, decay above (ODE lines, simulation points, d = ${d})`, data: { values: rows },
      layer: [
        { transform: [{ filter: "datum.kind === 'ODE'" }], mark: 'line', encoding: { x: { field: 'tau', type: 'quantitative', title: 'τ' }, y: { field: 'm', type: 'quantitative', title: 'm = M₁₁' }, color: { field: 'series', type: 'nominal', title: '' } } },
        { transform: [{ filter: "datum.kind === 'simulation'" }], mark: { type: 'point', filled: true }, encoding: { x: { field: 'tau', type: 'quantitative' }, y: { field: 'm', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } } },
      ],
    } as TopLevelSpec, { crit, rows });
  },

  /** Prediction 4: (A)'s large-batch experiment, MSE against correlation loss. */
  async 'time-complexity'() {
    const spec = loadSpecFile('derivations/he3-time-complexity.yaml');
    const d = 256;
    const rows: Record<string, unknown>[] = [];
    for (const loss of ['mse', 'correlation'] as const) {
      const der = deriveWith(spec, { loss });
      for (const mu of [1, 1.25, 1.5, 1.75, 2]) {
        const nb = Math.round(d ** mu);
        const gamma = 0.032 * 4 * nb * d ** -1.5;
        const params = [...der.layout.defaultParams];
        params[der.layout.etaBar] = (gamma * d) / nb;
        const s = { der, d, nb, gamma, params, start: typicalStart(der, d, one), criterion: { threshold: 0.9, entry: null as null }, horizonSteps: 3000 };
        const m = mapEscape(s);
        rows.push({ nb, steps: m.steps ?? 3000, learned: m.steps !== null, series: `${loss}, map` });
        const sim = await simEscape({ ...s, horizonSteps: Math.min(3000, Math.max(60, 4 * (m.steps ?? 60))) }, seeds(8), 'reduced', 2, null);
        rows.push({ nb, steps: sim.steps ?? s.horizonSteps, learned: sim.steps !== null, lo: sim.stepsQ1, hi: sim.stepsQ3, series: `${loss}, simulation (median of 8)` });
      }
    }
    await save('time-complexity', {
      width: 560, height: 320, title: 'steps to max_j m_j > 0.9 against n_b = d^μ (d = 256, He3, p = 4, γ = 0.032 p n_b d^{-3/2}); hollow: not learned', data: { values: rows },
      layer: [
        { mark: { type: 'line', strokeDash: [4, 2] }, encoding: { x: logx('nb', 'n_b'), y: { field: 'steps', type: 'quantitative', title: 'steps', scale: { type: 'log' } }, color: { field: 'series', type: 'nominal', title: '' } } },
        { mark: { type: 'point', size: 60 }, encoding: { x: logx('nb', 'n_b'), y: { field: 'steps', type: 'quantitative', scale: { type: 'log' } }, color: { field: 'series', type: 'nominal' }, fill: { condition: { test: 'datum.learned', field: 'series', type: 'nominal' }, value: 'white' } } },
      ],
    } as TopLevelSpec, rows);
  },

  /** Prediction 5: correlation loss settles at m* < 1 with aligned neurons. */
  async correlation() {
    const der = deriveFile('derivations/he3-correlation.yaml');
    const start: Overlaps = { Q: [[1, 0.2], [0.2, 1]], M: [[0.6], [0.5]], P: one, a: [1, 1] };
    const rows: Record<string, unknown>[] = [];
    const d = 2000;
    for (const eta of [0.05, 0.1, 0.2]) {
      const params = [...der.layout.defaultParams];
      params[der.layout.etaBar] = eta;
      const grid = Array.from({ length: 81 }, (_, i) => i * 0.1);
      const sol = integrateOde(der.compiled, der.layout, stateOf(start, der.layout), params, { grid, P: one, aFixed: [1, 1] });
      sol.y.forEach((y, i) => {
        rows.push({ tau: grid[i], value: y[0], series: `m₁, η̄ = ${eta}`, kind: 'ODE' });
        rows.push({ tau: grid[i], value: y[3], series: `Q₁₂, η̄ = ${eta}`, kind: 'ODE' });
      });
      const sim = await simulate(der, { timeLimit: Infinity, d, nb: 1, steps: Math.round(8 / (eta / d)), seeds: seeds(8), workers: 2, points: 9, logGrid: false, engine: 'reduced', teacher: 'orthonormal', gamma: eta / d, params, init: start, initSource: 'docs' });
      sim.tau.forEach((t, i) => rows.push({ tau: t, value: sim.mean.M[i][0][0], series: `m₁, η̄ = ${eta}`, kind: 'simulation' }));
    }
    await save('correlation-fixed-point', {
      width: 560, height: 300, title: `correlation loss, He3/√6, p = 2: m → m*(η̄) < 1 and Q₁₂ → 1 (ODE lines, simulation points, d = ${d})`, data: { values: rows },
      layer: [
        { transform: [{ filter: "datum.kind === 'ODE'" }], mark: 'line', encoding: { x: { field: 'tau', type: 'quantitative', title: 'τ' }, y: { field: 'value', type: 'quantitative', title: 'overlap', scale: { zero: false } }, color: { field: 'series', type: 'nominal', title: '' } } },
        { transform: [{ filter: "datum.kind === 'simulation'" }], mark: { type: 'point', filled: true }, encoding: { x: { field: 'tau', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } } },
      ],
    } as TopLevelSpec, rows);
  },

  /** arXiv 2305.18270 (THEORY §4.3): one giant step, the readout, the staircase and a hard direction. */
  async giant() {
    const giant = async (yaml: string, o: { alphas?: number[]; kappas?: number[]; batch?: (d: number) => number; ds: number[]; steps: number; seeds: number; typical?: boolean }): Promise<GiantReport> => {
      const spec = parseSpec(yaml);
      const der = deriveSpec({ ...spec, dynamics: 'projected' });
      const { p, k } = der.model;
      const params = [...der.layout.defaultParams];
      const P = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, t) => (r === t ? 1 : 0)));
      return runGiant(der, {
        timeLimit: Infinity,
        alphas: o.alphas ?? [1], kappas: o.kappas ?? [1], batch: o.batch, ds: o.ds, steps: o.steps, gamma: 'giant', seeds: o.seeds, engine: 'reduced', simulate: true, ridge: 0, params, workers: 2,
        start: (d) => ({ M: Array.from({ length: p }, () => new Array(k).fill(o.typical ? 1 / Math.sqrt(d) : 0)), Q: Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, l) => (j === l ? 1 : 0))), P, a: der.model.a0.slice() }),
        initSource: o.typical ? 'M_jr = d^-1/2, Q = I' : 'M = 0, Q = I',
      });
    };
    const read = (f: string) => readFileSync(f, 'utf8');
    // 1 and 4: one giant step and the readout, ReLU p = 3 on (He1 + He2)/√3, α = 0.5, 2, 8
    const step = await giant(read('derivations/relu-giant-step.yaml'), { alphas: [0.5, 2, 8], ds: [10000], steps: 3, seeds: 8 });
    const [m, risk] = await giantPlots(step);
    writeFileAtomic('docs/giant-step.svg', m.svg);
    writeFileAtomic('docs/giant-readout.svg', risk.svg);
    writeFileAtomic('docs/giant-step.json', JSON.stringify(step) + '\n');
    console.log('wrote docs/giant-step.svg, docs/giant-readout.svg');
    // 3: the staircase ν1 + ν1ν2 with n = 4d: ReLU against tanh
    const rows: Record<string, unknown>[] = [];
    const stair: Record<string, GiantReport> = {};
    for (const act of ['relu(z)', 'tanh(z)']) {
      const r = await giant(`name: staircase\nstudent: {width: 2, activation: "${act}"}\nteacher: {width: 2, target: "nu1 + nu1*nu2"}\nloss: correlation\n`, { batch: (d) => 4 * d, ds: [4000], steps: 3, seeds: 8 });
      stair[act] = r;
      const c = r.cases[0];
      const sim = c.sim as NonNullable<typeof c.sim>;
      for (const q of [0, 1])
        c.steps.forEach((t, i) => {
          rows.push({ step: t, value: c.map.m[i][q], series: `${act.replace('(z)', '')} m${q + 1}`, kind: 'map' });
          rows.push({ step: t, value: sim.m[i][q], lo: sim.m[i][q] - 2 * sim.sem.m[i][q], hi: sim.m[i][q] + 2 * sim.sem.m[i][q], series: `${act.replace('(z)', '')} m${q + 1}`, kind: 'simulation' });
        });
    }
    const color = { field: 'series', type: 'nominal', title: '', legend: { labelLimit: 0 } } as const;
    await save('giant-staircase', {
      width: 520, height: 300, title: 'staircase ν1 + ν1ν2, n = 4d per step (d = 4000, p = 2): map (lines), simulation ± 2 SEM', data: { values: rows },
      layer: [
        { transform: [{ filter: "datum.kind === 'map'" }], mark: 'line', encoding: { x: { field: 'step', type: 'quantitative', title: 'step', axis: { tickMinStep: 1 } }, y: { field: 'value', type: 'quantitative', title: 'm_r' }, color } },
        { transform: [{ filter: "datum.kind === 'simulation'" }], mark: 'rule', encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
        { transform: [{ filter: "datum.kind === 'simulation'" }], mark: { type: 'point', filled: true }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color } },
      ],
    } as TopLevelSpec, stair);
    // 2: a hard direction (He2) from the typical start: one step with n = d^κ
    const hard = await giant('name: hard\nstudent: {width: 4, activation: "relu(z)"}\nteacher: {width: 1, target: "(nu1^2 - 1)/sqrt(2)"}\nloss: correlation\n', { alphas: [1], kappas: [1, 1.25, 1.5, 1.75, 2], ds: [100, 400, 1600], steps: 1, seeds: 16, typical: true });
    const hrows: Record<string, unknown>[] = [];
    for (const c of hard.cases) {
      const sim = c.sim as NonNullable<typeof c.sim>;
      const rms = Math.hypot(sim.m[1][0], sim.mSpread[1][0]);
      hrows.push({ kappa: c.kappa, value: c.map.m[1][0], series: `d = ${c.d}`, kind: 'map' });
      hrows.push({ kappa: c.kappa, value: rms, series: `d = ${c.d}`, kind: 'simulation' });
    }
    await save('giant-hard', {
      width: 520, height: 300, title: 'He2 direction after one step with n = d^κ from m0 = d^-1/2: map (lines), simulation rms over neurons (points)', data: { values: hrows },
      layer: [
        { transform: [{ filter: "datum.kind === 'map'" }], mark: 'line', encoding: { x: { field: 'kappa', type: 'quantitative', title: 'κ (n = d^κ)' }, y: { field: 'value', type: 'quantitative', title: '|m| after one step' }, color } },
        { transform: [{ filter: "datum.kind === 'simulation'" }], mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'kappa', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color } },
      ],
    } as TopLevelSpec, hard);
  },

  /** arXiv 2012.08795: LARS inside the ODE against simulation at two d (n_b = d/100); LARS's and CBLR's rates against d. */
  async lars() {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const init: Overlaps = { M: [[0.5, 0.1], [0.05, 0.45]], Q: [[1, 0.1], [0.1, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const rows: Record<string, unknown>[] = [];
    const gaps: Record<string, unknown>[] = [];
    for (const d of [1000, 10000]) {
      const rules = resolveRules({ lrRule: 'lars' }, { gamma0: '0.01' });
      const sim = await simulate(der, { timeLimit: Infinity, d, nb: d / 100, steps: 8000, points: 17, seeds: seeds(16), gamma: NaN, params: [...der.layout.defaultParams], init, engine: 'reduced', workers: 2, rules });
      const c = compare(der, sim);
      const series = `d = ${d}, n_b = ${d / 100}`;
      sim.steps.forEach((t, i) => {
        rows.push({ steps: t, value: c.ode.M[i][0][0], kind: 'ODE', series });
        rows.push({ steps: t, value: sim.mean.M[i][0][0], lo: sim.mean.M[i][0][0] - 2 * sim.sem.M[i][0][0], hi: sim.mean.M[i][0][0] + 2 * sim.sem.M[i][0][0], kind: 'simulation', series });
      });
      const last = sim.steps.length - 1;
      gaps.push({ d, nb: d / 100, maxGapM: maxOf(c.series.filter((x) => x.family === 'M').map((x) => maxAbsDiff(x.ode, x.mean))), tauOde: c.ode.tau[last], tauSim: sim.mean.tau[last], tauSem: (sim.sem.tau as number[])[last], agreement: c.agreement.entries.map((e) => ({ entry: e.entry, pass: e.pass, maxZ: e.maxZ })) });
    }
    await save('lars-steps', {
      width: 520,
      height: 300,
      title: 'LARS (γ0 = 0.01) inside the ODE (lines) against simulation ± 2 SEM (points), erf p = k = 2',
      data: { values: rows },
      layer: odeSimLayers('steps', 'SGD steps', 'M_11'),
    } as TopLevelSpec, { rows, gaps });
    // rates at the warm state against d (n_b = 10): LARS ∝ d^{-1/2}, CBLR flat
    const y = stateOf(init, der.layout);
    const rates: Record<string, unknown>[] = [];
    for (const d of [100, 300, 1000, 3000, 10000, 30000, 100000])
      for (const lr of ['lars', 'cblr']) {
        const ev = new OverlapRules(resolveRules({ lrRule: lr }, { gamma0: '0.05' }), { gm: der.compiled, L: der.layout, d, P: init.P, aFixed: init.a, params: [...der.layout.defaultParams], loss: 'mse', nb: 10 });
        rates.push({ d, gamma: ev.at(0, 0, y).gamma, rule: lr.toUpperCase() + ' (theory)' });
      }
    for (const d of [1000, 10000])
      for (const lr of ['lars', 'cblr']) {
        const sim = await simulate(der, { timeLimit: Infinity, d, nb: 10, steps: 1, points: 2, seeds: seeds(200), gamma: NaN, params: [...der.layout.defaultParams], init, engine: 'reduced', workers: 2, rules: resolveRules({ lrRule: lr }, { gamma0: '0.05' }) });
        // the rate of the first step; CBLR through the mean curvature (γ0/κ̂ is heavy-tailed at n_b = 10)
        const g = sim.seeds.map((t) => (t.gamma as number[])[0]);
        const v = lr === 'lars' ? g.reduce((a, b) => a + b, 0) / g.length : 0.05 / (g.map((x) => 0.05 / x).reduce((a, b) => a + b, 0) / g.length);
        rates.push({ d, gamma: v, rule: lr.toUpperCase() + ' (simulation)' });
      }
    await save('lars-cblr-rates', {
      width: 480,
      height: 280,
      title: 'first-layer rate at one state, n_b = 10, γ0 = 0.05: LARS falls like √(n_b/d), CBLR stays O(1)',
      data: { values: rates },
      layer: [
        { transform: [{ filter: "indexof(datum.rule, 'theory') >= 0" }], mark: 'line', encoding: { x: logx('d', 'dimension d'), y: { field: 'gamma', type: 'quantitative', title: 'γ_t', scale: { type: 'log' } }, color: { field: 'rule', type: 'nominal', title: '' } } },
        { transform: [{ filter: "indexof(datum.rule, 'simulation') >= 0" }], mark: { type: 'point', filled: true, size: 70 }, encoding: { x: logx('d', 'dimension d'), y: { field: 'gamma', type: 'quantitative' }, color: { field: 'rule', type: 'nominal', title: '' } } },
      ],
    } as TopLevelSpec, rates);
  },

  /** arXiv 2012.08795 in overlap language: gradient norm and step lengths against n_b, theory and simulation. */
  async diagnostics() {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const init: Overlaps = { M: [[0.5, 0.1], [0.05, 0.45]], Q: [[1, 0.1], [0.1, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const r = await diagnose(der, { d: 1000, nbs: [1, 3, 10, 30, 100, 300, 1000, 3000, 10000], gamma: 0.05, params: [...der.layout.defaultParams], start: init, stateSource: 'warm start M = [[0.5, 0.1], [0.05, 0.45]], Q_12 = 0.1', reps: 300, seed: 1, engine: 'reduced', workers: 2 });
    const plots = await diagnosePlots(r);
    for (const p of plots) writeFileAtomic(`docs/diagnose-${p.name}`, p.svg);
    writeFileAtomic('docs/diagnose.json', JSON.stringify(r) + '\n');
    console.log('wrote docs/diagnose-{grad,step,loss}.svg');
  },

  /** AdaDamp (THEORY §4.5): risk against updates and samples, ODE and simulation, against fixed n_b0 and n_max; the table. */
  async adadamp() {
    const der = deriveFile('derivations/erf-adaptive.yaml');
    const init: Overlaps = { M: [[0.3, 0.05], [0.02, 0.25]], Q: [[1, 0.05], [0.05, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const d = 500;
    const gamma = 0.02;
    const rows: Record<string, unknown>[] = [];
    const cases = [
      { label: 'AdaDamp (n_b0 = 4, n_max = 4000)', rules: resolveRules({ batchRule: 'adadamp' }, { nb0: '4', nmax: '4000' }), nb: 4 },
      { label: 'fixed n_b = 4 (SGD)', rules: resolveRules({}, {}), nb: 4 },
      { label: 'fixed n_b = 4000 (GD-like)', rules: resolveRules({}, {}), nb: 4000 },
    ];
    for (const c of cases) {
      const sim = await simulate(der, { timeLimit: Infinity, d, nb: c.nb, steps: 2000, points: 21, seeds: seeds(8), gamma, params: [...der.layout.defaultParams], init, engine: 'reduced', workers: 2, rules: c.rules });
      const ruled = c.rules.batch.kind !== 'constant';
      const ode = integrate(der, { tauEnd: 2000 * gamma, points: 101, init, ...(ruled ? { rules: c.rules, d, gamma, nb: c.nb } : { sets: { eta_bar: (gamma * d) / c.nb } }) });
      ode.tau.forEach((t, i) => rows.push({ steps: ruled ? ode.steps![i] : t / gamma, samples: ruled ? ode.samples![i] : (t / gamma) * c.nb, excess: ode.risk[i] - 0.025, kind: 'ODE', series: c.label }));
      sim.steps.forEach((t, i) => rows.push({ steps: t, samples: sim.samples[i], excess: sim.mean.risk[i] - 0.025, kind: 'simulation', series: c.label }));
    }
    const layer = (xf: string, xt: string) => [
      { transform: [{ filter: "datum.kind === 'ODE'" }], mark: 'line', encoding: { x: { field: xf, type: 'quantitative', title: xt, scale: { type: 'log' } }, y: { field: 'excess', type: 'quantitative', title: 'excess risk ε − Δ/2', scale: { type: 'log' } }, color: { field: 'series', type: 'nominal', title: '' } } },
      { transform: [{ filter: "datum.kind === 'simulation' && datum.steps > 0" }], mark: { type: 'point', filled: true, size: 35 }, encoding: { x: { field: xf, type: 'quantitative', scale: { type: 'log' } }, y: { field: 'excess', type: 'quantitative' }, color: { field: 'series', type: 'nominal', title: '' } } },
    ];
    const table = await adaptiveTable(der, { d, gamma, nb0: 4, nmax: 4000, target: 0.015, params: [...der.layout.defaultParams], start: init, tauMax: 40, seeds: 8, engine: 'reduced', workers: 2, points: 201 });
    await save('adadamp', {
      hconcat: [
        { width: 360, height: 280, title: 'against updates', data: { values: rows.filter((r) => (r.steps as number) > 0) }, layer: layer('steps', 'SGD steps (updates)') },
        { width: 360, height: 280, title: 'against samples', data: { values: rows.filter((r) => (r.steps as number) > 0) }, layer: layer('samples', 'samples drawn') },
      ],
      title: 'AdaDamp vs fixed batches: ODE (lines) and simulation (points), erf p = k = 2, Δ = 0.05, d = 500, γ = 0.02',
    } as TopLevelSpec, { rows, table, target: 0.015 });
  },

  /** A batch-size schedule enters only through η̄(τ): at fixed γ the trajectory against samples matches simulation. */
  async schedule() {
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const init: Overlaps = { M: [[0.5, 0.1], [0.05, 0.45]], Q: [[1, 0.1], [0.1, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };
    const rules = resolveRules({ batchSchedule: '4*2^floor(steps/250)' }, {});
    const sim = await simulate(der, { timeLimit: Infinity, d: 500, nb: 4, steps: 1250, points: 26, seeds: seeds(16), gamma: 0.02, params: [...der.layout.defaultParams], init, engine: 'reduced', workers: 2, rules });
    const c = compare(der, sim);
    const rows: Record<string, unknown>[] = [];
    sim.steps.forEach((_, i) =>
      [0, 1].forEach((j) => {
        rows.push({ samples: c.ode.samples![i], value: c.ode.M[i][j][j], kind: 'ODE', series: `M_${j + 1}${j + 1}` });
        rows.push({ samples: sim.samples[i], value: sim.mean.M[i][j][j], lo: sim.mean.M[i][j][j] - 2 * sim.sem.M[i][j][j], hi: sim.mean.M[i][j][j] + 2 * sim.sem.M[i][j][j], kind: 'simulation', series: `M_${j + 1}${j + 1}` });
      }),
    );
    await save('schedule', {
      width: 520,
      height: 280,
      title: 'batch schedule n_b = 4·2^⌊steps/250⌋ at γ = 0.02: ODE (lines) and simulation ± 2 SEM, against samples',
      data: { values: rows },
      layer: odeSimLayers('samples', 'samples drawn', 'overlap', 35),
    } as TopLevelSpec, { rows, agreement: c.agreement });
  },

  /** arXiv 2501.09137: final sharpness against η, flow and descent. */
  async gdgf() {
    const any = loadAnySpecFile('derivations/linear-net.yaml');
    if (any.kind !== 'parameter-dynamics') throw new Error('kind');
    const der = deriveParamSpec(any.spec);
    const { a0, b0 } = defaultInit(der.h, 1);
    const etas = [0.1, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.05];
    const r = runGdgf(der, { etas, a0: a0.map((x) => 0.5 * x), b0: b0.map((x) => 0.5 * x), params: [1], tol: 1e-13, maxSteps: 200000, tauMax: 1e5 });
    const plots = await gdgfPlots(r);
    writeFileAtomic('docs/gdgf-sharpness.svg', plots[0].svg);
    writeFileAtomic('docs/gdgf-loss.svg', plots[1].svg);
    writeFileAtomic('docs/gdgf.json', JSON.stringify({ ...r, runs: r.runs.map((x) => ({ ...x, trace: undefined })) }) + '\n');
    console.log('wrote docs/gdgf-sharpness.svg, docs/gdgf-loss.svg');
  },
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(figures)) {
  if (!figures[name]) throw new Error(`unknown figure ${name} (known: ${Object.keys(figures).join(', ')})`);
  const t0 = performance.now();
  await figures[name]();
  console.log(`  ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
