/**
 * Fixed points and their stability (THEORY §2.11) against independent computations: the Saad–Solla erf
 * committee's plateau and specialised point are roots of a right-hand side assembled independently
 * (THEORY §2.3 written out in the test, moments by tensor Gauss–Hermite on their definitions), found
 * again by a finite-difference Newton on the symmetric subspace from another guess; the eigenvalues
 * satisfy the trace identities of a finite-difference Jacobian of that right-hand side; λ₊ is the
 * growth rate of a perturbation off the plateau in the ODE, and the slowest rate that of the approach to
 * the specialised point.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveFile } from '../src/pipeline.ts';
import { complexEigenvectorOf, findFixedPoints, symmetrised } from '../src/numeric/fixedpoints.ts';
import { defaultOverlaps, resolveParams } from '../src/numeric/setup.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { stateOf, overlapsOf, omegaOf } from '../src/numeric/trajectory.ts';
import { quadratureMoments } from '../src/gaussian/reference.ts';
import { luSolve } from '../src/linalg.ts';
import { gaussHermite } from '../src/quadrature.ts';
import { cli, odeFromMoments, tmp } from './helpers.ts';

const d = deriveFile('derivations/saad-solla-erf.yaml');
const params = resolveParams(d.model, d.layout, { eta_bar: '0.5' });
const fps = findFixedPoints(d, { params, start: defaultOverlaps(d.model, 1), tau: 3000 });
const plateau = fps.find((f) => f.type === 'saddle');
const special = fps.find((f) => f.type === 'stable');
const P = [[1, 0], [0, 1]];

/** dy/dτ from moments evaluated by quadrature on their definitions (independent of templates and code generation). */
function Fref(y: number[], prm = params): number[] {
  const o = overlapsOf(y, d.layout, d.model.a0);
  const m = quadratureMoments(d.model, omegaOf(o.M, o.Q, P), o.a, prm[d.layout.delta], 24);
  return odeFromMoments(d, m, y, prm, o.a);
}
const maxAbs = (v: number[]) => Math.max(...v.map(Math.abs));

function fdJacobian(F: (y: number[]) => number[], y: number[], h = 1e-5): number[][] {
  const n = y.length;
  const cols = y.map((_, j) => {
    const [yp, ym] = [y.slice(), y.slice()];
    yp[j] += h;
    ym[j] -= h;
    const [a, b] = [F(yp), F(ym)];
    return a.map((x, i) => (x - b[i]) / (2 * h));
  });
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i]));
}

describe('fixed points of the Saad–Solla erf committee (p = k = 2, η̄ = 0.5)', () => {
  it('finds the specialised point (stable, M = Q = I, zero risk) and the symmetric plateau (a saddle with one unstable direction, which breaks the students’ symmetry)', () => {
    expect(plateau && special).toBeTruthy();
    expect(maxAbs(special!.y.map((x, i) => x - stateOf({ M: P, Q: P, a: [1, 1] }, d.layout)[i]))).toBeLessThan(1e-9);
    expect(Math.abs(special!.risk)).toBeLessThan(1e-12);
    expect(plateau!.unstable).toBe(1);
    const M = plateau!.state.M.flat();
    expect(Math.max(...M) - Math.min(...M)).toBeLessThan(1e-9);
    const v = plateau!.leading!.vector;
    // the unstable direction: M_11 − M_12 − M_21 + M_22 (one student to each teacher), Q unchanged
    expect(Math.abs(v.M_1_1 + v.M_1_2)).toBeLessThan(1e-6);
    expect(Math.abs(v.M_1_1 + v.M_2_1)).toBeLessThan(1e-6);
    expect(Math.abs(v.Q_1_1) + Math.abs(v.Q_1_2)).toBeLessThan(1e-6);
    expect(plateau!.omegaMin).toBeGreaterThan(0);
  });

  it('both are roots of an independently assembled right-hand side (to 1e-9; a state 1e-4 away is not), and an independent Newton on the symmetric subspace finds the plateau again to 1e-7', () => {
    for (const f of [plateau!, special!]) {
      expect(maxAbs(Fref(f.y))).toBeLessThan(1e-9);
      // (Q_11 moved: Ω stays positive semi-definite, so the reference's quadrature is defined there)
      const off = f.y.map((x, i) => x + (i === d.layout.Q ? 1e-4 : 0));
      expect(maxAbs(Fref(off))).toBeGreaterThan(1e-7);
    }
    // (m, q, c) → y with M_jr = m, Q_jj = q, Q_12 = c; residual (F_M11, F_Q11, F_Q12) by finite-difference Newton
    const toY = (x: number[]) => stateOf({ M: [[x[0], x[0]], [x[0], x[0]]], Q: [[x[1], x[2]], [x[2], x[1]]], a: [1, 1] }, d.layout);
    const G = (x: number[]) => {
      const F = Fref(toY(x));
      return [F[d.layout.M], F[d.layout.Q], F[d.layout.Q + 1]];
    };
    let x = [0.45, 0.4, 0.3];
    for (let it = 0; it < 40; it++) {
      const g = G(x);
      if (maxAbs(g) < 1e-12) break;
      const Jg = fdJacobian(G, x, 1e-6);
      const dx = luSolve(Jg, g.map((v) => -v));
      // steps of at most 0.05 keep Ω positive semi-definite on the way
      const c = Math.min(1, 0.05 / maxAbs(dx));
      x = x.map((v, i) => v + c * dx[i]);
    }
    expect(maxAbs(toY(x).map((v, i) => v - plateau!.y[i]))).toBeLessThan(1e-7);
  });

  it('the eigenvalues satisfy Σλ = tr J, Σλ² = tr J² and Πλ = det J for a finite-difference Jacobian of the right-hand side (another eigen-solver, no forward mode)', () => {
    const F = (y: number[]) => {
      const out = new Float64Array(y.length);
      d.compiled.rhs(0, y, params, out);
      return Array.from(out);
    };
    for (const f of [plateau!, special!]) {
      const J = fdJacobian(F, f.y);
      const n = J.length;
      const tr = J.reduce((s, r, i) => s + r[i], 0);
      const tr2 = J.reduce((s, r, i) => s + r.reduce((t, x, j) => t + x * J[j][i], 0), 0);
      const sum = f.eigenvalues.reduce((s, e) => s + e.re, 0);
      const sum2 = f.eigenvalues.reduce((s, e) => s + e.re * e.re - e.im * e.im, 0);
      expect(Math.abs(sum - tr)).toBeLessThan(1e-7);
      expect(Math.abs(sum2 - tr2)).toBeLessThan(1e-7);
      // det by elimination
      const A = J.map((r) => r.slice());
      let det = 1;
      for (let c = 0; c < n; c++) {
        let p = c;
        for (let i = c + 1; i < n; i++) if (Math.abs(A[i][c]) > Math.abs(A[p][c])) p = i;
        if (p !== c) [A[c], A[p], det] = [A[p], A[c], -det];
        det *= A[c][c];
        for (let i = c + 1; i < n; i++) {
          const m = A[i][c] / A[c][c];
          for (let j = c; j < n; j++) A[i][j] -= m * A[c][j];
        }
      }
      const prod = f.eigenvalues.reduce((s, e) => s * e.re, 1); // real spectra here
      expect(f.eigenvalues.every((e) => e.im === 0)).toBe(true);
      expect(Math.abs(prod - det) / Math.abs(det)).toBeLessThan(1e-4);
    }
  });

  it('λ₊ is the growth rate of a perturbation off the plateau in the ODE (within 1 %), and the slowest rate that of the overlaps’ approach to the specialised point (within 1 %)', () => {
    const o = plateau!.state;
    const eps = 1e-9;
    const start = { ...o, M: [[o.M[0][0] + eps, o.M[0][1] - eps], [o.M[1][0] - eps, o.M[1][1] + eps]] };
    const t = runIntegration(d, { tauEnd: 600, points: 61, init: start, sets: { eta_bar: 0.5 } });
    const dev = t.M.map((M) => Math.abs(M[0][0] - M[0][1]));
    // while the deviation is small (linear regime): its log grows at λ₊
    const i1 = t.tau.findIndex((x) => x >= 200);
    const i2 = t.tau.findIndex((x) => x >= 500);
    expect(dev[i2]).toBeLessThan(1e-3);
    const rate = Math.log(dev[i2] / dev[i1]) / (t.tau[i2] - t.tau[i1]);
    expect(Math.abs(rate / plateau!.leading!.value - 1)).toBeLessThan(0.01);
    // the approach to the specialised point, from a start near it: the deviation of the overlaps decays at the slowest rate
    const near = { M: [[0.9, 0.05], [0.02, 0.92]], Q: [[0.95, 0.03], [0.03, 0.97]], P, a: [1, 1] };
    const s = runIntegration(d, { tauEnd: 900, points: 91, init: near, sets: { eta_bar: 0.5 } });
    const gapAt = (i: number) => Math.max(Math.abs(s.M[i][0][1]), Math.abs(s.M[i][1][0]), Math.abs(s.M[i][0][0] - 1), Math.abs(s.Q[i][0][0] - 1));
    const j1 = s.tau.findIndex((x) => x >= 600);
    const j2 = s.tau.length - 1;
    const decay = -Math.log(gapAt(j2) / gapAt(j1)) / (s.tau[j2] - s.tau[j1]);
    expect(Math.abs(decay / special!.slowest! - 1)).toBeLessThan(0.01);
  });

  it('the risk approaches 0 at the reported rate 2|λ₁| (every mode enters at second order): the ODE’s ln ε over τ ∈ [700, 1000] within 1.5 % of it (and the first-order |λ₃| is not), and the reduced simulator at d = 2000 decays at the ODE’s rate (within 1 %, 4 seeds)', async () => {
    expect(special!.riskRate!).toBeCloseTo(2 * special!.slowest!, 10);
    const start = { M: [[0.9, 0.1], [0.1, 0.9]], Q: [[0.84, 0.18], [0.18, 0.84]], P, a: [1, 1] };
    const grid = Array.from({ length: 101 }, (_, i) => 10 * i);
    const ode = runIntegration(d, { tauEnd: 1000, grid, init: start, sets: { eta_bar: 0.5 }, rtol: 1e-12, atol: 1e-20, measureAccuracy: false });
    /** −d ln ε/dτ by least squares over [lo, hi] */
    const rateOf = (tau: number[], risk: number[], lo: number, hi: number) => {
      const pts = tau.map((t, i) => [t, Math.log(risk[i])]).filter(([t]) => t >= lo && t <= hi);
      const mx = pts.reduce((a, q) => a + q[0], 0) / pts.length;
      const my = pts.reduce((a, q) => a + q[1], 0) / pts.length;
      return -pts.reduce((a, q) => a + (q[0] - mx) * (q[1] - my), 0) / pts.reduce((a, q) => a + (q[0] - mx) ** 2, 0);
    };
    const late = rateOf(ode.tau, ode.risk, 700, 1000);
    expect(late / special!.riskRate! - 1).toBeGreaterThan(0);
    expect(late / special!.riskRate! - 1).toBeLessThan(0.015);
    // a first-order entry of the λ₃ mode (rate |λ₃|) would be 10 % off
    const lam3 = -special!.eigenvalues.map((e) => e.re).filter((x) => x < -1.5 * special!.slowest!).reduce((a, b) => Math.max(a, b));
    expect(Math.abs(late / lam3 - 1)).toBeGreaterThan(0.05);
    const { simulate } = await import('../src/simulate/simulate.ts');
    const D = 2000;
    const sim = await simulate(d, { d: D, nb: 1, gamma: 0.5 / D, steps: 400 * D * 2, seeds: [1, 2, 3, 4], engine: 'reduced', init: start, points: 41, workers: 2, params: [...d.layout.defaultParams] });
    const odeEarly = rateOf(ode.tau, ode.risk, 150, 400);
    const simEarly = rateOf(sim.tau, sim.mean.risk, 150, 400);
    expect(Math.abs(simEarly / odeEarly - 1)).toBeLessThan(0.01);
  }, 60_000);

  it('the critical learning rate: M = Q = I loses stability where a sweep says (bisection, largest Re λ there 0 to 1e-6); integrations from 3·10⁻⁵ away converge at 0.95 η̄_c and leave at 1.05 η̄_c', async () => {
    const { sweepFixedPoints } = await import('../src/numeric/fixedpoints.ts');
    const br = sweepFixedPoints(d, { params, start: defaultOverlaps(d.model, 1), tau: 3000 }, d.layout.etaBar, [8, 10]);
    const spec = br.find((b) => b.points[0].type === 'stable')!;
    const change = spec.changes.find((c) => /crosses 0/.test(c.what))!;
    const c = change.at;
    expect(c).toBeGreaterThan(8);
    expect(c).toBeLessThan(10);
    const at = params.map((x, i) => (i === d.layout.etaBar ? c : x));
    const { stability } = await import('../src/numeric/fixedpoints.ts');
    const I = stateOf({ M: P, Q: P, a: [1, 1] }, d.layout);
    expect(Math.abs(stability(d, I, at).eigenvalues[0].re)).toBeLessThan(1e-6);
    const e = 1e-5;
    const M = [[1 - e, 2 * e], [e, 1 - 2 * e]];
    const Q = [0, 1].map((j) => [0, 1].map((l) => M[j][0] * M[l][0] + M[j][1] * M[l][1] + (j === l ? e : 0)));
    const gapEnd = (f: number) => {
      const t = runIntegration(d, { tauEnd: 1500, points: 16, init: { M, Q, P, a: [1, 1] }, sets: { eta_bar: f * c }, measureAccuracy: false });
      const i = t.tau.length - 1;
      return Math.max(Math.abs(t.M[i][0][0] - 1), Math.abs(t.M[i][0][1]), Math.abs(t.M[i][1][0]), Math.abs(t.M[i][1][1] - 1), Math.abs(t.Q[i][0][1]), Math.abs(t.Q[i][0][0] - 1));
    };
    expect(gapEnd(0.95)).toBeLessThan(1e-8);
    expect(gapEnd(1.05)).toBeGreaterThan(0.1);
  }, 60_000);

  it('p = k = 3: the symmetric plateau is a root of the independently assembled right-hand side (1e-8, 12⁶-node quadrature), with M_jr all equal, and its λ₊ the growth rate of a breaking perturbation in the ODE (1 %)', async () => {
    const { parseSpec } = await import('../src/spec/load.ts');
    const { deriveSpec } = await import('../src/pipeline.ts');
    const d3 = deriveSpec(parseSpec(['name: erf-p3', 'student: {width: 3, activation: "erf(z/sqrt(2))", second_layer: {train: false, init: [1, 1, 1]}}', 'teacher: {width: 3, target: committee, activation: "erf(z/sqrt(2))", weights: [1, 1, 1]}', 'loss: mse'].join('\n')));
    const p3 = resolveParams(d3.model, d3.layout, { eta_bar: '0.5' });
    const fp3 = findFixedPoints(d3, { params: p3, start: defaultOverlaps(d3.model, 1), tau: 3000 });
    const sad = fp3.find((f) => f.type === 'saddle' && f.origin === 'symmetric')!;
    expect(sad).toBeTruthy();
    const M = sad.state.M.flat();
    expect(Math.max(...M) - Math.min(...M)).toBeLessThan(1e-9);
    const I3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const F3 = (y: number[]) => {
      const o = overlapsOf(y, d3.layout, d3.model.a0);
      return odeFromMoments(d3, quadratureMoments(d3.model, omegaOf(o.M, o.Q, I3), o.a, 0, 12), y, p3, o.a);
    };
    expect(maxAbs(F3(sad.y))).toBeLessThan(1e-8);
    expect(maxAbs(F3(sad.y.map((x, i) => x + (i === d3.layout.Q ? 1e-4 : 0))))).toBeGreaterThan(1e-7);
    // growth along v₊ in the ODE, from 1e-9 away
    const v = d3.layout.stateNames.map((n) => sad.leading!.vector[n] ?? 0);
    const y0 = sad.y.map((x, i) => x + 1e-9 * v[i]);
    const w = d3.layout.stateNames.map((n) => sad.leading!.left![n] ?? 0);
    const t = runIntegration(d3, { tauEnd: 400, points: 41, init: { ...overlapsOf(y0, d3.layout, d3.model.a0), P: I3 }, sets: { eta_bar: 0.5 }, measureAccuracy: false });
    const coord = t.tau.map((_, i) => w.reduce((acc, we, e) => acc + we * (stateOf({ M: t.M[i], Q: t.Q[i], a: t.a[i] }, d3.layout)[e] - sad.y[e]), 0));
    const [i1, i2] = [t.tau.findIndex((x) => x >= 100), t.tau.findIndex((x) => x >= 300)];
    expect(Math.abs(coord[i2])).toBeLessThan(1e-4);
    expect(Math.abs(Math.log(coord[i2] / coord[i1]) / (t.tau[i2] - t.tau[i1]) / sad.leading!.value - 1)).toBeLessThan(0.01);
  }, 120_000);

  it('the escape law: from δ₀ = 1e-4 and 1e-9 along v₊ the ODE is 0.1 away after ln(δ*/δ₀)/λ₊ (within 1 %), δ* measured from δ₀ = 1e-6', () => {
    const { deltaStar, distance } = plateau!.escape!;
    expect(distance).toBe(0.1);
    const lam = plateau!.leading!.value;
    const v = d.layout.stateNames.map((n) => plateau!.leading!.vector[n]);
    for (const delta0 of [1e-4, 1e-9]) {
      const y0 = plateau!.y.map((x, i) => x + delta0 * v[i]);
      const start = { ...overlapsOf(y0, d.layout, [1, 1]), P };
      const t = runIntegration(d, { tauEnd: 4000, points: 3, init: start, sets: { eta_bar: 0.5 }, events: [{ name: 'out', g: (y) => Math.max(...Array.from(y, (x, i) => Math.abs(x - plateau!.y[i]))) - 0.1, terminal: true }] });
      const tau = t.events!.find((e) => e.name === 'out')!.tau;
      expect(Math.abs(tau / (Math.log(deltaStar / delta0) / lam) - 1), `δ₀ = ${delta0}`).toBeLessThan(0.01);
    }
  });

  it('from the symmetrised start alone, the plateau is what the ODE reaches', () => {
    const sym = symmetrised(defaultOverlaps(d.model, 3));
    expect(new Set(sym.M.flat()).size).toBe(1);
    const only = findFixedPoints(d, { params, start: sym, tau: 400 });
    expect(only.some((f) => f.type === 'saddle' && maxAbs(f.y.map((x, i) => x - plateau!.y[i])) < 1e-8)).toBe(true);
  });
});

describe('eigenvectors of a complex pair', () => {
  // A = S·B·S⁻¹ with B block-diagonal: a rotation block with λ = 0.3 ± 2i, then −1 and −0.5
  const B = [[0.3, 2, 0, 0], [-2, 0.3, 0, 0], [0, 0, -1, 0], [0, 0, 0, -0.5]];
  const S = [[1, 0.2, -0.3, 0.1], [0.4, 1, 0.2, -0.2], [0.1, -0.5, 1, 0.3], [0.2, 0.1, 0.4, 1]];
  const mm = (X: number[][], Y: number[][]) => X.map((r) => Y[0].map((_, j) => r.reduce((s, x, l) => s + x * Y[l][j], 0)));
  const Sinv = S[0].map((_, j) => luSolve(S, S.map((_, i) => (i === j ? 1 : 0))));
  const A = mm(mm(S, B), Sinv[0].map((_, i) => Sinv.map((col) => col[i])));
  // |A v − λ v| for v = re + i·im, λ = α + iβ
  const residual = (v: { re: number[]; im: number[] }, a: number, b: number) =>
    Math.max(
      ...A.map((row, i) => {
        const Avr = row.reduce((s, x, j) => s + x * v.re[j], 0);
        const Avi = row.reduce((s, x, j) => s + x * v.im[j], 0);
        return Math.hypot(Avr - (a * v.re[i] - b * v.im[i]), Avi - (a * v.im[i] + b * v.re[i]));
      }),
    );
  it('A v = λ v for λ = 0.3 + 2i to 1e-9, unit norm, largest entry real and positive; the conjugate pair gives the conjugate vector (which, like the real part alone, is no eigenvector of λ)', () => {
    const v = complexEigenvectorOf(A, 0.3, 2);
    expect(residual(v, 0.3, 2)).toBeLessThan(1e-9);
    expect(Math.abs(v.re.reduce((s, x, i) => s + x * x + v.im[i] ** 2, 0) - 1)).toBeLessThan(1e-12);
    const big = v.re.reduce((k, _, i) => (Math.hypot(v.re[i], v.im[i]) > Math.hypot(v.re[k], v.im[k]) ? i : k), 0);
    expect(v.im[big]).toBe(0);
    expect(v.re[big]).toBeGreaterThan(0);
    const c = complexEigenvectorOf(A, 0.3, -2);
    expect(Math.max(...c.re.map((x, i) => Math.abs(x - v.re[i]) + Math.abs(c.im[i] + v.im[i])))).toBeLessThan(1e-9);
    // the residual sees a wrong answer: the conjugate vector, or the real part alone, is no eigenvector of 0.3 + 2i
    expect(residual(c, 0.3, 2)).toBeGreaterThan(1e-2);
    expect(residual({ re: v.re, im: v.im.map(() => 0) }, 0.3, 2)).toBeGreaterThan(1e-2);
    // a real eigenvalue through the same routine
    const r = complexEigenvectorOf(A, -0.5, 0);
    expect(residual(r, -0.5, 0)).toBeLessThan(1e-9);
  });
});

describe('hermode fixed-points', () => {
  it('prints the table and --json with its convention, time unit and every eigenvalue; refuses a bad --tau in one line, exit 2', async () => {
    const r = await cli(['fixed-points', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=0.5', '--tau', '3000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/time unit τ, eigenvalues of ∂\(dy\/dτ\)\/∂y per unit τ/);
    expect(r.stdout).toMatch(/saddle .* λ₊ = 0\.0163/);
    const j = await cli(['fixed-points', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=0.5', '--tau', '3000', '--json']);
    const out = JSON.parse(j.stdout);
    expect(out).toMatchObject({ convention: 'canonical', timeUnit: 'tau' });
    expect(out.fixedPoints).toHaveLength(2);
    expect(out.fixedPoints[0].eigenvalues).toHaveLength(d.layout.stateNames.length);
    for (const bad of ['0', '-3', 'x', '1e9']) {
      const b = await cli(['fixed-points', 'derivations/saad-solla-erf.yaml', '--tau', bad]);
      expect(b.code, bad).toBe(2);
      expect(b.stderr.trim().split('\n')).toHaveLength(1);
      expect(b.stderr).toMatch(/--tau/);
    }
  });

  it('a spherical committee keeps its norms: the fixed points have Q_jj = 1 and their stability is taken on the sphere (the Q_jj left out)', async () => {
    const dir = tmp('hermode-fp-');
    const f = join(dir, 'sph.yaml');
    writeFileSync(f, 'name: sph\nstudent: {width: 2, activation: "erf(z/sqrt(2))"}\nteacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\ndynamics: spherical\n');
    const r = await cli(['fixed-points', f, '--set', 'eta_bar=0.5', '--tau', '2000', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { fixedPoints: { state: { Q: number[][] }; neutral: number; type: string; eigenvalues: unknown[]; leading?: { vector: Record<string, number> } }[] };
    expect(out.fixedPoints.map((f) => f.type).sort()).toEqual(['saddle', 'stable']);
    for (const fp of out.fixedPoints) {
      expect(Math.abs(fp.state.Q[0][0] - 1)).toBeLessThan(1e-9);
      expect(fp.eigenvalues).toHaveLength(5);
      expect(fp.neutral).toBe(0);
      if (fp.leading) expect(Object.keys(fp.leading.vector)).not.toContain('Q_1_1');
    }
  });

  it('--sweep follows the branches by continuation: every point is a fixed point of its value with the type the direct analysis gives, and a branch ends where its largest Re λ reaches 0 (a fold); bad sweeps are refused in one line, exit 2', async () => {
    const dir = tmp('hermode-fp-');
    const f = join(dir, 'noisy.yaml');
    writeFileSync(f, 'name: noisy\nstudent: {width: 2, activation: "erf(z/sqrt(2))"}\nteacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}\nloss: mse\nnoise: 0.3\n');
    const r = await cli(['fixed-points', f, '--sweep', 'eta_bar=0.5:5:10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { parameter: string; branches: { points: { value: number; y: number[]; type: string; maxRe: number }[]; changes: { at: number; what: string }[] }[] };
    expect(out.parameter).toBe('eta_bar');
    const nd = deriveFile(f);
    const stable = out.branches.find((b) => b.points[0].type === 'stable')!;
    for (const p of stable.points) {
      const prm = resolveParams(nd.model, nd.layout, { eta_bar: String(p.value) });
      const dy = new Float64Array(p.y.length);
      nd.compiled.rhs(0, p.y, prm, dy);
      expect(maxAbs(Array.from(dy)), `η̄ = ${p.value}`).toBeLessThan(1e-9);
      expect(p.type).toBe('stable');
    }
    // the stable branch gets ever less stable and ends between the last grid value it has and the next: a fold
    const re = stable.points.map((p) => p.maxRe);
    for (let i = 1; i < re.length; i++) expect(re[i]).toBeGreaterThan(re[i - 1]);
    expect(stable.changes).toHaveLength(1);
    const end = stable.changes[0].at;
    expect(end).toBeGreaterThan(stable.points.at(-1)!.value);
    expect(end).toBeLessThan(5);
    expect(stable.changes[0].what).toMatch(/its largest Re λ is -?\d\.\de-(9|1\d) there/);
    // --out: the same JSON and a plot of each branch's largest Re λ
    const dirOut = join(dir, 'out');
    expect((await cli(['fixed-points', f, '--sweep', 'eta_bar=0.5:5:10', '--out', dirOut, '--quiet'])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dirOut, 'sweep.json'), 'utf8')).branches).toHaveLength(out.branches.length);
    const svg = readFileSync(join(dirOut, 'sweep.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toMatch(/largest Re λ of each fixed point along eta_bar/);
    // beyond the fold no fixed point is reached: a one-line failure, exit 1, nothing written
    const none = await cli(['fixed-points', f, '--set', 'eta_bar=8', '--out', join(dir, 'none'), '--quiet']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/no fixed point found/);
    expect(existsSync(join(dir, 'none'))).toBe(false);
    for (const [bad, msg] of [['eta_bar=1:2:1', /--sweep n/], ['nope=1:2:3', /unknown parameter nope/], ['eta_bar=1:1:3', /lo and hi must differ/], ['eta_bar', /name=lo:hi:n/]] as [string, RegExp][]) {
      const b = await cli(['fixed-points', f, '--sweep', bad, '--out', join(dir, 'bad')]);
      expect(existsSync(join(dir, 'bad')), bad).toBe(false);
      expect(b.code, bad).toBe(2);
      expect(b.stderr.trim().split('\n')).toHaveLength(1);
      expect(b.stderr).toMatch(msg);
    }
  });

  it('correlation loss (He3/√6 on He3/√6, spherical): the fixed point is the root m* of (1 − m²)C′(m) = ½ η̄ (a/p) V(m) m (THEORY §2.5) to 1e-9, with the neurons aligned; a 1 % wrong η̄ in that equation misses it', () => {
    const dc = deriveFile('derivations/he3-correlation.yaml');
    const gh = gaussHermite(40);
    // V(m) = E[σ′(λ)² y²] for (λ, ν) of correlation m, by a 40 × 40 Gauss–Hermite rule; C(m) = m³
    const V = (m: number) => {
      let s = 0;
      for (let i = 0; i < 40; i++)
        for (let j = 0; j < 40; j++) {
          const l = gh.x[i];
          const nu = m * l + Math.sqrt(1 - m * m) * gh.x[j];
          const ds = (3 * (l * l - 1)) / Math.sqrt(6);
          const y = (nu ** 3 - 3 * nu) / Math.sqrt(6);
          s += gh.w[i] * gh.w[j] * ds * ds * y * y;
        }
      return s;
    };
    const root = (eta: number) => {
      const F = (m: number) => (1 - m * m) * 3 * m * m - 0.5 * eta * 0.5 * V(m) * m;
      let [lo, hi] = [0.3, 0.999];
      for (let it = 0; it < 80; it++) {
        const mid = 0.5 * (lo + hi);
        if (F(mid) > 0) lo = mid;
        else hi = mid;
      }
      return lo;
    };
    const start = { M: [[0.5], [0.45]], Q: [[1, 0.2], [0.2, 1]], P: [[1]], a: [1, 1] };
    for (const eta of [0.05, 0.1]) {
      const prm = resolveParams(dc.model, dc.layout, { eta_bar: String(eta) });
      const [fp] = findFixedPoints(dc, { params: prm, start, tau: 2000 });
      expect(fp.type).toBe('stable');
      const m = root(eta);
      for (const row of fp.state.M) expect(Math.abs(row[0] - m), `η̄ = ${eta}`).toBeLessThan(1e-9);
      expect(Math.abs(fp.state.Q[0][1] - 1)).toBeLessThan(1e-9);
      expect(Math.abs(root(1.01 * eta) - fp.state.M[0][0])).toBeGreaterThan(1e-4);
    }
  });
});

describe('the per-step Ω ⪰ 0 test', () => {
  it('positiveDefiniteShifted(C, tol) is true exactly when λ_min(C) > −tol: a rotated diag(2, 0.5, −0.01) passes at tol 0.011 and fails at 0.009; the symmetric eigenvalues agree', async () => {
    const { positiveDefiniteShifted, symmetricEigenvalues } = await import('../src/linalg.ts');
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const R = [[c, -s, 0], [s * 0.6, c * 0.6, 0.8], [-s * 0.8, -c * 0.8, 0.6]];
    const lam = [2, 0.5, -0.01];
    const C = R.map((ri) => R.map((rj) => ri.reduce((t, x, m) => t + x * lam[m] * rj[m], 0)));
    expect(Math.abs(symmetricEigenvalues(C)[0] + 0.01)).toBeLessThan(1e-12);
    const flat = C.flat();
    expect(positiveDefiniteShifted(flat, 3, 0.011)).toBe(true);
    expect(positiveDefiniteShifted(flat, 3, 0.009)).toBe(false);
    expect(positiveDefiniteShifted(flat, 3, 0, new Float64Array(9))).toBe(false);
  });
});
