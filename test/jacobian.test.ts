/**
 * The Jacobian ∂(dy/dτ)/∂y by forward-mode differentiation of the generated code (src/ir/tangent.ts):
 * for every expectation backend, against central finite differences of the generated right-hand side
 * at random valid states (committees and general targets, trained and fixed second layers, plain,
 * spherical and projected dynamics, correlation loss); a planted wrong derivative rule is caught; and
 * `derive --jacobian` prints a Python and a C jacobian (C under -Wall -Wextra -Werror) that agree with
 * the TypeScript one to 1e-12.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { jacobianOf, type Derivation } from '../src/pipeline.ts';
import { TANGENT_RULES } from '../src/ir/tangent.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { printedPyAndC, cli, deriveYaml, randomOverlaps, tmp } from './helpers.ts';

const committee = (s: string, g: string, e: string, extra = '') =>
  `name: jac\nstudent: {width: 2, activation: "${s}", second_layer: {train: true, init: [1, -0.5]}}\nteacher: {width: 2, target: committee, activation: "${g}"}\nloss: mse\nnoise: 0.1\nexpectations: "${e}"\n${extra}`;
const general = (s: string, target: string, e: string, extra = '') =>
  `name: jacg\nstudent: {width: 2, activation: "${s}"}\nteacher: {width: 2, target: "${target}"}\nloss: mse\nexpectations: "${e}"\n${extra}`;

/** max |J − central differences| over the entries, and max |J|, at a state. */
function fdGap(d: Derivation, y: Float64Array, params: number[]): { gap: number; scale: number } {
  const n = y.length;
  const J = new Float64Array(n * n);
  jacobianOf(d)(0, y, params, J);
  const f1 = new Float64Array(n);
  const f2 = new Float64Array(n);
  let gap = 0;
  let scale = 0;
  for (let j = 0; j < n; j++) {
    const h = 1e-5 * Math.max(1, Math.abs(y[j]));
    const yp = Float64Array.from(y);
    const ym = Float64Array.from(y);
    yp[j] += h;
    ym[j] -= h;
    d.compiled.rhs(0, yp, params, f1);
    d.compiled.rhs(0, ym, params, f2);
    for (let i = 0; i < n; i++) {
      const fd = (f1[i] - f2[i]) / (2 * h);
      gap = Math.max(gap, Math.abs(fd - J[i * n + j]));
      scale = Math.max(scale, Math.abs(J[i * n + j]));
    }
  }
  return { gap, scale };
}

function states(d: Derivation, seeds: number[]): Float64Array[] {
  const { p, k } = d.model;
  return seeds.map((s) => {
    const o = randomOverlaps(p, k, s, 0.5);
    return Float64Array.from(stateOf({ ...o, a: d.model.a0.map((a, j) => a * (0.9 + 0.1 * j)) }, d.layout));
  });
}

const cases: [string, string][] = [
  ['closed-erf', committee('erf(z/sqrt(2))', 'erf(z/sqrt(2))', 'auto')],
  ['closed-relu', committee('relu(z)', 'relu(z)', 'auto')],
  ['exact', committee('relu(z)', 'sign(z)', 'auto')],
  ['wick', committee('He3(z)/sqrt(6)', 'He3(z)/sqrt(6)', 'auto')],
  ['mixture', committee('tanh(z)', '1.3*tanh(0.8*z)', 'mixture:5')],
  ['probit', committee('z*(1+erf(z/sqrt(2)))/2', 'tanh(z)', 'probit:4')],
  ['split', committee('max(-1, min(1, z))', 'erf(z)', 'split:2')],
  ['quadrature', committee('sin(z)', 'erf(z)', 'quadrature:8')],
  ['lattice', committee('sin(z)', 'erf(z)', 'lattice:1024')],
  ['quadrature-templates', committee('sin(z)', 'erf(z)', 'quadrature-templates')],
  ['hermite', committee('sin(z)', 'erf(z)', 'hermite:4')],
  ['exact, general target', general('relu(z)', 'nu1 + nu1*nu2', 'auto')],
  ['probit, general target', general('z*(1+erf(z/sqrt(2)))/2', 'He3(nu1)/sqrt(6)', 'auto')],
  ['wick, spherical', general('He2(z)/sqrt(2)', 'He2(nu1)/sqrt(2) + nu2', 'auto', 'dynamics: spherical\n')],
  ['closed-erf, projected, correlation loss', committee('erf(z/sqrt(2))', 'erf(z/sqrt(2))', 'auto', 'dynamics: projected\n').replace('loss: mse', 'loss: correlation').replace('train: true', 'train: false')],
];

describe('the Jacobian of the generated right-hand side', () => {
  for (const [what, yaml] of cases)
    it(`${what}: equals central finite differences at random states (to 1e-7 of max|J|; the lattice 1e-6)`, () => {
      const d = deriveYaml(yaml);
      expect(d.plan.backend.startsWith(what.split(',')[0])).toBe(true);
      const params = [...d.layout.defaultParams];
      params[d.layout.etaBar] = 0.7;
      for (const y of states(d, [11, 12])) {
        const { gap, scale } = fdGap(d, y, params);
        expect(scale).toBeGreaterThan(1e-3);
        // the lattice's trapezoidal step follows the fields' spreads, so its code is smooth only between
        // the states where a node count changes: the differences see that at 1e-7
        expect(gap / scale, what).toBeLessThan(what === 'lattice' ? 1e-6 : 1e-7);
      }
    });

  it('the check catches a wrong derivative rule (asin′ with the wrong sign)', () => {
    const d = deriveYaml(committee('erf(z/sqrt(2))', 'erf(z/sqrt(2))', 'auto'));
    const [y] = states(d, [11]);
    const params = [...d.layout.defaultParams];
    const right = TANGENT_RULES.asin;
    try {
      TANGENT_RULES.asin = (a) => ({ k: 'neg', a: right(a) });
      const { gap, scale } = fdGap(d, y, params);
      expect(gap / scale).toBeGreaterThan(1e-3);
    } finally {
      TANGENT_RULES.asin = right;
    }
    const { gap, scale } = fdGap(d, y, params);
    expect(gap / scale).toBeLessThan(1e-7);
  });
});

const hasTools = spawnSync('cc', ['--version']).status === 0 && spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasTools)('derive --jacobian', () => {
  it('prints jacobian in Python and C (compiled with -Werror) that agree with TypeScript to 1e-12; without the flag nothing is added', async () => {
    const dir = tmp('hermode-jac-');
    const file = join(dir, 'gelu.yaml');
    const yaml = committee('z*(1+erf(z/sqrt(2)))/2', 'tanh(z)', 'probit:4');
    writeFileSync(file, yaml);
    const r = await cli(['derive', file, '--jacobian', '--lang', 'ts,py,c', '--out-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const d = deriveYaml(yaml);
    const [y] = states(d, [13]);
    const params = [...d.layout.defaultParams];
    const n = y.length;
    const J = new Float64Array(n * n);
    jacobianOf(d)(0, y, params, J);
    const got = printedPyAndC(dir, 'jac', 'jacobian', y, params, n * n);
    const scale = Math.max(...Array.from(J, Math.abs));
    for (const lang of ['py', 'c'] as const) {
      expect(got[lang]).toHaveLength(n * n);
      const worst = Math.max(...got[lang].map((x, i) => Math.abs(x - J[i])));
      expect(worst / scale, lang).toBeLessThan(1e-12);
    }
    const plain = await cli(['derive', file, '--lang', 'ts', '--out-dir', join(dir, 'plain')]);
    expect(plain.code).toBe(0);
    expect(d.ts).not.toMatch(/function jacobian\(/);
  });
});
