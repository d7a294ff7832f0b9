/**
 * Rules are files (src/rules): a learning-rate or batch-size rule declares its parameters and its
 * formula over measurements once, and the option parser, the derivation file's schema, `--help`, the
 * ODE, the map and both simulators read it through the registry. Shown by planting two rules in the
 * registry here — normalised SGD, γ_t = γ0/‖g_W‖, and a batch that grows with the steps,
 * n_b = ⌈nb0 (1 + steps/s0)⌉ — and holding the ODE under them against simulation, with a wrong γ0
 * and a wrong s0 rejected by the same check.
 */
import { describe, it, expect, vi } from 'vitest';
import type { LrRuleDef, BatchRuleDef } from '../src/rules/types.ts';

const NSGD: LrRuleDef = {
  name: 'nsgd',
  summary: 'γ_t = γ0/‖g_W‖',
  params: [{ name: 'gamma0', key: 'gamma0', need: 'positive', doc: 'the base rate γ0' }],
  given: 'refused',
  measures: ['norms'],
  rate: (v, probe) => (v.gamma0 as number) / Math.sqrt(probe.norms().g2),
  initial: (v) => v.gamma0 as number,
  describe: (v) => `NSGD γ_t = ${v.gamma0}/‖g_W‖`,
};

const GROW: BatchRuleDef = {
  name: 'grow',
  summary: 'n_b = ⌈nb0 (1 + steps/s0)⌉',
  params: [
    { name: 'nb0', key: 'nb0', need: 'int1', doc: 'the starting batch' },
    { name: 's0', key: 's0', need: 'positive', doc: 'the steps over which the batch doubles' },
  ],
  measures: () => [],
  startBatch: (v) => v.nb0 as number,
  create: (v) => ({ at: (_tau, steps) => ({ nb: Math.ceil((v.nb0 as number) * (1 + steps / (v.s0 as number)) - 1e-9), decay: 1 }) }),
  describe: (v) => `n_b = ⌈${v.nb0}(1 + steps/${v.s0})⌉`,
};

vi.mock('../src/rules/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/rules/index.ts')>();
  // one registry line more each: the consumers see nothing else
  return { LR_RULE_DEFS: [...original.LR_RULE_DEFS, NSGD], BATCH_RULE_DEFS: [...original.BATCH_RULE_DEFS, GROW] };
});

const { deriveFile } = await import('../src/pipeline.ts');
const { resolveRules } = await import('../src/rules/spec.ts');
const { OverlapRules, gradientStats, gradientNorm2 } = await import('../src/numeric/rules.ts');
const { runMap } = await import('../src/numeric/run.ts');
const { simulate } = await import('../src/simulate/simulate.ts');
const { compare } = await import('../src/compare/compare.ts');
const { stateOf } = await import('../src/numeric/trajectory.ts');
const { cli, deriveYaml } = await import('./helpers.ts');
const { codeLines } = await import('./scan.ts');

const erf = deriveFile('derivations/saad-solla-erf.yaml');
const warm = { M: [[0.5, 0.1], [0.05, 0.45]], Q: [[1, 0.1], [0.1, 1]], P: [[1, 0], [0, 1]], a: [1, 1] };

describe('a rule is a file and a registry line', () => {
  it('no consumer names a rule: outside src/rules the names appear only in the AdaDamp study', () => {
    const hits = codeLines(/'(lars|cblr|mclr|adadamp|schedule)'/, ['src/rules/']).map((h) => h.split(':')[0]);
    expect([...new Set(hits)]).toEqual(['src/studies/adaptive.ts']);
  });

  it('the planted rules are options, derivation-file fields and --help lines; their parameters are checked like the shipped ones', async () => {
    const r = resolveRules({ lrRule: 'nsgd', batchRule: 'grow' }, { gamma0: '0.05', nb0: '4', s0: '100', Delta: '0' });
    expect(r).toEqual({ lr: { kind: 'nsgd', gamma0: 0.05 }, batch: { kind: 'grow', nb0: 4, s0: 100 } });
    const der = deriveYaml(`name: t
student: {width: 1, activation: "erf(z/sqrt(2))"}
teacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}
rules: {lr: {rule: nsgd, gamma0: 0.05}, batch: {rule: grow, nb0: 2, s0: 50}}`);
    expect(resolveRules({}, {}, der.model.spec.rules)).toEqual({ lr: { kind: 'nsgd', gamma0: 0.05 }, batch: { kind: 'grow', nb0: 2, s0: 50 } });
    const refused = (() => {
      try {
        deriveYaml(`name: t
student: {width: 1, activation: "erf(z/sqrt(2))"}
teacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}
rules: {batch: {rule: grow, nb0: 2, s0: -1}}`);
      } catch (e) {
        return e as { where?: { field?: string; value?: unknown } };
      }
    })();
    expect(refused?.where).toMatchObject({ field: 'rules.batch.s0', value: -1 });
    const help = await cli(['integrate', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/nsgd: γ_t = γ0\/‖g_W‖ \[gamma0\]/);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/grow: n_b = ⌈nb0 \(1 \+ steps\/s0\)⌉ \[nb0, s0\]/);
    for (const [args, message] of [
      [['--lr-rule', 'nsgd', '--set', 'gamma0=-1'], /--set gamma0 = "-1": must be a finite number > 0/],
      [['--lr-rule', 'nsgd', '--set', 'gamma0=0.1,gamma=0.1'], /--set gamma = "0.1": the nsgd rule sets the learning rate itself/],
      [['--batch-rule', 'grow', '--set', 'gamma=0.01,nb0=4'], /--set s0: the grow batch-size rule needs it/],
      [['--lr-rule', 'nsgd', '--set', 'gamma0=0.1,trust=2'], /--set trust = "2": is a parameter of another rule; the nsgd learning-rate rule does not take it/],
    ] as const) {
      const out = await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--d', '1000', '--nb', '10', '--tau', '1', ...args]);
      expect(out.code, out.stderr).toBe(2);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stderr).toMatch(message);
    }
  });

  it('the ODE’s rate at a state is γ0/√E‖g_W‖² from the moments, and the map’s batch follows the steps', () => {
    const rules = resolveRules({ lrRule: 'nsgd', batchRule: 'grow' }, { gamma0: '0.05', nb0: '4', s0: '100' });
    const ctx = { gm: erf.compiled, L: erf.layout, d: 1000, P: warm.P, aFixed: warm.a, params: [...erf.layout.defaultParams], loss: erf.model.loss };
    const y = stateOf(warm, erf.layout);
    const at = new OverlapRules(rules, ctx).at(0, 250, y);
    expect(at.nb).toBe(14);
    expect(Math.abs(at.gamma / (0.05 / Math.sqrt(gradientNorm2(gradientStats(ctx, y), 1000, 14))) - 1)).toBeLessThan(1e-14);
    const m = runMap(erf, { gamma: NaN, d: 1000, nb: 4, steps: 300, params: [...erf.layout.defaultParams], P: warm.P, start: warm, initSource: 'warm', rules });
    expect(m.nb![0]).toBe(4);
    expect(m.nb![200]).toBe(12);
  });

  it('the ODE under both planted rules agrees with simulation (steps, samples, γ, n_b and the overlaps); γ0 × 1.2 or s0 × 2 in the ODE is rejected', async () => {
    // n_b ≥ 100: τ = Σ γ_t runs ahead of the ODE's by O(1/n_b) (E[1/‖g‖] > 1/√E‖g‖², as under LARS)
    const rules = resolveRules({ lrRule: 'nsgd', batchRule: 'grow' }, { gamma0: '0.01', nb0: '100', s0: '1000' });
    const sim = await simulate(erf, { d: 4000, nb: 100, steps: 2000, points: 7, seeds: Array.from({ length: 16 }, (_, i) => 1 + i), gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine: 'reduced', workers: 1, rules });
    const ok = compare(erf, sim);
    expect(ok.agreement.pass, JSON.stringify(ok.agreement.entries.filter((e) => !e.pass))).toBe(true);
    expect(ok.agreement.verdict).toBe('pass');
    expect(ok.series.map((s) => s.entry)).toEqual(expect.arrayContaining(['tau', 'samples', 'gamma', 'nb']));
    const wrong = (lr: object, batch: object) => compare(erf, { ...sim, meta: { ...sim.meta, ruleSpec: { lr: { ...rules.lr, ...lr }, batch: { ...rules.batch, ...batch } } } }).agreement.pass;
    expect(wrong({ gamma0: 0.012 }, {})).toBe(false);
    expect(wrong({}, { s0: 2000 })).toBe(false);
    // the full simulator reads the same rules
    const full = await simulate(erf, { d: 300, nb: 100, steps: 200, points: 3, seeds: [1, 2], gamma: NaN, params: [...erf.layout.defaultParams], init: warm, engine: 'full', workers: 1, rules });
    expect(full.seeds[0].nb!).toEqual([100, 110, 120]);
  });
});
