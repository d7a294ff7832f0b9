/**
 * README's numbers come from the commands beside them: each claim below is read out of README.md
 * (the command and the quoted figures), the command is run, and every quoted figure must be what the
 * command prints, to the digits README gives. Only deterministic (seeded) commands are held here;
 * changing a number in README without rerunning its command fails this test.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { cli } from './helpers.ts';

const readme = readFileSync('README.md', 'utf8');

/** Does `quoted` (as README writes it, e.g. "0.571" or "−0.00118") equal `value` to its digits? */
function sameToDigits(quoted: string, value: number): boolean {
  const q = Number(quoted.replace('−', '-').replace('+', ''));
  const decimals = (quoted.split('.')[1] ?? '').length;
  return Math.abs(q - value) <= 0.5 * 10 ** -decimals * (1 + 1e-9);
}

/** The command in back quotes after `marker` in README, as argv (without the leading "hermode"). */
function commandAfter(marker: string): string[] {
  const at = readme.indexOf(marker);
  expect(at, marker).toBeGreaterThan(-1);
  const m = /`hermode ([^`]+)`/.exec(readme.slice(at, at + 600));
  expect(m, `a command after ${marker}`).not.toBeNull();
  return (m as RegExpExecArray)[1].trim().split(/\s+/);
}

/** README's text from `marker` to `until`, and what the command in it prints with --json. */
async function claim<T>(marker: string, until: string): Promise<{ text: string; json: T }> {
  const args = commandAfter(marker);
  const r = await cli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return { text: readme.slice(readme.indexOf(marker), readme.indexOf(until)), json: JSON.parse(r.stdout) as T };
}

describe('README quotes what its commands print', () => {
  it('large-batch diagnostics: n_b*, ‖g_W‖ and the loss change per update, theory and simulation (item 3 of the rules)', async () => {
    type Diagnosis = { noiseScale: number; points: { nb: number; theory: { gradW: number; lossChange: number }; sim: { gradW: { mean: number; sem: number }; lossChange: { mean: number; sem: number } } }[] };
    const { text, json: j } = await claim<Diagnosis>('**The gradient norm falls with n_b and saturates at the noise scale**', '4. **AdaDamp**');
    const nbStar = /n_b\* = d ΣV\/ΣG = (\d+)/.exec(text) as RegExpExecArray;
    expect(Math.round(j.noiseScale)).toBe(Number(nbStar[1]));
    const theory = (/‖g_W‖ = ([\d., ]+) at/.exec(text) as RegExpExecArray)[1].split(', ');
    expect(theory).toHaveLength(j.points.length);
    theory.forEach((q, i) => expect(sameToDigits(q, j.points[i].theory.gradW), `‖g_W‖ at n_b = ${j.points[i].nb}: README ${q}, command ${j.points[i].theory.gradW}`).toBe(true));
    const sims = [...(/against simulated ([^(]+)\(/.exec(text) as RegExpExecArray)[1].matchAll(/([\d.]+) ± ([\d.]+)/g)];
    expect(sims).toHaveLength(j.points.length);
    sims.forEach(([, mean, sem], i) => {
      expect(sameToDigits(mean, j.points[i].sim.gradW.mean), `simulated ‖g_W‖ at n_b = ${j.points[i].nb}`).toBe(true);
      expect(sameToDigits(sem, j.points[i].sim.gradW.sem), `its standard error: README ${sem}, command ${j.points[i].sim.gradW.sem}`).toBe(true);
    });
    const loss = /goes from \+([\d.]+) \(noise wins, n_b = 1\) to −([\d.]+) \(simulated \+([\d.]+) ± ([\d.]+), −([\d.]+) ± ([\d.]+)\)/.exec(text) as RegExpExecArray;
    expect(loss).not.toBeNull();
    const [first, last] = [j.points[0], j.points[j.points.length - 1]];
    expect(sameToDigits(loss[1], first.theory.lossChange)).toBe(true);
    expect(sameToDigits('-' + loss[2], last.theory.lossChange)).toBe(true);
    expect(sameToDigits(loss[3], first.sim.lossChange.mean)).toBe(true);
    expect(sameToDigits('-' + loss[5], last.sim.lossChange.mean)).toBe(true);
  });

  it('one giant step: m1 closed form and simulated, and Q1_12 at α = 2', async () => {
    type Giant = { cases: { alpha: number; closed: { m: number[]; qOff: number }; sim: { m: number[][] } }[] };
    const { text, json: j } = await claim<Giant>('**One giant step**', '**A hard direction**');
    const m = /α = ([\d., ]+) give\s+m1 = ([\d., ]+) \(closed\) against ([\d., ]+) \(simulation/.exec(text.replace(/\s+/g, ' ')) as RegExpExecArray;
    expect(m, 'the quoted figures').not.toBeNull();
    const [alphas, closed, sim] = [m[1], m[2], m[3]].map((x) => x.split(', ').map((v) => v.trim()));
    expect(j.cases.map((c) => c.alpha)).toEqual(alphas.map(Number));
    j.cases.forEach((c, i) => {
      expect(sameToDigits(closed[i], c.closed.m[0]), `closed m1 at α = ${c.alpha}`).toBe(true);
      expect(sameToDigits(sim[i], c.sim.m[1][0]), `simulated m1 at α = ${c.alpha}: README ${sim[i]}, command ${c.sim.m[1][0]}`).toBe(true);
    });
    expect(/at α = 2 Q1_12 = 5\/8/.test(text.replace(/\s+/g, ' '))).toBe(true);
    expect(j.cases[1].closed.qOff).toBeCloseTo(5 / 8, 12);
  });

  it('leap indices of THEORY §4.3’s examples', async () => {
    const text = readme.slice(readme.indexOf('**Leap indices**'));
    const pairs: [string, string, number][] = [
      ['ν1 + ν1ν2 + ν1ν2ν3', 'nu1 + nu1*nu2 + nu1*nu2*nu3', 1],
      ['ν1ν2', 'nu1*nu2', 2],
      ['He3(ν1)', 'He3(nu1)', 3],
      ['ν1 + ν1He2(ν2)', 'nu1 + nu1*He2(nu2)', 2],
    ];
    for (const [shown, expr] of pairs) {
      const m = new RegExp(`${shown.replace(/[()+]/g, (c) => `\\${c}`)} → (\\d)`).exec(text) as RegExpExecArray;
      expect(m, shown).not.toBeNull();
      const r = await cli(['hermite', expr, '--leap', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).leap.index, shown).toBe(Number(m[1]));
    }
  });
});
