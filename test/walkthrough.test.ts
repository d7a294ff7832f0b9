/**
 * What a new user met walking through README with models of their own, each pinned by a test that
 * failed before its fix: long grids that overflowed the stack, sizes no machine holds, integrations
 * that would take days, silent stages, checks that could see nothing, usage errors in commander's
 * format, odd saved times.
 */
import { codeLines } from './scan.ts';
import { describe, it, expect } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tmp } from './helpers.ts';
import { maxOf, minOf, maxAbsOf, maxAbsDiff } from '../src/extrema.ts';
import { table, roundRows } from '../src/report/format.ts';
import { agreement, compare, type Series } from '../src/compare/compare.ts';
import { timeGrid, roundGridPoints, runIntegration } from '../src/numeric/run.ts';
import { stepGrid, simulate, simulationSeconds } from '../src/simulate/simulate.ts';
import { deriveFile, deriveSpec } from '../src/pipeline.ts';
import { parseSpec } from '../src/spec/load.ts';
import { integrateOde } from '../src/numeric/integrate.ts';
import { defaultOverlaps } from '../src/numeric/setup.ts';
import { stateOf } from '../src/ode/layout.ts';

const HARD_TANH = `name: hardtanh-erf
student: {width: 2, activation: "max(-1, min(1, z))"}
teacher: {width: 2, activation: "erf(z/sqrt(2))"}
loss: mse
`;

const SIGMOID_STAIRCASE = `name: sigmoid-staircase
student: {width: 2, activation: "1/(1+exp(-z))"}
teacher: {width: 2, target: "nu1*nu2"}
loss: mse
`;

function file(dir: string, name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('arrays of any length', () => {
  it('the extrema of 10⁶ entries (Math.max(...xs) overflows the stack there), NaN and empty arrays as Math.max does', () => {
    const xs = Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i));
    expect(() => Math.max(...xs)).toThrow(RangeError);
    let hi = -Infinity;
    let lo = Infinity;
    for (const x of xs) (hi = Math.max(hi, x)), (lo = Math.min(lo, x));
    expect(maxOf(xs)).toBe(hi);
    expect(minOf(xs)).toBe(lo);
    expect(maxAbsOf(xs.map((x) => -x))).toBe(Math.max(hi, -lo));
    expect(maxAbsDiff(xs, xs.map((x) => x + 1))).toBeCloseTo(1, 12);
    expect(maxOf([], 3)).toBe(3);
    expect(maxOf([1, NaN, 2])).toBeNaN();
    expect(minOf([])).toBe(Infinity);
  });

  it('no spread of an array into Math.max/Math.min is left in src/', () => {
    const hits = codeLines(/Math\.(max|min)\([^()]*\.\.\./);
    expect(hits).toEqual([]);
  });

  it('tables, the check and round rows over 10⁶ saved times', () => {
    const n = 1_000_000;
    const tau = Array.from({ length: n }, (_, i) => i / 1000);
    expect(table(['x'], [[1], [22], [333]]).split('\n')[0]).toHaveLength(3);
    expect(() => table(['τ'], tau.map((t) => [t]))).not.toThrow();
    const s: Series = { entry: 'M_11', family: 'M', ode: tau.map((t) => t / 1000), mean: tau.map((t) => t / 1000), sem: tau.map(() => 0.01) };
    const a = agreement([s], tau, { d: 1000, gamma: 0.001, seeds: 16 });
    expect(a.pass).toBe(true);
    expect(a.times).toBe(n - 1);
    expect(roundRows(tau, 17).map((i) => tau[i])).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999.999]);
  });

  it('integrate saves 5·10⁴ points (2·10⁴ crashed with "Maximum call stack size exceeded": 2·10⁵ state entries spread into Math.max), and the CLI 20001', async () => {
    const d = deriveFile('derivations/saad-solla-erf.yaml');
    const t = runIntegration(d, { tauEnd: 10, points: 50_001, sets: { eta_bar: 1 } });
    expect(t.status).toBe('completed');
    expect(t.tau).toHaveLength(50_001);
    const r = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '10', '--points', '20001', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).tau).toHaveLength(20001);
  });
});

describe('sizes are bounded at the edge', () => {
  it('points, seeds and the full simulator’s memory: one line naming the size and the limit, exit 2, nothing written', async () => {
    const dir = tmp();
    const outFile = join(dir, 't.json');
    const cases: [string[], RegExp][] = [
      [['integrate', 'derivations/saad-solla-erf.yaml', '--tau', '10', '--points', '1000000000', '--out', outFile], /--points = 1000000000: at most 1,000,000 \(saved points of one trajectory\)/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--steps', '10', '--seeds', '1000000', '--out', outFile], /seeds = "?1000000"?: at most 100,000/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--steps', '10', '--d', '1000000000', '--seeds', '1', '--out', outFile], /--d = 1000000000: the full simulator at d = 1000000000 with p = 2 .* needs about \d+ GB, more than this process can hold/],
      [['map', 'derivations/saad-solla-erf.yaml', '--set', 'gamma=0.01', '--d', '1000', '--nb', '10', '--steps', '100000000', '--out', outFile], /--steps = 100000000: the map's trajectory of 100000001 states .* needs about [\d.]+ GB, more than this process can hold/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--steps', '100000', '--points', '100000', '--seeds', '20000', '--engine', 'reduced', '--out', outFile], /seeds = 20000: keeping 20000 recorded trajectories of 100000 points needs about [\d.]+ [TG]B, more than this process can hold/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(outFile)).toBe(false);
    }
    // every size typed on the command line is bounded where it is read
    for (const [args, msg] of [
      [['diagnose', 'derivations/saad-solla-erf.yaml', '--set', 'gamma=0.05', '--seeds', '1000000'], /^hermode: --seeds = "1000000": at most 100,000 \(seeds of one run/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--steps', '10', '--workers', '0.5'], /^hermode: --workers = "0.5": must be an integer ≥ 1/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--steps', '10', '--workers', '1000'], /^hermode: --workers = "1000": at most 256 \(worker threads\)/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--m0', '-1'], /^hermode: --m0 = -1: must be ≥ 0 \(a standard deviation\)\n$/],
      [['giant', 'derivations/relu-giant-step.yaml', '--d', '1e12'], /^hermode: --d = "1e12": at most 1,000,000,000 \(the input dimension/],
      [['sweep', 'derivations/he3-single-index.yaml', '--d', '256', '--nb', '1', '--set', 'eta_bar=0.1', '--seeds', '200000'], /^hermode: --seeds = "200000": at most 100,000/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    // the bound is where it says: a million points are still taken by the grid, one more is not
    expect(timeGrid(1, 1_000_000, false)).toHaveLength(1_000_000);
    expect(() => timeGrid(1, 1_000_001, false)).toThrow(/at most 1,000,000/);
    expect(() => stepGrid(10, 1_000_001, false)).toThrow(/at most 1,000,000/);
  });
});

describe('no run goes on for hours', () => {
  it('an integration predicted to exceed its time limit stops within seconds, saying the cost per evaluation and what to change; a fast one under the same limit completes', async () => {
    const dir = tmp();
    const f = file(dir, 'hardtanh.yaml', HARD_TANH);
    const t0 = Date.now();
    // (the split rule: auto's probit integrates hard-tanh in seconds)
    const r = await cli(['integrate', f, '--expectations', 'split', '--set', 'eta_bar=1', '--tau', '10', '--time-limit', '3', '--out', join(dir, 't.json')]);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    const line = r.stderr.trim().split('\n').filter((l) => !/deriving/.test(l));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(/at this pace the integration to τ = 10 would take about .* beyond the time limit of 3 s .*one evaluation of the right-hand side costs [\d.]+ (ms|µs|s)/);
    expect(line[0]).toMatch(/with Gauss–Legendre split at the kinks.* — a faster expectation backend.*--no-time-limit/);
    expect(existsSync(join(dir, 't.json'))).toBe(false);
    const fast = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '10', '--time-limit', '3']);
    expect(fast.code).toBe(0);
    // refused at once when even the first steps cannot be afforded: 100 evaluations beyond the limit
    const once = runIntegration(deriveSpec(parseSpec(HARD_TANH, 'h.yaml'), 'quadrature:60'), { tauEnd: 10, sets: { eta_bar: 1 }, timeLimit: 0.5 });
    expect(once.status).toBe('too-slow');
    expect(once.tau).toHaveLength(0);
    const bad = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--time-limit', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^hermode: --time-limit = "-1": must be a number of seconds > 0/);
  });
});

describe('a simulation that would take hours is refused before it starts', () => {
  it('with the estimate and what makes it feasible; the estimate is within a factor of 10 of a measured run of either engine', async () => {
    const dir = tmp();
    for (const [args, msg] of [
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--nb', '1000000000', '--d', '1000', '--steps', '1', '--out', join(dir, 's.json')], /^hermode: --steps = 1: the simulation would take about [\d.]+ h \(8 seeds × 1 steps × n_b = 1000000000 samples at d = 1000, full engine, 2 worker\(s\)\), beyond the time limit of 10 min: .*the reduced engine .*--no-time-limit lets it run$/],
      [['giant', 'derivations/relu-giant-step.yaml', '--alpha', '1e9', '--steps', '1', '--d', '1000', '--seeds', '1'], /^hermode: --steps = 1: the simulation would take about [\d.]+ days .*reduced engine/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n').filter((l) => !/deriving/.test(l))[0], args.join(' ')).toMatch(msg);
    }
    expect(existsSync(join(dir, 's.json'))).toBe(false);
    const der = deriveFile('derivations/saad-solla-erf.yaml');
    const params = [...der.layout.defaultParams];
    for (const [engine, nb] of [['full', 20], ['reduced', 400]] as const) {
      const req = { d: 1000, nb, steps: 2000, seeds: [1], workers: 1, engine, gamma: 1e-4, params, points: 2 };
      const t0 = performance.now();
      await simulate(der, req);
      const measured = (performance.now() - t0) / 1000;
      const estimated = simulationSeconds(2, 2, { ...req, seeds: 1 });
      expect(estimated / measured, `${engine}: estimated ${estimated} s, measured ${measured} s`).toBeGreaterThan(0.1);
      expect(estimated / measured, `${engine}: estimated ${estimated} s, measured ${measured} s`).toBeLessThan(10);
    }
  });
});

describe('the time limit on a clock the test controls', () => {
  it('a run predicted past its limit stops at the first accepted step after the probe; the same run under a wide limit completes; the prediction is the fewest steps that can reach the end', () => {
    const d = deriveFile('derivations/saad-solla-erf.yaml');
    const params = [...d.layout.defaultParams];
    params[d.layout.etaBar] = 1;
    const y0 = stateOf(defaultOverlaps(d.model, 1), d.layout);
    const run = (limit: number, firstEvalMs = 1, stepMs = 40_000) => {
      let reads = 0;
      let ms = 0;
      // the clock: the first evaluation takes firstEvalMs, every accepted step after it stepMs
      const now = () => (ms += reads++ === 1 ? firstEvalMs : reads === 1 ? 0 : stepMs);
      return integrateOde(d.compiled, d.layout, y0, params, { grid: [0, 400, 800], P: [[1, 0], [0, 1]], aFixed: [1, 1], timeLimit: limit, now });
    };
    const slow = run(60);
    expect(slow.status).toBe('too-slow');
    expect(slow.stats.accepted).toBeGreaterThan(0);
    expect(slow.message).toMatch(/^at this pace the integration to τ = 800 would take about .* beyond the time limit of 60 s \(τ = [\d.e-]+ after [\d.]+ (s|min); one evaluation of the right-hand side costs/);
    // the prediction is at least the elapsed time and one more step of the same cost
    const [, about, unit] = /would take about ([\d.]+) (s|min)/.exec(slow.message as string) as RegExpExecArray;
    expect(Number(about) * (unit === 'min' ? 60 : 1)).toBeGreaterThanOrEqual(80);
    // steps of one second each: odex lengthens its steps, so a start of tiny steps is not stopped
    const paced = run(600, 1, 1000);
    expect(paced.status, paced.message).toBe("completed");
    expect(paced.stats.accepted).toBeLessThan(600);
    const fine = run(1e6);
    expect(fine.status).toBe('completed');
    expect(fine.tau).toEqual([0, 400, 800]);
    // a first evaluation dearer than a hundredth of the limit is refused before any step
    const refused = run(60, 1000, 1000);
    expect(refused.status).toBe('too-slow');
    expect(refused.stats.accepted).toBe(0);
    expect(refused.message, refused.message).toMatch(/would take about 100 s, beyond the time limit of 60 s \(τ = 0 after \d s/);
  });
});

describe('no stage is silent', () => {
  it('derive names a numerical backend before measuring it; compare reports the ODE’s progress and the simulation the risk evaluations', async () => {
    const dir = tmp();
    const f = file(dir, 'sigmoid.yaml', SIGMOID_STAIRCASE);
    const r = await cli(['derive', f, '--out-dir', join(dir, 'gen')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^hermode: deriving sigmoid-staircase with Φ-representation reduced to orthant probabilities \(student tanh; tanh through 13 mixture nodes; [\d.e+]+ cost units per right-hand side\), then measuring its accuracy\n$/);
    // a closed-form model has nothing slow to announce
    expect((await cli(['derive', 'derivations/saad-solla-erf.yaml', '--out-dir', join(dir, 'gen')])).stderr).toBe('');
    const der = deriveFile(f);
    const risk: number[] = [];
    const sim = await simulate(der, { d: 200, nb: 1, gamma: 1 / 200, steps: 100, seeds: [1, 2], engine: 'reduced', points: 5, onRiskProgress: (done, total) => risk.push(done / total) });
    expect(risk).toHaveLength(10);
    expect(risk.at(-1)).toBe(1);
    const ode: number[] = [];
    compare(der, sim, { onProgress: (t, tEnd) => ode.push(t / tEnd) });
    expect(ode.length).toBeGreaterThan(1);
    expect(ode.at(-1)).toBe(1);
  });
});

describe('a check says what it could see', () => {
  it('a window in which no teacher overlap moves beyond its tolerance is inconclusive (exit 1 under --check: sigmoid has c₂ = 0 and cannot start on ν1ν2); the same student on ν1 + ν1ν2 moves and passes', async () => {
    const dir = tmp();
    const f = file(dir, 'sigmoid.yaml', SIGMOID_STAIRCASE);
    const base = ['compare', f, '--d', '500', '--set', 'eta_bar=1', '--tau', '5', '--seeds', '8', '--engine', 'reduced', '--points', '6', '--check'];
    const cold = await cli(base);
    expect(cold.code).toBe(1);
    expect(cold.stdout).toMatch(/inconclusive: no teacher overlap moved beyond its tolerance \(largest: M_\d\d moved [\d.e-]+, [\d.e-]+× its tolerance/);
    expect(cold.stderr).toMatch(/hermode: check inconclusive: .*extend it \(a longer --tau or --steps\), start warm/);
    const g = file(dir, 'sigmoid2.yaml', SIGMOID_STAIRCASE.replace('"nu1*nu2"', '"nu1 + nu1*nu2"'));
    const ok = await cli([...base.map((a) => (a === f ? g : a)), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const ag = JSON.parse(ok.stdout);
    expect(ag.verdict).toBe('pass');
    expect(Math.max(...ag.entries.filter((e: { entry: string }) => e.entry.startsWith('M_')).map((e: { resolution: number }) => e.resolution))).toBeGreaterThan(1);
  });

  it('the verdict follows the resolution of M: still → inconclusive, moved → pass, off → fail', () => {
    const tau = [0, 1, 2, 3];
    const run = { d: 1000, gamma: 0.001, seeds: 16 };
    const m = (values: number[], ode = values): Series => ({ entry: 'M_11', family: 'M', ode, mean: values, sem: [0.01, 0.01, 0.01, 0.01] });
    expect(agreement([m([0, 0.001, 0.002, 0.001])], tau, run).verdict).toBe('inconclusive');
    expect(agreement([m([0, 0.2, 0.4, 0.6])], tau, run).verdict).toBe('pass');
    expect(agreement([m([0, 0.2, 0.4, 0.6], [0, 0.4, 0.8, 1.2])], tau, run).verdict).toBe('fail');
  });

  it('constrained entries (Q_jj on the sphere) are left out of the check and named, not reported with a meaningless excess', async () => {
    const dir = tmp();
    const warm = file(dir, 'warm.json', JSON.stringify({ M: [[0.3]], Q: [[1]], P: [[1]], a: [1] }));
    const r = await cli(['compare', 'derivations/he2-single-index.yaml', '--d', '1000', '--set', 'eta_bar=0.5', '--tau', '4', '--seeds', '8', '--engine', 'reduced', '--points', '9', '--init', warm]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Q_11 .* not checked +constrained: ‖w_j‖ = 1 under spherical dynamics/);
    expect(r.stdout).toMatch(/Bonferroni over 16 comparisons/);
    expect(r.stdout).not.toMatch(/-\d{3,}\.\d/);
  });
});

describe('usage errors', () => {
  it('an unknown command or option is one line in hermode’s format, with commander’s suggestion, exit 2', async () => {
    for (const [args, msg] of [
      [['integrat', 'x.yaml'], /^hermode: unknown command 'integrat' \(did you mean integrate\?\); hermode --help shows the usage\n$/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--tua', '3'], /^hermode: unknown option '--tua' \(did you mean --tau\?\); hermode integrate --help shows the usage\n$/],
      [['integrate'], /^hermode: missing required argument 'file'; hermode integrate --help shows the usage\n$/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
    }
  });

  it('a bare name is a shipped derivation, wherever hermode runs; an unknown one lists them', async () => {
    const dir = tmp();
    const r = await cli(['integrate', 'saad-solla-erf', '--set', 'eta_bar=1', '--tau', '2', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).meta.name).toBe('saad-solla-erf');
    const bad = await cli(['integrate', 'saad-sola-erf'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^hermode: saad-sola-erf: cannot read derivation file \(ENOENT\); a bare name is one of the derivations hermode ships: .*saad-solla-erf,/);
  });
});

describe('saved times are round', () => {
  it('the default grid has a round spacing, the table shows round times, the simulator records round step counts', async () => {
    expect(roundGridPoints(10)).toBe(51);
    expect(timeGrid(10, roundGridPoints(10), false).slice(0, 4)).toEqual([0, 0.2, 0.4, 0.6]);
    expect(roundGridPoints(800)).toBe(41);
    expect(roundGridPoints(7)).toBe(36);
    expect(roundGridPoints(1 / 3)).toBe(61);
    expect(roundGridPoints(10000, true)).toBe(51);
    expect(roundGridPoints(37, true)).toBe(38);
    const r = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '10']);
    const taus = r.stdout.split('\n').filter((l) => /^\s*[\d.]+\s+[\d.]+\s+0\.\d/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(taus).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const j = JSON.parse((await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '10', '--json'])).stdout);
    expect(j.tau.every((t: number) => Math.abs(t * 5 - Math.round(t * 5)) < 1e-12)).toBe(true);
    const s = JSON.parse((await cli(['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '10', '--d', '200', '--seeds', '2', '--json'])).stdout);
    expect(s.steps.slice(0, 3)).toEqual([0, 50, 100]);
    expect(s.steps.every((k: number) => k % 50 === 0)).toBe(true);
    // a grid with no round step keeps evenly spaced rows
    expect(roundRows([0, 1, 2.5, 3.7, 10.1], 3)).toHaveLength(3);
  });
});
