/**
 * Losses are files (src/loss): every stage reads a loss's numbers (the residual weight w of
 * e = y − w·f), none branches on its name. Shown by planting a third loss in the registry here — the
 * interpolation ½·MSE + ½·correlation, L = −y f + ¼ f², whose residual is y − ½f — and holding its
 * ODE against the defining expectations and against simulation, with MSE's and the correlation
 * loss's ODEs rejected by the same check.
 */
import { describe, it, expect, vi } from 'vitest';
import type { Loss } from '../src/loss/types.ts';

const HALF: Loss = { name: 'half', title: 'half-MSE, half-correlation', studentWeight: 0.5, tex: '-y f + \\tfrac14 f^2', refuses: () => undefined };

vi.mock('../src/loss/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/loss/index.ts')>();
  // one registry line more: the consumers see nothing else
  const LOSSES = [...original.LOSSES, HALF];
  const LOSS_NAMES = LOSSES.map((l) => l.name);
  const lossNamed = (name: string) => LOSSES.find((l) => l.name === name) ?? original.lossNamed(name);
  return { ...original, LOSSES, LOSS_NAMES, lossNamed, residualWeight: (m: { loss: string }) => lossNamed(m.loss).studentWeight };
});

const { deriveYaml, rhsAgainstDefinitions } = await import('./helpers.ts');
const { codeLines } = await import('./scan.ts');
const { simulate } = await import('../src/simulate/simulate.ts');
const { compare } = await import('../src/compare/compare.ts');

const model = (loss: string, act = 'erf(z/sqrt(2))', width = 2) => `name: t
student: {width: ${width}, activation: "${act}", second_layer: {train: false, init: [${width === 2 ? '0.7, 1.4' : '0.7'}]}}
teacher: {width: ${width}, target: committee, activation: "${act}"${width === 2 ? ', weights: [1, 0.6]' : ''}}
noise: 0.1
loss: ${loss}`;

describe('a loss is a file and a registry line', () => {
  it('no stage names a loss: outside src/loss the names appear only as the defaults of the schema and of sweep --loss', () => {
    const hits = codeLines(/'(mse|correlation)'/, ['src/loss/']);
    expect(hits.map((h) => h.replace(/:\d+:/, ':')).sort()).toEqual([
      "src/cli/program.ts: .option('--loss <list>', `comma-separated: ${LOSS_NAMES.join(', ')}`, 'mse')",
      "src/spec/schema.ts: loss: z.enum(LOSS_NAMES).default('mse'),",
    ]);
  });

  it('a planted loss with w = ½: the generated right-hand side (closed forms, Wick, tensor quadrature, lattice) equals the ODE built from E[σ′ν(y − ½f)], …', () => {
    rhsAgainstDefinitions(deriveYaml(model('half')), 26, 1e-8);
    rhsAgainstDefinitions(deriveYaml(model('half', 'He3(z)/sqrt(6) + 0.5*z')), 12, 1e-9);
    rhsAgainstDefinitions(deriveYaml(model('half', 'tanh(z)', 1), 'quadrature:40'), 50, 1e-9);
    // the lattice's V carries its stated sampling error; the pair integrals are exact
    rhsAgainstDefinitions(deriveYaml(model('half', 'tanh(z)', 1), 'lattice'), 50, 5e-3);
  });

  it('its ODE agrees with the simulators that use the same w; the ODEs of MSE (w = 1) and of the correlation loss (w = 0) do not', async () => {
    const der = deriveYaml(model('half'));
    const params = [...der.layout.defaultParams];
    params[der.layout.etaBar] = 1;
    const init = { Q: [[1, 0.1], [0.1, 1]], M: [[0.5, 0.1], [0.1, 0.4]], P: [[1, 0], [0, 1]], a: [0.7, 1.4] };
    const sim = await simulate(der, { d: 2000, nb: 1, steps: 20_000, seeds: Array.from({ length: 32 }, (_, i) => i + 1), workers: 2, points: 11, engine: 'reduced', gamma: 1 / 2000, params, init });
    const ok = compare(der, sim).agreement;
    expect(ok.pass, JSON.stringify(ok.entries.filter((e) => !e.pass))).toBe(true);
    expect(ok.verdict).toBe('pass');
    for (const other of ['mse', 'correlation']) expect(compare(deriveYaml(model(other)), sim).agreement.pass, other).toBe(false);
  });
});
