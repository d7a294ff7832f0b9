/**
 * The playground's computation and state outside the browser: the page's session gives the CLI's
 * numbers for the same texts (bit for bit in Node), its links round-trip and refuse what they cannot
 * read, its messages point at the line of the field, its SHA-256 is node:crypto's, and it refuses at
 * once, with the cost, a model it cannot afford.
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tmp } from './helpers.ts';
import { runPlayground, simulatePlayground, simulationStart, pageError, lineOf, affordable, checkDerivation, PAGE_FILE } from '../src/playground/session.ts';
import { encodeState, decodeFragment, plainFragment, type PageState } from '../src/playground/fragment.ts';
import { sha256Hex } from '../src/playground/shims/crypto.ts';
import { plotSpec, axesOf } from '../src/playground/plot.ts';
import { renderSvg } from '../src/report/plots.ts';
import { parseSpec } from '../src/spec/load.ts';
import { buildModel } from '../src/hermite/model.ts';
import { planExpectations, backendOf } from '../src/backends/registry.ts';
import { deriveSpec } from '../src/pipeline.ts';
import { stateOf } from '../src/ode/layout.ts';
import { defaultOverlaps } from '../src/numeric/setup.ts';
import { HermodeError } from '../src/errors.ts';
import { UNSEEN } from './playground-fixture.ts';


describe('the page computes what the command line computes', () => {
  const dir = tmp('hermode-playground-');
  const file = join(dir, 'unseen.yaml');
  writeFileSync(file, UNSEEN);
  const input = { yaml: UNSEEN, set: 'eta_bar=0.8,nb=2', tau: '6', d: '400', sim: { seeds: '3', seed: '5' } };

  it('integration: the trajectory equals `hermode integrate --json` bit for bit; η̄ 1 % off does not', async () => {
    const { derivation, result } = runPlayground(input);
    const run = await cli(['integrate', file, '--set', 'eta_bar=0.8', '--nb', '2', '--d', '400', '--tau', '6', '--json']);
    expect(run.code).toBe(0);
    const ref = JSON.parse(run.stdout);
    expect(result.trajectory.tau).toEqual(ref.tau);
    expect(result.trajectory.risk).toEqual(ref.risk);
    expect(result.trajectory.M).toEqual(ref.M);
    expect(result.trajectory.steps).toEqual(ref.steps);
    expect(result.backend).toBe(ref.meta.expectations);
    expect(result.convention).toMatch(/^canonical \(file: canonical\); time τ = γ·steps/);
    const off = JSON.parse((await cli(['integrate', file, '--set', 'eta_bar=0.808', '--nb', '2', '--d', '400', '--tau', '6', '--json'])).stdout);
    expect(Math.abs(off.risk.at(-1) - (result.trajectory.risk.at(-1) as number))).toBeGreaterThan(1e-5);
    // the generated code the page offers is `derive`'s, but for the file name in its header
    const out = join(dir, 'gen');
    expect((await cli(['derive', file, '--out-dir', out])).code).toBe(0);
    const shipped = readFileSync(join(out, `${derivation.model.name}.py`), 'utf8');
    const strip = (s: string) => s.replace(/^.*(derivation\.yaml|unseen\.yaml).*$/gm, '');
    expect(strip(result.files[`${derivation.model.name}.py`])).toBe(strip(shipped));
    expect(Object.keys(result.files).sort()).toEqual(['.c', '.h', '.py', '.tex', '.ts'].map((e) => derivation.model.name + e).sort());
    expect(result.equationsHtml).toContain('class="katex"');
    expect(result.equationsHtml).not.toContain('katex-error');
  });

  it('simulation: the reduced simulator\'s seed mean and SEM equal `hermode simulate --engine reduced --json` bit for bit', async () => {
    const { derivation } = runPlayground(input);
    const sim = await simulatePlayground(derivation, input);
    // the seeds start exactly where the ODE starts
    const start = join(dir, 'start.json');
    writeFileSync(start, JSON.stringify(simulationStart(input, derivation).init));
    const run = await cli(['simulate', file, '--engine', 'reduced', '--init', start, '--set', 'eta_bar=0.8', '--nb', '2', '--d', '400', '--tau', '6', '--seeds', '3', '--seed', '5', '--json']);
    expect(run.code).toBe(0);
    const ref = JSON.parse(run.stdout);
    expect(sim.steps).toEqual(ref.steps);
    expect(sim.mean.risk).toEqual(ref.mean.risk);
    expect(sim.sem.M).toEqual(ref.sem.M);
    expect(sim.seeds).toEqual([5, 6, 7]);
    const odeStart = runPlayground(input).result.trajectory.M[0].flat();
    sim.mean.M[0].flat().forEach((m, i) => expect(Math.abs(m - odeStart[i])).toBeLessThan(1e-15));
    const other = await simulatePlayground(derivation, { ...input, sim: { seeds: '3', seed: '6' } });
    expect(other.mean.risk.at(-1)).not.toBe(sim.mean.risk.at(-1));
  });

  it('a pasted start is `--init FILE`: the same trajectory; a start that is not positive semi-definite gets the CLI\'s line', async () => {
    const init = '{"Q": [[1.2, 0.1], [0.1, 0.9]], "M": [[0.05, 0], [0.02, 0.1]], "a": [1, 1]}';
    const { result } = runPlayground({ ...input, init });
    const startFile = join(dir, 'init.json');
    writeFileSync(startFile, init);
    const ref = JSON.parse((await cli(['integrate', file, '--init', startFile, '--set', 'eta_bar=0.8', '--nb', '2', '--d', '400', '--tau', '6', '--json'])).stdout);
    expect(result.trajectory.risk).toEqual(ref.risk);
    expect(result.trajectory.Q[0]).toEqual([[1.2, 0.1], [0.1, 0.9]]);
    const e = pageErrorOf(() => runPlayground({ ...input, init: '{"Q": [[1, 2], [2, 1]], "M": [[0, 0], [0, 0]]}' }), UNSEEN);
    expect(e.message).toMatch(/^init: Q, M, P: Ω = \[\[Q, M\], \[Mᵀ, P\]\] is not positive semi-definite/);
    expect(pageErrorOf(() => runPlayground({ ...input, init: '{"Q": [[1, 0], [0, 1]],' }), UNSEEN).message).toMatch(/^init: invalid JSON/);
  });

  it('a learning-rate rule chosen in the page is `--lr-rule`: LARS equals the CLI\'s run, with steps and samples integrated', async () => {
    const ruled = { ...input, lr: 'lars', set: 'gamma0=0.05,nb=4', tau: '3' };
    const { result } = runPlayground(ruled);
    const ref = JSON.parse((await cli(['integrate', file, '--lr-rule', 'lars', '--set', 'gamma0=0.05', '--nb', '4', '--d', '400', '--tau', '3', '--json'])).stdout);
    expect(result.trajectory.risk).toEqual(ref.risk);
    expect(result.trajectory.gamma).toEqual(ref.gamma);
    expect(result.convention).toContain('Σ γ_t over steps');
    // α = samples/d is integrated under a rule
    expect(axesOf(result.trajectory)).toEqual(['tau', 'alpha', 'steps', 'samples']);
    // and a learning-rate schedule is --lr-schedule
    expect(() => runPlayground({ ...input, lrSchedule: '0.8/(1 + tau/2)', tau: '3' })).toThrow(/the schedule rule sets the learning rate itself: it comes from --lr-schedule/);
    const scheduled = runPlayground({ ...input, set: 'nb=2', lrSchedule: '0.8/(1 + tau/2)', tau: '3' }).result.trajectory;
    const refS = JSON.parse((await cli(['integrate', file, '--lr-schedule', '0.8/(1 + tau/2)', '--nb', '2', '--d', '400', '--tau', '3', '--json'])).stdout);
    expect(scheduled.risk).toEqual(refS.risk);
    expect(scheduled.gamma).toEqual(refS.gamma);
    expect((result.trajectory.alpha as number[]).at(-1)).toBe((result.trajectory.samples as number[]).at(-1) as number / 400);
  });

  it('the plot spec renders (ODE lines, simulation points with bars) on every axis the run has', async () => {
    const { derivation, result } = runPlayground(input);
    const sim = await simulatePlayground(derivation, input);
    expect(axesOf(result.trajectory)).toEqual(['tau', 'alpha', 'steps', 'samples']);
    const svg = await renderSvg(plotSpec(result.trajectory, 'M', 'samples', sim, result.name));
    expect(svg).toContain('<svg');
    expect(svg).toContain('M_2_1');
    const spec = plotSpec(result.trajectory, 'risk', 'alpha', sim) as { data: { values: { kind: string; x: number }[] } };
    // α of the simulation is samples/d, the ODE's τ/η̄: both end at the same α
    const ends = ['ODE', 'simulation'].map((k) => Math.max(...spec.data.values.filter((r) => r.kind === k).map((r) => r.x)));
    expect(ends[1]).toBeCloseTo(ends[0], 6);
  });

  it('bad input: the CLI\'s one line, at the line of the field; nothing computed', async () => {
    const bad = UNSEEN.replace('activation: relu(z)', 'activation: relu(z')
    let e = pageErrorOf(() => runPlayground({ ...input, yaml: bad }), bad);
    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, bad);
    const run = await cli(['derive', badFile, '--out-dir', join(dir, 'nothing')]);
    expect(run.code).toBe(2);
    expect(e.message).toBe(run.stderr.trim().replace(/^hermode: /, '').replace(badFile, PAGE_FILE));
    expect(e.line).toBe(4);
    e = pageErrorOf(() => runPlayground({ ...input, yaml: 'student:\n  width: [1,\n' }), 'student:\n  width: [1,\n');
    expect(e.message).toMatch(/^derivation\.yaml: invalid YAML: .* at line \d+/);
    expect(e.line).toBeGreaterThanOrEqual(2);
    e = pageErrorOf(() => runPlayground({ ...input, set: 'eta_bar=fast' }), UNSEEN);
    expect(e.message).toContain('eta_bar');
    expect(e.line).toBeUndefined();
    expect(lineOf(UNSEEN, 'teacher.activation')).toBe(9);
    expect(lineOf(UNSEEN, 'teacher.nowhere')).toBe(6);
  });

  it('a model the page cannot afford is refused at once, with its cost (and by the CLI under its time limit); the estimate sees a real cost within 10×', async () => {
    const big = UNSEEN.replace(/relu\(z\)/, 'tanh(z)').replace(/width: 2/g, 'width: 3').replace('dynamics: plain', 'dynamics: plain\nexpectations: quadrature:30');
    const t0 = performance.now();
    const e = pageErrorOf(() => runPlayground({ ...input, yaml: big }), big);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(e.message).toContain('about 4.9 min');
    expect(e.message).toMatch(/expectations = "quadrature:30": one evaluation of the right-hand side would take about .* \(tensor Gauss–Hermite quadrature, 30 nodes per field \(6 fields\)\)/);
    // the command line refuses it the same way under its time limit, before deriving (it used to spend minutes in derive's accuracy measurement)
    const bigFile = join(dir, 'big.yaml');
    writeFileSync(bigFile, big);
    const tCli = performance.now();
    const refused = await cli(['integrate', bigFile, '--time-limit', '60']);
    expect(performance.now() - tCli).toBeLessThan(5000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/expectations = "quadrature:30": one evaluation of the right-hand side would take about 4.9 min .*: beyond the time limit of 60 s — .*--no-time-limit lets it run/);
    // the estimate against a measured evaluation of an affordable model of the same backend
    const small = UNSEEN.replace(/relu\(z\)/, 'tanh(z)').replace('dynamics: plain', 'dynamics: plain\nexpectations: quadrature:14');
    const spec = parseSpec(small, 'small.yaml');
    const model = buildModel(spec);
    const plan = planExpectations(model, spec.expectations);
    const estimate = backendOf(plan.backend).seconds?.(plan, model) as number;
    expect(() => affordable(model, spec)).not.toThrow();
    const d = deriveSpec(spec);
    const y = stateOf(defaultOverlaps(d.model, 1, 0.3), d.layout);
    const out = new Float64Array(y.length);
    let n = 0;
    const t1 = performance.now();
    while (performance.now() - t1 < 400) (d.compiled.rhs(0, y, d.layout.defaultParams, out), n++);
    const measured = (performance.now() - t1) / 1000 / n;
    expect(estimate / measured).toBeGreaterThan(0.1);
    expect(estimate / measured).toBeLessThan(10);
  });

  it('checking a text as it is typed names the parameters --set takes, with their defaults', () => {
    const { checked } = checkDerivation(UNSEEN);
    expect(checked).toMatchObject({ name: 'relu-on-erf-playground', p: 2, k: 2 });
    expect(checked.params.map((p) => p.name)).toContain('eta_bar');
    expect(checked.params.find((p) => p.name === 'Delta')?.value).toBe(0.01);
  });
});

function pageErrorOf(f: () => unknown, yaml: string) {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(HermodeError);
    return pageError(err, yaml);
  }
  throw new HermodeError('internal', 'expected an error');
}

describe('links', () => {
  const state: PageState = { yaml: UNSEEN, set: 'eta_bar=0.8,nb=2', tau: '6', d: '400', lr: 'lars', batchSchedule: '4*2^floor(steps/250)', lrSchedule: '0.5/(1 + tau)', sim: { seeds: '3', seed: '5' }, axis: 'samples', show: 'M', init: '{"Q": [[1, 0], [0, 1]], "M": [[0.01, 0], [0, 0.02]]}' };

  it('the compressed form round-trips the whole state; the plain form reads the README\'s example', async () => {
    const z = await encodeState(state);
    expect(z).toMatch(/^z=[A-Za-z0-9_-]+$/);
    expect(await decodeFragment(`#${z}`)).toEqual(state);
    expect(await decodeFragment(`#${plainFragment(state)}`)).toEqual(state);
    const readme = `#yaml=${encodeURIComponent(UNSEEN)}&set=eta_bar=0.5,nb=1&tau=10&init=${encodeURIComponent('{"Q": [[1,0],[0,1]], "M": [[0,0],[0,0]]}')}`;
    expect(await decodeFragment(readme)).toEqual({ yaml: UNSEEN, set: 'eta_bar=0.5,nb=1', tau: '10', init: '{"Q": [[1,0],[0,1]], "M": [[0,0],[0,0]]}' });
    expect(await decodeFragment('#preset=saad-solla-erf&sim=1&seeds=4')).toEqual({ yaml: '', preset: 'saad-solla-erf', set: '', tau: '10', sim: { seeds: '4', seed: '1' } });
    expect(await decodeFragment('')).toBeNull();
  });

  it('what a link cannot say is refused, naming the key', async () => {
    await expect(decodeFragment('#yaml=a&colour=red')).rejects.toThrow(/unknown key/);
    await expect(decodeFragment('#yaml=a&axis=time')).rejects.toThrow(/expected one of tau, alpha, steps, samples/);
    await expect(decodeFragment('#set=eta_bar=1')).rejects.toThrow(/needs the derivation/);
    await expect(decodeFragment('#z=AAAA')).rejects.toThrow(/not a link made by the page/);
    await expect(decodeFragment('#yaml=%E0%A4%A')).rejects.toThrow(/not URL-encoded/);
  });
});

describe('the page\'s node:crypto', () => {
  it('SHA-256 equals node:crypto on texts of every padding length, multi-byte characters and a spec', () => {
    const texts = Array.from({ length: 140 }, (_, n) => 'aβ3'.repeat(n).slice(0, n));
    texts.push(JSON.stringify(parseSpec(UNSEEN, 'x.yaml')), '');
    for (const t of texts) expect(sha256Hex(new TextEncoder().encode(t))).toBe(createHash('sha256').update(t).digest('hex'));
    // and it is not a constant or a truncation: one bit of input changes it
    expect(sha256Hex(new TextEncoder().encode('a'))).not.toBe(sha256Hex(new TextEncoder().encode('b')));
  });
});
