/**
 * Breakpoints of activations from their values (src/hermite/breaks.ts) — jumps of σ, σ′ and σ″ located
 * wherever they are and however σ was written, none found on smooth (also steep) functions — and the
 * warning the tensor rules give for them when no exact evaluator reaches: the rule's right-hand side
 * jumps as nodes cross a kink (measured here), which is what stalls an adaptive integrator.
 */
import { describe, it, expect } from 'vitest';
import { activation } from '../src/hermite/activation.ts';
import { breakpoints } from '../src/hermite/breaks.ts';
import { deriveYaml } from './helpers.ts';
import { defaultOverlaps } from '../src/numeric/setup.ts';
import { stateOf } from '../src/numeric/trajectory.ts';

describe('breakpoints of an activation', () => {
  it('finds jumps of σ, σ′ and σ″ where they are, and none on smooth functions', () => {
    const cases: [string, [number, number][]][] = [
      ['max(-1, min(1, z))', [[-1, 1], [1, 1]]],
      ['relu(z - 0.3)', [[0.3, 1]]],
      ['relu(z)', [[0, 1]]],
      ['abs(z) + 0.5*z', [[0, 1]]],
      ['sign(z)', [[0, 0]]],
      ['step(z + 0.7)', [[-0.7, 0]]],
      ['max(z, 0) + min(0, exp(z) - 1)', [[0, 2]]],
      ['z*relu(z)', [[0, 2]]],
      ['max(z, 0.1*z) + max(0, z - 2)', [[0, 1], [2, 1]]],
    ];
    for (const [text, want] of cases) {
      const got = breakpoints(activation(text));
      expect(got.map((b) => b.order), text).toEqual(want.map((w) => w[1]));
      got.forEach((b, i) => expect(Math.abs(b.at - want[i][0]), text).toBeLessThan(b.order === 2 ? 3e-5 : 1e-9));
    }
    // an irrational breakpoint is located too (no snapping to a round number)
    const irr = breakpoints(activation('relu(z - 0.123456789)'));
    expect(irr).toHaveLength(1);
    expect(Math.abs(irr[0].at - 0.123456789)).toBeLessThan(1e-9);
    for (const text of ['tanh(z)', 'tanh(20*z)', 'erf(z/sqrt(2))', 'softplus(z)', 'z*erf(z)', 'z^3 - z', 'exp(-z^2)']) expect(breakpoints(activation(text)), text).toEqual([]);
  });

  it('the tensor rules warn about kinks no exact evaluator takes, and the jump of their right-hand side is real', () => {
    const yaml = (s: string, t: string) => `name: b\nstudent: {width: 2, activation: "${s}"}\nteacher: {width: 2, target: committee, activation: "${t}"}\nloss: mse\n`;
    const ht = deriveYaml(yaml('max(-1, min(1, z))', 'erf(z/sqrt(2))'), 'quadrature:12');
    const note = ht.plan.notes.find((n) => /not smooth/.test(n));
    expect(note).toMatch(/σ is not smooth at z = -1 \(σ′ jumps\), z = 1 \(σ′ jumps\).*right-hand side jumps/);
    // the jump: along a line of states 1e-6 apart the right-hand side changes by ~1e-6 except where a node crosses a kink
    const y0 = stateOf(defaultOverlaps(ht.model, 1, 0.3), ht.layout);
    const dy = new Float64Array(y0.length);
    const steps: number[] = [];
    let prev: number[] | undefined;
    for (let i = 0; i <= 40; i++) {
      const y = y0.slice();
      y[0] += i * 1e-6;
      ht.compiled.rhs(0, y, ht.layout.defaultParams, dy);
      if (prev) steps.push(Math.max(...Array.from(dy, (v, j) => Math.abs(v - prev![j]))));
      prev = Array.from(dy);
    }
    steps.sort((a, b) => a - b);
    expect(steps[steps.length - 1] / steps[Math.floor(steps.length / 2)]).toBeGreaterThan(100);
    // no warning where the exact evaluator applies or the functions are smooth
    expect(deriveYaml(yaml('relu(z)', 'relu(z)'), 'quadrature:12').plan.notes.some((n) => /not smooth/.test(n))).toBe(false);
    expect(deriveYaml(yaml('softplus(z)', 'tanh(z)'), 'quadrature:12').plan.notes.some((n) => /not smooth/.test(n))).toBe(false);
  });
});
