/**
 * Correctness defects found in review, each pinned by a test that failed before its fix: time grids
 * that make no sense, rescaled activations that print the old function, erfc in the tail, the
 * positive-semi-definiteness tolerance at convergence, round-off risks below zero.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tmp } from './helpers.ts';
import { timeGrid } from '../src/numeric/run.ts';
import { stepGrid } from '../src/simulate/simulate.ts';
import { activation } from '../src/hermite/activation.ts';
import { rescaledActivation } from '../src/hermite/hermite.ts';
import { compileExpr } from '../src/ir/js.ts';

describe('time grids are validated when built', () => {
  it('a log grid of 2 points is [0, τ] (it was NaN); every grid ends exactly at τ', async () => {
    expect(timeGrid(7, 2, true)).toEqual([0, 7]);
    expect(timeGrid(7, 5, true).at(-1)).toBe(7);
    expect(timeGrid(0.3, 7, false).at(-1)).toBe(0.3);
    expect(stepGrid(100, 2, true)).toEqual([0, 100]);
    expect(() => timeGrid(7, 1, true)).toThrow(/integer ≥ 2/);
    expect(() => timeGrid(Infinity, 3, false)).toThrow(/finite/);
    const r = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '5', '--log-grid', '--points', '2', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).tau).toEqual([0, 5]);
  });
});

describe('a rescaled activation describes the rescaled function', () => {
  it('expr and dexpr of x ↦ f(√q x) evaluate to f(√q x) and √q f′(√q x)', () => {
    for (const [text, q] of [['tanh(z)', 2], ['relu(z)', 0.5], ['z^3 - 3*z', 3], ['erf(z/sqrt(2))', 0.25]] as const) {
      const a = rescaledActivation(activation(text), q);
      const e = a.expr.compile();
      const de = a.dexpr.compile();
      for (const x of [-1.3, -0.2, 0.4, 1.7]) {
        expect(e(x)).toBeCloseTo(a.f(x), 13);
        expect(de(x)).toBeCloseTo(a.df(x), 12);
      }
      // and not the unscaled function
      expect(Math.abs(e(1.7) - activation(text).f(1.7))).toBeGreaterThan(1e-3);
    }
  });
});

describe('erfc of the generated code keeps its relative accuracy in the tail', () => {
  it('against reference values (relative 1e-14), where 1 − erf(x) lost everything', () => {
    const erfc = compileExpr({ k: 'call', fn: 'erfc', args: [{ k: 'var', name: 'x' }] }, ['x']);
    const erf = compileExpr({ k: 'call', fn: 'erf', args: [{ k: 'var', name: 'x' }] }, ['x']);
    // erfc(x) to 20 digits (Abramowitz–Stegun tables / arbitrary precision)
    const ref: [number, number][] = [
      [-1, 1.8427007929497148693],
      [0.5, 0.47950012218695346232],
      [1, 0.15729920705028513066],
      [2.5, 4.0695201744495893956e-4],
      [5, 1.5374597944280348502e-12],
      [6, 2.1519736712498913117e-17],
      [10, 2.0884875837625447570e-45],
      [20, 5.3958656116079009289e-176],
    ];
    for (const [x, want] of ref) expect(Math.abs(erfc(x) - want) / want, `erfc(${x})`).toBeLessThan(1e-14);
    // the construction it replaces fails the same test
    expect(Math.abs(1 - erf(6) - 2.1519736712498913117e-17) / 2.1519736712498913117e-17).toBeGreaterThan(0.5);
  });
});

describe('positive semi-definiteness and the sign of the risk at convergence', () => {
  it('runs that converge (Ω singular at M = Q = P) are not stopped at loose tolerances', async () => {
    for (const args of [
      ['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '400', '--rtol', '1e-4', '--json'],
      ['integrate', 'derivations/saad-solla-erf-classic.yaml', '--set', 'eta=0.5', '--alpha', '1000', '--rtol', '1e-4', '--json'],
      ['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '400', '--rtol', '1e-5', '--json'],
    ]) {
      const r = await cli(args);
      expect(r.stderr, args.join(' ')).toBe('');
      const t = JSON.parse(r.stdout);
      expect(t.status).toBe('completed');
      expect(t.risk.every((x: number) => x >= 0)).toBe(true);
      expect(t.risk.at(-1)).toBeLessThan(1e-3);
    }
  });

  it('a real loss of positive semi-definiteness is still caught', async () => {
    const { integrateOde } = await import('../src/numeric/integrate.ts');
    const { derive } = await import('../src/index.ts');
    const d = derive('derivations/he1-single-index.yaml');
    // a right-hand side that drives Q_11 through zero while M_11 stays: Ω = [[Q, M], [M, 1]] indefinite
    const fake = { ...d.compiled, rhs: (_t: number, _y: ArrayLike<number>, _p: ArrayLike<number>, dy: Float64Array | number[]) => ((dy[0] = 0), (dy[1] = -1)) };
    const sol = integrateOde(fake, d.layout, [0.5, 1], [...d.layout.defaultParams], { grid: [0, 2], P: [[1]], aFixed: [1], rtol: 1e-4, atol: 1e-6 });
    expect(sol.status).toBe('not-positive-definite');
    expect(sol.tau.at(-1)).toBeLessThan(0.76);
  });

  it('a risk within the integration error of zero prints as 0; a real negative stays and is named', async () => {
    const { derive, integrate } = await import('../src/index.ts');
    const d = derive('derivations/saad-solla-erf-classic.yaml');
    const t = integrate(d, { tauEnd: 500, points: 11, sets: { eta: 0.5 } });
    expect(Math.min(...t.risk)).toBe(0);
    const wrong = { ...d, compiled: { ...d.compiled, risk: (y: ArrayLike<number>, p: ArrayLike<number>) => d.compiled.risk(y, p) - 1e-3 } };
    const u = integrate(wrong, { tauEnd: 500, points: 11, sets: { eta: 0.5 } });
    expect(u.risk.at(-1)).toBeLessThan(-9e-4);
    expect((u.meta.warnings as string[])[0]).toMatch(/the risk is -9\.\d+e-4 < 0 at τ = 150/);
  });
});

describe('a failing simulation seed', () => {
  it('stops every worker and is named in one HermodeError', async () => {
    const { derive } = await import('../src/index.ts');
    const { kernelConfig } = await import('../src/simulate/simulate.ts');
    const { runSeeds } = await import('../src/simulate/pool.ts');
    const d = derive('derivations/saad-solla-erf.yaml');
    const cfg = kernelConfig(d, { d: 200, nb: 1, gamma: 0.005, params: [...d.layout.defaultParams], steps: 20000, record: [0, 20000], teacher: 'orthonormal', init: null });
    // a target that fails on its 500th evaluation in each worker
    const broken = { ...cfg, targetSrc: '(function () { let n = 0; return function (nu) { if (++n > 500) throw new Error("target failed"); return nu[0]; }; })()' };
    const err = await runSeeds(broken, [1, 2, 3, 4, 5, 6], 'full', 2).catch((e) => e);
    expect(err.constructor.name).toBe('HermodeError');
    expect(err.kind).toBe('failure');
    expect(err.message).toMatch(/^the simulation failed at seed [12]: target failed$/);
    // and the same seeds run inline (one worker) fail the same way
    const inline = await runSeeds(broken, [1, 2], 'full', 1).catch((e) => e);
    expect(inline.constructor.name).toBe('HermodeError');
    expect(inline.message).toBe('the simulation failed at seed 1: target failed');
  });
});

describe('one failure vocabulary for integrate, map and simulate', () => {
  it('a blow-up is a status in the library and the same sentence on the command line', async () => {
    const { derive, simulate, integrate } = await import('../src/index.ts');
    const spec = 'name: blow\nstudent: {width: 1, activation: "He3(z)/sqrt(6)"}\nteacher: {width: 1, target: committee, activation: "He3(z)/sqrt(6)"}\n';
    const { deriveSpec, parseSpec } = await import('../src/index.ts');
    const d = deriveSpec(parseSpec(spec, 'blow.yaml'));
    const sim = await simulate(d, { d: 100, nb: 1, gamma: 0.5, steps: 200, seeds: [1, 2] });
    expect(sim.status).toBe('blow-up');
    expect(sim.message).toMatch(/non-finite at step \d+ of seed [12]/);
    const ode = integrate(d, { tauEnd: 50, sets: { eta_bar: 100 }, init: { M: [[0.9]], Q: [[1]], P: [[1]], a: [1] } });
    expect(['blow-up', 'nan', 'not-positive-definite']).toContain(ode.status);
    expect(derive('derivations/saad-solla-erf.yaml').model.p).toBe(2);
    const dir = tmp('hermode-blow-');
    writeFileSync(join(dir, 'blow.yaml'), spec);
    const hint = 'the learning rate is above this model’s stability limit';
    const a = await cli(['simulate', join(dir, 'blow.yaml'), '--d', '100', '--set', 'gamma=0.5', '--steps', '200', '--seeds', '2']);
    const b = await cli(['map', join(dir, 'blow.yaml'), '--d', '100', '--nb', '1', '--set', 'gamma=50', '--steps', '200']);
    for (const r of [a, b]) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(hint);
    }
  });
});

describe('the KaTeX page of a derivation', () => {
  it('shows no literal "[t]" before multi-line polynomials (KaTeX has no aligned[t])', async () => {
    const { documentBody } = await import('../src/report/html.ts');
    const { derive } = await import('../src/index.ts');
    const html = documentBody(derive('derivations/he3-time-complexity.yaml').doc);
    expect(html).toContain('class="katex');
    expect(html).toMatch(/aligned|mtable/);
    expect(html).not.toMatch(/>\[<\/span><span class="mord mathnormal">t<\/span><span class="mclose">\]/);
    expect(html).not.toContain('katex-error');
  });
});

describe('edges refused with one line and exit 2', () => {
  it('dimensions, seeds, τ and steps that make no sense; a misspelled field is named', async () => {
    const cases: [string[], RegExp][] = [
      [['integrate', 'derivations/saad-solla-erf.yaml', '--d', '0', '--nb', '1'], /^hermode: --d = "0": must be an integer ≥ 1$/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--d', '-5'], /^hermode: --d = "-5": must be an integer ≥ 1$/],
      [['integrate', 'derivations/saad-solla-erf.yaml', '--seed', '1.5'], /^hermode: --seed = "1\.5": must be an integer ≥ 0$/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'gamma=0.001', '--tau', '-1'], /^hermode: --tau = "-1": must be > 0$/],
      [['simulate', 'derivations/saad-solla-erf.yaml', '--set', 'gamma=0.001', '--steps', '10', '--seed', '-3'], /^hermode: --seed = "-3": must be an integer ≥ 0$/],
      [['map', 'derivations/saad-solla-erf.yaml', '--steps', '0'], /^hermode: --steps = "0": must be an integer ≥ 1$/],
    ];
    for (const [args, line] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toMatch(line);
    }
    const f = join(tmp('hermode-typo-'), 'typo.yaml');
    writeFileSync(f, 'name: typo\nstudent: {width: 2, activaton: "tanh(z)"}\nteacher: {width: 1, target: committee, activation: "tanh(z)"}\n');
    const r = await cli(['derive', f, '--out-dir', join(f, '..', 'gen')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`hermode: ${f}: student: unknown field(s) activaton (missing: activation — misspelled?)`);
  });

  it('Hermite coefficients that vanish by symmetry print as exact zeros', async () => {
    const { hermite } = await import('../src/index.ts');
    const odd = hermite('tanh(z)', 6).coefficients;
    expect([odd[0], odd[2], odd[4], odd[6]]).toEqual([0, 0, 0, 0]);
    expect(Math.abs(odd[3])).toBeGreaterThan(0.06);
    const even = hermite('cosh(z/3)', 5).coefficients;
    expect([even[1], even[3], even[5]]).toEqual([0, 0, 0]);
    // a function with no parity keeps every coefficient
    expect(hermite('softplus(z)', 2).coefficients.every((c) => c !== 0)).toBe(true);
  });
});

describe('singular and divergent activations', () => {
  it('poles and non-integrable singularities are refused with one line naming where; kinks and smooth functions pass', async () => {
    for (const [expr, where] of [['1/z', /at z = 0 /], ['1/(z-1)', /at z = 1 /], ['tan(z)', /singular near z = -?\d+\.\d+/], ['1/sqrt(abs(z) + 1e-300)', /singular near z = 0|at z = 0/]] as const) {
      const r = await cli(['hermite', expr]);
      expect(r.code, expr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), expr).toHaveLength(1);
      expect(r.stderr, expr).toMatch(where);
    }
    for (const expr of ['relu(z)', 'abs(z)', 'sign(z)', 'tanh(z)', 'He5(z)', 'softplus(z)', 'z^2*step(z)', 'max(-1, min(1, z))', 'max(-1, min(1, 1.1*z))', 'max(z, 0.1*z)']) expect((await cli(['hermite', expr])).code, expr).toBe(0);
    // and a derivation with such a student writes nothing
    const dir = tmp('hermode-pole-');
    writeFileSync(join(dir, 'pole.yaml'), 'name: pole\nstudent: {width: 1, activation: "tan(z)"}\nteacher: {width: 1, target: committee, activation: "tanh(z)"}\n');
    const d = await cli(['derive', join(dir, 'pole.yaml'), '--out-dir', join(dir, 'gen')]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/student\.activation = "tan\(z\)": is singular near/);
    expect(existsSync(join(dir, 'gen'))).toBe(false);
  });
});

describe('no silent runs', () => {
  it('a run that exhausts its step budget prints the trajectory so far, then one line, exit 1', async () => {
    const r = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '400', '--max-steps', '20']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/odex: 19 steps/);
    expect(r.stdout.split('\n').filter((l) => /^\s+\d/.test(l)).length).toBeGreaterThan(1);
    expect(r.stderr.trim()).toMatch(/^hermode: derivations\/saad-solla-erf\.yaml: integration stopped: odex took more than 20 steps and stopped at τ = 120 of 400 — the right-hand side is stiff or rough there; loosen --rtol, raise --max-steps or shorten --tau/);
  });

  it('progress is reported every 5 s off a terminal, with the time left', async () => {
    const { progressReporter } = await import('../src/cli/progress.ts');
    let t = 0;
    const lines: string[] = [];
    const write = process.stderr.write;
    const tty = process.stderr.isTTY;
    process.stderr.write = ((s: string) => (lines.push(s), true)) as typeof process.stderr.write;
    (process.stderr as { isTTY?: boolean }).isTTY = false;
    try {
      const p = progressReporter('integrating', 'τ', false, () => t);
      for (t = 0; t <= 20_000; t += 500) p(t / 100, 400);
      p.stop();
    } finally {
      process.stderr.write = write;
      (process.stderr as { isTTY?: boolean }).isTTY = tty;
    }
    // silent for 2 s, then a line every 5 s: at 5, 10, 15 and 20 s
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('hermode: integrating: 13 % (50 of 400 τ), about 35 s left\n');
  });
});

describe('a learning rate far too large', () => {
  it('is named the same way whether the run blows up, crawls or ends: the norm that grew, when, and to lower η̄', async () => {
    const big = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=100', '--tau', '20']);
    expect(big.code).toBe(0);
    expect(big.stderr.trim()).toBe("hermode: warning: the student's norm Q_11 grew from 1 to 24.3 by τ = 20: the variance term outgrows the drift at η̄ = 100; lower eta_bar");
    const fine = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '20']);
    expect(fine.stderr).toBe('');
    const crawl = await cli(['integrate', 'derivations/polynomial-staircase.yaml', '--set', 'eta_bar=10', '--tau', '20', '--max-steps', '20000']);
    expect(crawl.code).toBe(1);
    expect(crawl.stderr).toMatch(/warning: the student's norm Q_\d\d grew from 1 to [\d.]+ by τ = [\d.]+: the variance term outgrows the drift at η̄ = 10; lower eta_bar/);
  });
});

describe('no endless derivations', () => {
  it('a wide student by tensor quadrature is refused at once with the node count and what to pass instead', async () => {
    const dir = tmp('hermode-wide-');
    // a general target: neither the lattice backend (committees) nor per-template quadrature (MSE at p = 10) applies
    writeFileSync(join(dir, 'wide.yaml'), 'name: wide\nstudent: {width: 10, activation: "tanh(z)"}\nteacher: {width: 1, target: "He3(nu1)"}\n');
    const r = await cli(['derive', join(dir, 'wide.yaml'), '--out-dir', join(dir, 'gen')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/: expectations = "auto": tensor quadrature over p \+ k = 11 fields needs at least 6\^11 = 3\.6e\+8 nodes .* expectations: quadrature:N/);
    expect(existsSync(join(dir, 'gen'))).toBe(false);
    // it names what to pass instead, with the accuracy that comes with it
    expect(r.stderr).toMatch(/pass expectations: hermite:6 \(the exact ODE of the student truncated at Hermite order 6, ‖σ − σ_6‖² ≈ 1\.5e-3\)/);
    // a wide smooth committee is not refused: auto takes the lattice backend (pair integrals and a
    // lattice for the variance term), and a tanh committee with p = k = 10 under MSE derives and integrates
    writeFileSync(join(dir, 'wide10.yaml'), 'name: wide10\nstudent: {width: 10, activation: "tanh(z)"}\nteacher: {width: 10, target: committee, activation: "tanh(z)"}\n');
    const wide = await cli(['derive', join(dir, 'wide10.yaml'), '--out-dir', join(dir, 'gen10'), '--lang', 'ts']);
    expect(wide.code, wide.stderr).toBe(0);
    expect(wide.stdout).toMatch(/pair integrals by the trapezoidal rule .* 16384-point shifted lattice over the 20 fields/);
    expect(wide.stdout).toMatch(/lattice accuracy at a generic state: pair integrals \(A, B, S, ε\) change by [\d.]+e-1[2-6] relative/);
    const t0 = performance.now();
    const ok = await cli(['integrate', join(dir, 'wide10.yaml'), '--set', 'eta_bar=1', '--tau', '2', '--points', '3', '--json', '--quiet']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).status).toBe('completed');
    expect(performance.now() - t0).toBeLessThan(60000);
    // and the truncation's cost in accuracy is stated against a quadrature of the untruncated model; it
    // sees the truncation: order 4 is worse than order 6
    const acc = async (K: number) => {
      const dv = await cli(['derive', join(dir, 'wide10.yaml'), '--expectations', `hermite:${K}`, '--out-dir', join(dir, `h${K}`), '--lang', 'ts']);
      expect(dv.code, dv.stderr).toBe(0);
      return Number(/hermite accuracy against the original activations: the moments differ by ([\d.e+-]+) relative/.exec(dv.stdout)?.[1]);
    };
    const [a4, a6] = [await acc(4), await acc(6)];
    expect(a6).toBeGreaterThan(1e-3);
    expect(a6).toBeLessThan(1e-1);
    expect(a4).toBeGreaterThan(1.5 * a6);
  });
});

describe('bad input on the newest options', () => {
  it('--lang, --max-steps: one line, exit 2, nothing written', async () => {
    const dir = tmp('hermode-opts-');
    const a = await cli(['derive', 'derivations/saad-solla-erf.yaml', '--lang', 'py,fortran', '--out-dir', join(dir, 'gen')]);
    expect(a.code).toBe(2);
    expect(a.stderr.trim()).toBe('hermode: --lang = "fortran": unknown language; expected some of ts, tex, py, c, wasm');
    expect(existsSync(join(dir, 'gen'))).toBe(false);
    const b = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--max-steps', '0']);
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toBe('hermode: --max-steps = "0": must be an integer ≥ 1');
    // and --lang writes only what it names
    const c = await cli(['derive', 'derivations/saad-solla-erf.yaml', '--lang', 'py,c', '--out-dir', join(dir, 'gen')]);
    expect(c.code).toBe(0);
    for (const [suffix, present] of [['.py', true], ['.c', true], ['.h', true], ['.ts', false], ['.tex', false], ['.wasm', false]] as const) expect(existsSync(join(dir, 'gen', `saad-solla-erf${suffix}`)), suffix).toBe(present);
  });
});
