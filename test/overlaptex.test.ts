/**
 * The right-hand side written out in the overlaps (src/codegen/overlapTex.ts) against the generated
 * right-hand side, evaluated directly at random states: every printed equation is the one hermode
 * integrates. And the single-index He3 case in the form THEORY writes it.
 */
import { describe, it, expect } from 'vitest';
import { deriveYaml, randomOverlaps } from './helpers.ts';
import { deriveFile } from '../src/pipeline.ts';
import { overlapSystem } from '../src/codegen/overlapTex.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { Rng } from '../src/random/rng.ts';

const models: [string, ReturnType<typeof deriveFile>][] = [
  ['he3-single-index (spherical)', deriveFile('derivations/he3-single-index.yaml')],
  ['he3-correlation', deriveFile('derivations/he3-correlation.yaml')],
  ['polynomial-staircase (trained a, general target)', deriveFile('derivations/polynomial-staircase.yaml')],
  ['He2 committee p = 2, k = 2, MSE, plain, noise', deriveYaml('name: c\nstudent: {width: 2, activation: "He2(z)/sqrt(2) + z/2"}\nteacher: {width: 2, target: committee, activation: "He2(z)/sqrt(2)", weights: [1, 0.5]}\nloss: mse\nnoise: 0.1\n')],
  ['three directions, projected, correlation', deriveYaml('name: m\nstudent: {width: 2, activation: "z + z^3/6 - z^2/3"}\nteacher: {width: 3, target: "nu1*nu2 - nu3 + He3(nu1)/6"}\nloss: correlation\ndynamics: projected\n')],
];

describe('the equations written out in the overlaps', () => {
  for (const [name, d] of models) {
    it(`${name}: equal the generated right-hand side at random states (1e-12)`, () => {
      const sys = overlapSystem(d.equations);
      expect(sys, name).toBeDefined();
      if (!sys) return;
      const { p, k } = d.model;
      const L = d.layout;
      const rng = new Rng(11);
      const normalised = d.model.dynamics !== 'plain';
      for (let trial = 0; trial < 3; trial++) {
        const o = randomOverlaps(p, k, 50 + trial, 0.5);
        if (normalised) {
          // on the sphere: unit diagonal
          const s = o.Q.map((row, j) => Math.sqrt(row[j]));
          o.Q = o.Q.map((row, j) => row.map((v, l) => v / (s[j] * s[l])));
          o.M = o.M.map((row, j) => row.map((v) => v / s[j]));
        }
        const a = d.model.a0.map((x) => x * (0.8 + 0.4 * rng.uniform()));
        const y = stateOf({ M: o.M, Q: o.Q, a }, L);
        const params = [...L.defaultParams];
        params[L.etaBar] = 0.7;
        params[L.delta] = 0.05;
        if (L.kappa >= 0) params[L.kappa] = 0.3;
        if (!L.trained) d.model.a0.forEach((v, j) => (params[L.aParam + j] = v));
        const dy = new Float64Array(y.length);
        d.compiled.rhs(0, y, params, dy);
        const value = (key: string): number => {
          if (key === 'eta_bar') return 0.7;
          if (key === 'Delta') return 0.05;
          if (key === 'kappa') return 0.3;
          const [i, j] = key.slice(1).split(',').map(Number);
          return key[0] === 'M' ? o.M[i][j] : key[0] === 'Q' ? o.Q[i][j] : a[i];
        };
        const x = sys.keys.map(value);
        for (const e of sys.equations) {
          const want = dy[e.state];
          expect(Math.abs(e.poly.evaluate(x) - want), `${name} ${e.lhs}`).toBeLessThan(1e-12 * (1 + Math.abs(want)));
        }
        expect(sys.equations.length).toBe(p * k + (normalised ? (p * (p - 1)) / 2 : (p * (p + 1)) / 2) + (L.trained ? p : 0));
      }
    });
  }

  it('a single He3 neuron on the sphere reads dm/dτ = 3m²(1 − m²) − ½η̄V(m)m with V(0) = 96 (THEORY §2.4)', () => {
    const d = deriveFile('derivations/he3-single-index.yaml');
    const sys = overlapSystem(d.equations);
    if (!sys) throw new Error('no explicit system');
    const e = sys.equations[0];
    const m = sys.keys.indexOf('M0,0');
    const eta = sys.keys.indexOf('eta_bar');
    const at = (mv: number, ev: number) => e.poly.evaluate(sys.keys.map((_, i) => (i === m ? mv : i === eta ? ev : 0)));
    for (const mv of [0.1, 0.4, 0.9]) expect(at(mv, 0)).toBeCloseTo(3 * mv * mv * (1 - mv * mv), 13);
    // the η̄ part at small m: −½η̄V(0)m = −48η̄m
    expect((at(1e-6, 1) - at(1e-6, 0)) / 1e-6).toBeCloseTo(-48, 4);
  });

  it('a wide polynomial model is not written out (it would be unreadable, and its expansion grows as p⁴), and says so', () => {
    const d = deriveFile('derivations/he3-time-complexity.yaml');
    expect(d.model.p).toBe(4);
    expect(overlapSystem(d.equations)).toBeUndefined();
    expect(d.tex).toMatch(/would be too long to read/);
  });

  it('models whose expectations are not polynomials keep them as integrals, and say so', () => {
    const d = deriveFile('derivations/saad-solla-erf.yaml');
    expect(overlapSystem(d.equations)).toBeUndefined();
    expect(d.tex).toMatch(/not polynomials in the overlaps; they stay as functions of the covariance of 2 to 4 fields/);
  });
});
