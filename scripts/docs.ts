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
} from '../src/index.ts';

const one = [[1]];
const seeds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const save = async (name: string, spec: TopLevelSpec, data: unknown) => {
  writeFileAtomic(`docs/${name}.svg`, await renderSvg(spec));
  writeFileAtomic(`docs/${name}.json`, JSON.stringify(data) + '\n');
  console.log(`wrote docs/${name}.svg`);
};
const logx = (field: string, title: string) => ({ field, type: 'quantitative' as const, title, scale: { type: 'log' as const } });

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
      const sim = await simulate(der, { d, nb, steps: samples / nb, seeds: seeds(8), workers: 2, points: 31, logGrid: false, engine: 'full', teacher: 'orthonormal', gamma, params: [...der.layout.defaultParams], init, initSource: 'docs' });
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
      const sim = await simulate(der, { d, nb: 1, steps: Math.round(2 / (eta / d)), seeds: seeds(8), workers: 2, points: 11, logGrid: false, engine: 'reduced', teacher: 'orthonormal', gamma: eta / d, params: [...params], init: warm, initSource: 'docs' });
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
      const sim = await simulate(der, { d, nb: 1, steps: Math.round(8 / (eta / d)), seeds: seeds(8), workers: 2, points: 9, logGrid: false, engine: 'reduced', teacher: 'orthonormal', gamma: eta / d, params, init: start, initSource: 'docs' });
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
