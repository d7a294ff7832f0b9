/**
 * A closed-form family is one file in src/families and a registry line: activation parsing recognises
 * its members, the Hermite stage takes their coefficients and E[σ′²] from it, and the `closed` backend
 * its kernels and LaTeX. Shown by planting `serf`, the erf family under another name with kernels of its
 * own name, ahead of erf in the registry: erf activations become its members everywhere, and every
 * number is erf's.
 */
import { describe, it, expect, vi } from 'vitest';
import { readFileSync } from 'node:fs';

vi.mock('../src/families/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/families/index.ts')>();
  const erf = original.closedFamily('erf');
  const SERF = {
    ...erf,
    name: 'serf',
    source: erf.source.replace(/\berf(I2|J2|I3|I4)\b/g, 'serf$1'),
    description: 'Planted: the erf closed forms under the name serf.',
  };
  const families = [SERF, ...original.CLOSED_FAMILIES];
  return {
    ...original,
    CLOSED_FAMILIES: families,
    closedFamily: (name: string) => families.find((f) => f.name === name) ?? original.closedFamily(name),
    recogniseFamily: (f: (x: number) => number) => {
      for (const family of families) {
        const params = family.recognise(f);
        if (params) return { family, params };
      }
      return undefined;
    },
  };
});

const { deriveFile } = await import('../src/pipeline.ts');
const { activation } = await import('../src/hermite/activation.ts');
const { hermiteCoefficients } = await import('../src/hermite/hermite.ts');
const { erfCoefficients } = await import('../src/families/erf.ts');
const { cli } = await import('./helpers.ts');
const { randomOverlaps } = await import('./helpers.ts');
const { stateOf } = await import('../src/numeric/trajectory.ts');
const { moduleFromGenerated } = await import('../src/codegen/compile.ts');

describe('a closed-form family is a file and a registry line', () => {
  it('members are recognised as the planted family, with its Hermite coefficients', async () => {
    const act = activation('3*erf(0.2*z)');
    expect(act.family).toMatchObject({ kind: 'closed', name: 'serf' });
    const rep = hermiteCoefficients(act, 7);
    expect(rep.method).toBe('closed-form');
    // the parameters are recognised from values (A, b to round-off)
    erfCoefficients(3, 0.2, 7).forEach((c, k) => expect(Math.abs(rep.coefficients[k] - c)).toBeLessThan(1e-14));
    const out = await cli(['hermite', '3*erf(0.2*z)', '--order', '3']);
    expect(out.stdout).toMatch(/\[serf; coefficients closed-form\]/);
  });

  it('the closed backend uses its kernels and LaTeX, and the equations are erf’s', () => {
    const d = deriveFile('derivations/saad-solla-erf.yaml');
    expect(d.plan).toMatchObject({ backend: 'closed-serf', label: 'closed forms (serf)' });
    expect(d.ts).toMatch(/function serfI4\(/);
    expect(d.ts).not.toMatch(/function erfI4\(/);
    expect(d.tex).toContain('Planted: the erf closed forms under the name serf.');
    // the shipped erf closed forms: the generated module in generated/, made by the real registry
    const reference = moduleFromGenerated(readFileSync('generated/saad-solla-erf.ts', 'utf8')) as NonNullable<ReturnType<typeof moduleFromGenerated>>;
    const ov = randomOverlaps(2, 2, 5, 0.4);
    const y = stateOf({ ...ov, a: d.model.a0 }, d.layout);
    const a = new Float64Array(d.layout.mom.size);
    const b = new Float64Array(d.layout.mom.size);
    d.compiled.moments(y, d.layout.defaultParams, a);
    reference.moments(y, d.layout.defaultParams, b);
    expect([...a]).toEqual([...b]);
    expect(reference.meta.backend).toBe('closed-erf');
  });
});
