/**
 * The lattice backend (THEORY §3.6) for wide committees with smooth activations: pair integrals by
 * the trapezoidal rule against closed forms (erf) and a fine tensor quadrature (tanh), the lattice's
 * variance term against closed forms within the error derive states — and the statement sees errors
 * of the size it reports — and auto's choice for wide smooth committees.
 */
import { describe, it, expect } from 'vitest';
import { deriveYaml, randomOverlaps, omegaFrom, tmp, spawnCli } from './helpers.ts';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { quadratureMoments, unpackMoments, type Moments } from '../src/gaussian/reference.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { latticeRule, latticeNormals, trapezoidStep } from '../src/gaussian/lattice.ts';

const body = (p: number, k: number, s: string, g: string, extra = '') =>
  `student: {width: ${p}, activation: "${s}"}\nteacher: {width: ${k}, target: committee, activation: "${g}"}\nloss: mse\n${extra ? `${extra}\n` : ''}`;

function momentsAt(d: ReturnType<typeof deriveYaml>, M: number[][], Q: number[][], params = [...d.layout.defaultParams]): Moments {
  const out = new Float64Array(d.layout.mom.size);
  d.compiled.moments(stateOf({ M, Q, a: d.model.a0 }, d.layout), params, out);
  return unpackMoments(out, d.model.p, d.model.k, d.layout.mom);
}
const drift = (m: Moments) => [...m.A.flat(), ...m.B.flat(), ...m.S, m.risk];
const relMax = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / Math.max(...b.map(Math.abs), 1e-300);
const statedVError = (notes: string[]) => Number(/V's lattice error ≈ ([\d.e+-]+) relative/.exec(notes.join('\n'))?.[1]);

describe('lattice backend', () => {
  it('pair integrals: the drift, S and ε of an erf committee equal the closed forms to round-off; a 1 % wrong scale is seen', () => {
    const spec = body(3, 2, 'erf(0.7*z)', 'erf(1.3*z)', 'noise: 0.1');
    const d = deriveYaml(`name: l\n${spec}expectations: lattice\n`);
    expect(d.plan.backend).toBe('lattice');
    const c = deriveYaml(`name: l\n${spec}expectations: closed\n`);
    expect(c.plan.backend).toBe('closed-erf');
    const { M, Q } = randomOverlaps(3, 2, 11, 0.5);
    const ref = momentsAt(c, M, Q);
    expect(relMax(drift(momentsAt(d, M, Q)), drift(ref))).toBeLessThan(1e-12);
    const wrong = deriveYaml(`name: l\n${spec.replace('erf(0.7*z)', 'erf(0.707*z)')}expectations: lattice\n`);
    expect(relMax(drift(momentsAt(wrong, M, Q)), drift(ref))).toBeGreaterThan(1e-3);
  });

  it('pair integrals of a tanh committee against a 90-node tensor Gauss–Hermite rule of the definitions', () => {
    const spec = body(2, 1, 'tanh(z)', 'tanh(z)', 'noise: 0.1');
    const d = deriveYaml(`name: l\n${spec}expectations: lattice\n`);
    const { M, Q, P } = randomOverlaps(2, 1, 5, 0.4);
    const params = [...d.layout.defaultParams];
    const ref = quadratureMoments(d.model, omegaFrom(M, Q, P), d.model.a0, params[d.layout.delta], 90);
    const got = momentsAt(d, M, Q);
    expect(relMax(drift(got), drift(ref))).toBeLessThan(1e-9);
    // V (three fields here) to the lattice's accuracy
    expect(relMax(got.V.flat(), ref.V.flat())).toBeLessThan(5e-3);
  });

  it('the variance term of a wide erf committee (p = k = 6) is within 4× the stated error of the closed forms, and a 3 % wrong V is outside it', () => {
    const spec = body(6, 6, 'erf(z)', 'erf(z)');
    const d = deriveYaml(`name: l\n${spec}expectations: lattice:16384\n`);
    const stated = statedVError(d.plan.notes);
    expect(stated).toBeGreaterThan(1e-5);
    expect(stated).toBeLessThan(2e-2);
    const c = deriveYaml(`name: l\n${spec}expectations: closed\n`);
    // the generic state derive measures at, and a random one
    const s = 1 / Math.sqrt(6);
    const gM = Array.from({ length: 6 }, (_, j) => Array.from({ length: 6 }, (_, r) => s * (j === r ? 0.5 : 0.2)));
    const gQ = Array.from({ length: 6 }, (_, j) => Array.from({ length: 6 }, (_, l) => (j === l ? 1 : 0.3)));
    const rnd = randomOverlaps(6, 6, 3, 0.3);
    for (const [M, Q] of [[gM, gQ], [rnd.M, rnd.Q]]) {
      const ref = momentsAt(c, M, Q).V.flat();
      const got = momentsAt(d, M, Q).V.flat();
      const err = relMax(got, ref);
      expect(err).toBeLessThan(4 * stated);
      // the stated error can see a V that is 3 % off
      expect(relMax(got.map((x) => 1.03 * x), ref)).toBeGreaterThan(err + 2 * stated);
    }
    // more points, smaller stated error
    const finer = deriveYaml(`name: l\n${spec}expectations: lattice:65536\n`);
    expect(statedVError(finer.plan.notes)).toBeLessThan(stated);
  });

  it('auto takes it for a wide smooth committee; the same derivation gives the same code; bad requests are refused', () => {
    const spec = body(5, 5, 'tanh(z)', 'softplus(z) - log(2)');
    const a = deriveYaml(`name: w\n${spec}`);
    expect(a.plan.backend).toBe('lattice');
    expect(a.ts).toBe(deriveYaml(`name: w\n${spec}`).ts);
    // its LaTeX states the Stein reduction as a display equation (backslashes intact)
    expect(a.tex).toContain(String.raw`\mathbb{E}[\sigma'(x_j)\,x_i\,e] = \Omega_{ij}\sum_m c_m\,\mathbb{E}[\sigma''(x_j)\,h_m(x_m)]`);
    // a small model keeps the tensor rule (softplus), or the scale mixture when it applies (tanh)
    expect(deriveYaml(`name: w\n${body(2, 2, 'softplus(z)', 'tanh(z)')}`).plan.backend).toBe('quadrature');
    expect(deriveYaml(`name: w\n${body(2, 2, 'tanh(z)', 'tanh(z)')}`).plan.backend).toBe('mixture');
    expect(() => deriveYaml(`name: w\n${spec}expectations: lattice:1000\n`)).toThrow(/power of two between 1024/);
    expect(() => deriveYaml(`name: w\n${body(2, 2, 'relu(z)', 'tanh(z)')}expectations: lattice\n`)).toThrow(/smooth activations: this model has a kink/);
    expect(() => deriveYaml('name: w\nstudent: {width: 2, activation: "tanh(z)"}\nteacher: {width: 1, target: "He2(nu1)"}\nexpectations: lattice\n')).toThrow(/committee target/);
    // on the command line: one line, exit 2, nothing written
    const dir = tmp('hermode-lattice-');
    writeFileSync(join(dir, 'w.yaml'), `name: w\n${spec}`);
    for (const bad of ['lattice:1000', 'lattice:x']) {
      const r = spawnCli(['derive', join(dir, 'w.yaml'), '--expectations', bad, '--out-dir', join(dir, 'gen')]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr.trim().split('\n'), bad).toHaveLength(1);
      expect(existsSync(join(dir, 'gen')), bad).toBe(false);
    }
  });

  it('the lattice: Box–Muller normals have the first two moments of N(0, 1) to the rule’s accuracy; the trapezoidal step is found for tanh and refused for |z|', () => {
    const rule = latticeRule(4096, 6);
    const m = [0, 0, 0, 0, 0, 0];
    const v = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < rule.points; i++) latticeNormals(rule, i).forEach((z, j) => ((m[j] += z / rule.points), (v[j] += (z * z) / rule.points)));
    for (let j = 0; j < 6; j++) {
      expect(Math.abs(m[j])).toBeLessThan(2e-2);
      expect(Math.abs(v[j] - 1)).toBeLessThan(3e-2);
    }
    expect(trapezoidStep([Math.tanh])).toBeGreaterThan(0.1);
    expect(trapezoidStep([Math.abs])).toBeUndefined();
  });
});
