/**
 * The implicit integrator (THEORY §2.12, linearly implicit Euler extrapolated) against exact solutions
 * of stiff problems, where an explicit method is held to tiny steps, and against odex on the overlap
 * ODE of the Saad–Solla committee; the same run far past convergence costs a fraction of odex's
 * evaluations. On the CLI: `integrate --integrator implicit`, and a bad value refused in one line.
 */
import { describe, it, expect } from 'vitest';
import { LinearlyImplicitSolver } from '../src/numeric/implicit.ts';
import { Solver } from '../src/numeric/odex.ts';
import { deriveFile } from '../src/pipeline.ts';
import { runIntegration } from '../src/numeric/run.ts';
import { cli } from './helpers.ts';

const c = Math.cos(0.3);
const s = Math.sin(0.3);
/** A = R diag(−10⁴, −1) Rᵀ */
const A = [
  [-1e4 * c * c - s * s, (-1e4 + 1) * c * s],
  [(-1e4 + 1) * c * s, -1e4 * s * s - c * c],
];
const exact = (t: number, y0: number[]) => {
  // Rᵀy0 in the eigenbasis, decayed, back
  const u = [c * y0[0] + s * y0[1], -s * y0[0] + c * y0[1]];
  const v = [u[0] * Math.exp(-1e4 * t), u[1] * Math.exp(-t)];
  return [c * v[0] - s * v[1], s * v[0] + c * v[1]];
};

describe('linearly implicit Euler extrapolation', () => {
  it('solves a stiff linear system (eigenvalues −10⁴ and −1) to the tolerance in about a hundred steps, with a twentieth of odex’s evaluations', () => {
    const f = (_t: number, y: number[]) => [A[0][0] * y[0] + A[0][1] * y[1], A[1][0] * y[0] + A[1][1] * y[1]];
    const jac = (_t: number, _y: number[], J: Float64Array) => J.set([A[0][0], A[0][1], A[1][0], A[1][1]]);
    const solver = new LinearlyImplicitSolver(2);
    solver.relativeTolerance = 1e-9;
    solver.absoluteTolerance = 1e-12;
    const y0 = [1, 2];
    const seen: [number, number[]][] = [];
    const res = solver.solve(f, jac, 0, y0, 10, (_nr, _xold, x, y, dense) => {
      seen.push([x, y]);
      if (dense && x > 0.5 && seen.length % 3 === 0) {
        // dense output inside the step is the solution too
        const t = x - 0.25 * (x - seen[seen.length - 2][0]);
        const e = exact(t, y0);
        expect(Math.abs(dense(1, t) - e[1])).toBeLessThan(1e-8 * Math.max(1e-3, Math.abs(e[1])) + 1e-11);
      }
    });
    const e = exact(10, y0);
    expect(Math.abs(res.y[0] - e[0])).toBeLessThan(1e-9 * Math.abs(e[0]) + 1e-11);
    expect(Math.abs(res.y[1] - e[1])).toBeLessThan(1e-9 * Math.abs(e[1]) + 1e-11);
    expect(res.nAccept).toBeLessThan(200);
    const ex = new Solver(2);
    ex.relativeTolerance = 1e-9;
    ex.absoluteTolerance = 1e-12;
    const re = ex.solve(f, 0, y0, 10);
    expect(re.nEval).toBeGreaterThan(20 * res.nEval);
  });

  it('follows a non-autonomous stiff problem (Prothero–Robinson y′ = −10³(y − cos t) − sin t, exact y = cos t)', () => {
    const f = (t: number, y: number[]) => [-1e3 * (y[0] - Math.cos(t)) - Math.sin(t)];
    const jac = (_t: number, _y: number[], J: Float64Array) => (J[0] = -1e3);
    const solver = new LinearlyImplicitSolver(1);
    const res = solver.solve(f, jac, 0, [1], 20);
    expect(res.outcome).toBe(0);
    // (this problem shows the order reduction of extrapolated linearly implicit methods on stiff forced
    // problems: steps stay near 7·10⁻³; the accuracy holds)
    expect(Math.abs(res.y[0] - Math.cos(20))).toBeLessThan(1e-8);
  });

  it('integrates the Saad–Solla committee like odex (to 1e-8) and, far past convergence (τ = 5·10⁴), at a fifth of odex’s cost', () => {
    const d = deriveFile('derivations/saad-solla-erf.yaml');
    for (const tauEnd of [500, 50000]) {
      const a = runIntegration(d, { tauEnd, sets: { eta_bar: 0.5 }, measureAccuracy: false });
      const b = runIntegration(d, { tauEnd, sets: { eta_bar: 0.5 }, measureAccuracy: false, integrator: 'implicit' });
      expect(b.status).toBe('completed');
      expect(b.meta.integrator).toMatchObject({ method: expect.stringContaining('linearly implicit') });
      let worst = 0;
      a.tau.forEach((_, i) => a.M[i].flat().concat(a.Q[i].flat()).forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b.M[i].flat().concat(b.Q[i].flat())[j])))));
      expect(worst).toBeLessThan(1e-8);
      if (tauEnd === 50000) {
        const ia = a.meta.integrator as { evaluations: number };
        const ib = b.meta.integrator as { evaluations: number; jacobians: number };
        const n = d.layout.stateNames.length;
        expect(ib.evaluations + n * ib.jacobians).toBeLessThan(ia.evaluations / 5);
      }
    }
  }, 60_000);

  it('integrate --integrator implicit says which integrator ran; a bad value is refused in one line (exit 2)', async () => {
    const r = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--tau', '50', '--integrator', 'implicit', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^implicit: \d+ steps .* Jacobians/m);
    const bad = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--tau', '50', '--integrator', 'rk4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--integrator/);
  }, 60_000);
});
