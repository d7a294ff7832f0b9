import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tmp } from './helpers.ts';

function specFile(dir: string, text: string, name = 'x.yaml'): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('simulate and compare on the command line', () => {
  const warm = JSON.stringify({ Q: [[1, 0.1], [0.1, 1]], M: [[0.4, 0.1], [0.1, 0.3]], P: [[1, 0], [0, 1]], a: [1, 1] });

  it('simulate --json: steps, τ, samples, per-seed and mean ± SEM, identical for 1 and 2 workers', async () => {
    const args = ['simulate', 'derivations/saad-solla-erf.yaml', '--d', '200', '--set', 'eta_bar=1', '--steps', '400', '--seeds', '3', '--points', '5', '--json'];
    const a = JSON.parse((await cli([...args, '--workers', '1'])).stdout);
    const b = JSON.parse((await cli([...args, '--workers', '2'])).stdout);
    expect(a.steps).toEqual([0, 100, 200, 300, 400]);
    expect(a.tau[4]).toBeCloseTo(400 * 0.005, 12);
    expect(a.samples[4]).toBe(400);
    expect(a.seeds).toHaveLength(3);
    expect(a.mean.Q[4][0][0]).toBeGreaterThan(0);
    expect(a.sem.Q[4][0][0]).toBeGreaterThan(0);
    expect(a.meta.convention).toBe('canonical');
    for (const key of ['M', 'Q', 'a', 'risk']) expect(a.mean[key]).toEqual(b.mean[key]);
    expect(a.sem).toEqual(b.sem);
    expect(a.seeds).toEqual(b.seeds);
  });

  it('simulate --save-init feeds integrate --init; --init-from-sim gives the same start', async () => {
    const dir = tmp();
    const f = join(dir, 'start.json');
    const r = (await cli(['simulate', 'derivations/saad-solla-erf.yaml', '--d', '300', '--set', 'gamma=0.001', '--steps', '10', '--seeds', '4', '--save-init', f, '--quiet']));
    expect(r.code).toBe(0);
    const saved = JSON.parse(readFileSync(f, 'utf8'));
    const fromFile = JSON.parse((await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--init', f, '--tau', '1', '--points', '2', '--json'])).stdout);
    const fromSim = JSON.parse((await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--init-from-sim', '--d', '300', '--seeds', '4', '--tau', '1', '--points', '2', '--json'])).stdout);
    expect(fromFile.M[0]).toEqual(saved.M);
    expect(fromSim.M[0]).toEqual(saved.M);
    expect(fromSim.Q[0]).toEqual(saved.Q);
  });

  it('compare --check passes on the right ODE and fails (exit 1) when the variance term is dropped; the report is written', async () => {
    const dir = tmp();
    const init = join(dir, 'warm.json');
    writeFileSync(init, warm);
    const base = ['compare', 'derivations/saad-solla-erf.yaml', '--d', '1000', '--set', 'eta_bar=1', '--tau', '12', '--seeds', '32', '--engine', 'reduced', '--init', init, '--points', '13', '--check'];
    const ok = (await cli([...base, '--out', join(dir, 'report')]));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/check: \|ODE − mean\| ≤ q·SEM \+ b with q = t_31\(1 − α\/\(2·12·8\)\) = 5\.\d+ \(α = 0\.001, Bonferroni over 96 comparisons\) and b = c₁\/d \+ c₂γ = 0\.000150 \(c₁ = 0\.1, c₂ = 0\.05, d = 1000, γ = 0\.00100\)/);
    expect(ok.stdout).toMatch(/agreement: every entry within q·SEM \+ b at every τ > 0/);
    for (const f of ['report.html', 'trajectories.json', 'M.svg', 'Q.svg', 'risk.svg', 'katex/katex.min.css']) expect(existsSync(join(dir, 'report', f)), f).toBe(true);
    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('class="katex');
    const bad = (await cli([...base, '--ode-set', 'eta_bar=0']));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/check failed: .*Q_11.* outside q·SEM \+ b \(q = 5\.\d+, b = 0\.00015\)/);
    // bad settings of the check
    for (const [flag, v] of [['--alpha', '1.5'], ['--c1', '-1'], ['--c2', 'x']]) {
      const r = await cli([...base, flag, v]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`hermode: ${flag} = "${v}"`);
    }
  });

  it('bad simulation input: no learning rate, d too small, --teacher random with --init, a diverging γ', async () => {
    const a = (await cli(['simulate', 'derivations/saad-solla-erf.yaml', '--steps', '10']));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--set: give the learning rate/);
    const b = (await cli(['simulate', 'derivations/saad-solla-erf.yaml', '--d', '3', '--set', 'gamma=0.1', '--steps', '10']));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--d = 3: must be an integer ≥ 4/);
    const dir = tmp();
    writeFileSync(join(dir, 'w.json'), warm);
    const c = (await cli(['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'gamma=0.001', '--steps', '10', '--init', join(dir, 'w.json'), '--teacher', 'random']));
    expect(c.code).toBe(2);
    const f = specFile(dir, 'name: blow\nstudent: {width: 1, activation: "He3(z)/sqrt(6)"}\nteacher: {width: 1, target: committee, activation: "He3(z)/sqrt(6)"}\n');
    const d = (await cli(['simulate', f, '--d', '100', '--set', 'gamma=0.5', '--steps', '200', '--seeds', '2', '--json', '--out', join(dir, 'x.json')]));
    expect(d.code).toBe(1);
    expect(d.stdout).toBe('');
    expect(d.stderr).toMatch(/the simulation stopped: the weights became non-finite at step \d+ of seed \d \(γ = 0\.5\) — the learning rate is above this model’s stability limit/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });
});

describe('map and sweep on the command line', () => {
  it('map --json: one entry per step (step 0 included), steps, τ, samples; escape stops it', async () => {
    const r = (await cli(['map', 'derivations/he3-time-complexity.yaml', '--d', '256', '--nb', '65536', '--set', 'gamma=0.032*p*nb*d^-1.5', '--steps', '12', '--json']));
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.steps).toEqual(Array.from({ length: 13 }, (_, i) => i));
    expect(t.samples[12]).toBe(12 * 65536);
    expect(t.tau[1]).toBeCloseTo(0.032 * 4 * 65536 * 256 ** -1.5, 12);
    expect(t.meta.timeUnit).toMatch(/steps/);
    const e = JSON.parse((await cli(['map', 'derivations/he3-correlation.yaml', '--d', '256', '--nb', '65536', '--set', 'gamma=2', '--steps', '50', '--threshold', '0.9', '--json'])).stdout);
    expect(e.meta.escapeStep).toBeLessThanOrEqual(10);
    expect(e.steps[e.steps.length - 1]).toBe(e.meta.escapeStep);
  });

  it('sweep writes its table, fits, plots and report, and a second run reuses the points on disk', async () => {
    const dir = tmp();
    const args = ['sweep', 'derivations/he3-single-index.yaml', '--d', '256,1024,4096', '--nb', '1', '--set', 'eta_bar=0.5*crit', '--threshold', '0.5', '--method', 'ode', '--max-steps', '1e12', '--out', join(dir, 's')];
    const a = (await cli(args));
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/samples-vs-d\s+nb=1\s+mse\s+ode\s+2\.0\d* ± /);
    for (const f of ['sweep.csv', 'sweep.json', 'steps.svg', 'samples.svg', 'report.html', 'settings.json']) expect(existsSync(join(dir, 's', f)), f).toBe(true);
    expect(readdirSync(join(dir, 's', 'points'))).toHaveLength(3);
    const b = (await cli(args));
    expect(b.stdout).toMatch(/\(3 from /);
    // other settings into the same directory are refused
    const c = (await cli(args.map((x, i) => (args[i - 1] === '--threshold' ? '0.6' : x))));
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/holds a sweep with other settings/);
  });

  it('bad sweep and map input', async () => {
    expect((await cli(['sweep', 'derivations/he3-single-index.yaml', '--d', '256', '--set', 'eta_bar=0.1', '--loss', 'hinge'])).stderr).toMatch(/--loss = "hinge": mse \| correlation/);
    expect((await cli(['sweep', 'derivations/he3-single-index.yaml', '--d', '256'])).stderr).toMatch(/give the learning rate/);
    expect((await cli(['sweep', 'derivations/he3-single-index.yaml', '--d', '256', '--set', 'gamma=1/(d-256)'])).code).toBe(2);
    expect((await cli(['map', 'derivations/he3-single-index.yaml', '--set', 'gamma=0.1', '--entry', 'M_3_1', '--threshold', '0.5'])).stderr).toMatch(/--entry = "M_3_1": out of range/);
  });
});

describe('escape times from integrate and simulate', () => {
  it('integrate --threshold locates the escape on the dense output (He3, η̄ = 0: τ = [−1/(3m) + atanh(m)/3] from 0.1 to 0.5)', async () => {
    const dir = tmp();
    const f = join(dir, 'init.json');
    writeFileSync(f, JSON.stringify({ Q: [[1]], M: [[0.1]] }));
    const r = (await cli(['integrate', 'derivations/he3-single-index.yaml', '--set', 'eta_bar=0', '--init', f, '--tau', '20', '--threshold', '0.5', '--json']));
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout);
    const T = (m: number) => -1 / (3 * m) + Math.atanh(m) / 3;
    expect(Math.abs(t.events[0].tau - (T(0.5) - T(0.1)))).toBeLessThan(1e-8);
    expect(t.status).toBe('event');
  });

  it('simulate --threshold reports per-seed escape steps, their median and the fraction escaped', async () => {
    const r = (await cli(['simulate', 'derivations/he1-single-index.yaml', '--engine', 'reduced', '--d', '2000', '--set', 'eta_bar=0.5', '--steps', '20000', '--seeds', '6', '--threshold', '0.5', '--json']));
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout).meta.escape;
    expect(e.perSeed).toHaveLength(6);
    expect(e.escapedFraction).toBe(1);
    expect(e.medianSteps).toBeGreaterThan(1000);
    expect(e.medianSamples).toBe(e.medianSteps);
  });
});

describe('bad input on the newest options', () => {
  it('--variance, --entry and --threshold are checked with one-line errors and exit code 2', async () => {
    const a = (await cli(['hermite', 'tanh(z)', '--variance', '-1']));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--variance = "-1": must be > 0/);
    const b = (await cli(['simulate', 'derivations/he1-single-index.yaml', '--set', 'eta_bar=0.5', '--steps', '10', '--threshold', '0.5', '--entry', 'M_2_1']));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--entry = "M_2_1": out of range for p = 1, k = 1/);
    const c = (await cli(['integrate', 'derivations/he1-single-index.yaml', '--threshold', '-0.5']));
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--threshold = -0.5: must be > 0/);
  });
});

describe('sweeps say what they could not measure', () => {
  it('points that never escape are named with the option to raise; ODE rows show no quartiles', async () => {
    const r = await cli(['sweep', 'derivations/he3-single-index.yaml', '--d', '256,1024', '--nb', '1', '--set', 'eta_bar=0.5*crit', '--threshold', '0.5', '--method', 'ode', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^hermode: warning: 1 of 2 points did not escape within --max-steps = 1e6 \(d=1024 nb=1 ode\): .*raise --max-steps/);
    expect(r.stdout).not.toMatch(/912100–912100/);
  });
});

describe('sweep and gdgf plots', () => {
  it('draw points that never escaped (open markers at the horizon), tell methods apart, keep legend labels whole', async () => {
    const { tmp } = await import('./helpers.ts');
    const { readFileSync } = await import('node:fs');
    const dir = tmp();
    const r = await cli(['sweep', 'derivations/he1-single-index.yaml', '--d', '256,4096', '--nb', '1', '--set', 'eta_bar=0.5', '--threshold', '0.5', '--method', 'ode,map', '--max-steps', '2000', '--out', dir, '--quiet']);
    expect(r.code).toBe(0);
    const svg = readFileSync(join(dir, 'samples.svg'), 'utf8');
    // the d = 4096 points did not escape within 2000 steps: they are drawn at the horizon
    expect(svg).toMatch(/d: 4096; samples = n_b·steps: 2000; series: n_b=1, mse; method: ode/);
    expect(svg).toMatch(/>map<\/text>/);
    expect(svg).toMatch(/>ode<\/text>/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<p class="meta">\{/);
    const g = await cli(['gdgf', 'derivations/linear-net.yaml', '--h', '2', '--eta', '0.3,1.2', '--out', join(dir, 'g'), '--max-steps', '20000']);
    expect(g.code).toBe(0);
    const sharp = readFileSync(join(dir, 'g', 'sharpness.svg'), 'utf8');
    for (const label of ['descent: product formula', 'flow: λ_GF', 'stability bound 2/η']) expect(sharp).toContain(`>${label}</text>`);
  });
});
