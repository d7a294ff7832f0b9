import { describe, it, expect } from 'vitest';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAnySpecFile, type ParamSpec } from '../src/spec/load.ts';
import { deriveParamSpec } from '../src/paramdyn/derive.ts';
import { runGdgf, defaultInit } from '../src/studies/gdgf.ts';
import { cli, tmp } from './helpers.ts';

function spec(over: Partial<ParamSpec> = {}): ParamSpec {
  const s = loadAnySpecFile('derivations/linear-net.yaml');
  if (s.kind !== 'parameter-dynamics') throw new Error('kind');
  return { ...s.spec, ...over };
}

function run(h: number, phi: number, etas: number[], seed = 1, scale = 0.5, over: Partial<ParamSpec> = {}) {
  const der = deriveParamSpec(spec(over), h, { Phi: phi });
  const { a0, b0 } = defaultInit(h, seed);
  const params = der.paramNames.map((c) => (c === 'Phi' ? phi : 0));
  return { der, r: runGdgf(der, { etas, a0: a0.map((x) => x * scale), b0: b0.map((x) => x * scale), params, tol: 1e-13, maxSteps: 200000, tauMax: 1e5 }) };
}

describe('generated gradient and Hessian', () => {
  it('match finite differences of the generated loss', async () => {
    for (const over of [{}, { data: [[1, 1], [2, 1.5], [-0.5, 0.2]] as [number, number][] }, { loss: 'log(1 + (dot(a,b) - Phi)^2) + 0.1*sumsq(a)' }]) {
      const der = deriveParamSpec(spec(over), 3, { Phi: 0.7 });
      const m = der.compiled;
      const th = [0.3, -0.2, 0.5, 0.8, 0.1, -0.4];
      const p = [0.7];
      const g = new Float64Array(6);
      const H = new Float64Array(36);
      m.grad(th, p, g);
      m.hessian(th, p, H);
      const e = 1e-6;
      for (let i = 0; i < 6; i++) {
        const up = th.slice();
        const dn = th.slice();
        up[i] += e;
        dn[i] -= e;
        expect(Math.abs((m.loss(up, p) - m.loss(dn, p)) / (2 * e) - g[i])).toBeLessThan(1e-8);
        const gu = new Float64Array(6);
        const gd = new Float64Array(6);
        m.grad(up, p, gu);
        m.grad(dn, p, gd);
        for (let j = 0; j < 6; j++) expect(Math.abs((gu[j] - gd[j]) / (2 * e) - H[i * 6 + j])).toBeLessThan(1e-7);
      }
    }
  });

  it('recognise ½m2(aᵀb − Φ)² + c: default loss, a data set, a rescaled custom loss', async () => {
    expect(deriveParamSpec(spec(), 2).quadratic).toEqual({ m2: 1, phi: 1 });
    const data = deriveParamSpec(spec({ data: [[1, 1], [2, 1.5]] }), 2).quadratic;
    expect(data?.m2).toBeCloseTo(2.5, 14); // mean x²
    expect(data?.phi).toBeCloseTo(4 / 2 / 2.5, 14); // mean xy / mean x²
    const custom = deriveParamSpec(spec({ loss: '(dot(a,b) - Phi)^2 + 3' }), 2).quadratic;
    expect(custom?.m2).toBeCloseTo(2, 9);
    expect(custom?.phi).toBeCloseTo(1, 9);
    expect(deriveParamSpec(spec({ loss: '(dot(a,b) - Phi)^4' }), 2).quadratic).toBeNull();
  });
});

describe('gradient flow against gradient descent (THEORY §4.4)', () => {
  for (const [h, phi, seed] of [[5, 1, 1], [1, 1, 3], [3, -2, 2], [8, 0.5, 4]] as const) {
    it(`h = ${h}, Φ = ${phi}`, async () => {
      const limit = 1 / Math.abs(phi);
      const { r } = run(h, phi, [0.1 * limit, 0.5 * limit, 0.9 * limit, 0.99 * limit, 1.05 * limit], seed);
      const flow = r.runs[0];
      expect(flow.status).toBe('converged');
      // the flow conserves aaᵀ − bbᵀ and ends at λ_GF
      expect(flow.imbalanceDrift).toBeLessThan(1e-10);
      expect(Math.abs((flow.sharpness as number) - (r.lambdaGF as number)) / (r.lambdaGF as number)).toBeLessThan(1e-8);
      for (const x of r.runs.slice(1)) {
        if (x.status === 'converged') {
          // descent's sharpness is the product formula, below λ_GF; the local rate is |1 − ηλ∞|; the imbalance contracts as predicted
          expect(Math.abs((x.sharpness as number) - (x.sharpnessFormula as number))).toBeLessThan(1e-8 * (x.sharpness as number));
          expect(x.sharpness as number).toBeLessThan(r.lambdaGF as number);
          expect(Math.abs((x.rateMeasured as number) - (x.ratePredicted as number))).toBeLessThan(1e-4);
          expect(Math.abs(x.imbalanceRatio - (x.imbalanceRatioPredicted as number))).toBeLessThan(1e-8);
          expect((x.eta as number) * (x.sharpness as number)).toBeLessThan(2);
        }
      }
      // above 1/|Φ| no minimum is stable: reported as not converging, in bounded steps
      const above = r.runs[r.runs.length - 1];
      expect(above.regime).toBe('no stable minimum');
      expect(above.status).not.toBe('converged');
      // the stable step size converges
      expect(r.runs[1].status).toBe('converged');
    });
  }

  it('an edge-of-stability run (2/λ_GF < η < 1/|Φ|) converges, to λ∞ < 2/η', async () => {
    const { r } = run(5, 1, [0.9, 0.95, 0.99], 2);
    expect(r.edgeOfStability).not.toBeNull();
    for (const x of r.runs.slice(1)) {
      expect(x.regime).toBe('edge of stability');
      expect(x.status).toBe('converged');
      expect(x.sharpness as number).toBeLessThan(2 / (x.eta as number));
      expect(x.sharpness as number).toBeGreaterThanOrEqual(2 - 1e-9); // ≥ 2|Φ|: balanced minima are the flattest
    }
  });

  it('with a data set the formulas carry m2 = mean x²', async () => {
    const over = { data: [[1, 0.8], [1.5, 1.4], [0.5, 0.2]] as [number, number][] };
    const { r } = run(4, 1, [0.2, 0.4], 5, 0.5, over);
    expect(r.m2).toBeCloseTo((1 + 2.25 + 0.25) / 3, 12);
    const flow = r.runs[0];
    expect(Math.abs((flow.sharpness as number) - (r.lambdaGF as number)) / (r.lambdaGF as number)).toBeLessThan(1e-8);
    for (const x of r.runs.slice(1)) if (x.status === 'converged') expect(Math.abs((x.sharpness as number) - (x.sharpnessFormula as number))).toBeLessThan(1e-8);
  });
});

describe('hermode gdgf', () => {
  it('--json reports every figure; --out writes the report and plots; a non-converging η does not hang', async () => {
    const dir = tmp();
    const res = (await cli(['gdgf', 'derivations/linear-net.yaml', '--h', '4', '--phi', '1', '--eta', '0.3,0.95,1.2', '--json', '--out', join(dir, 'g'), '--max-steps', '50000']));
    expect(res.code, res.stderr).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(j.h).toBe(4);
    expect(j.runs).toHaveLength(4);
    expect(j.runs[3].status).not.toBe('converged');
    // a run that does not converge stops at the step bound instead of running on
    expect(j.runs[3].steps).toBeLessThanOrEqual(50000);
    for (const key of ['finalLoss', 'sharpness', 'sharpnessFormula', 'rateMeasured', 'ratePredicted', 'parameterNorm', 'imbalanceRatio']) expect(j.runs[1]).toHaveProperty(key);
    for (const f of ['report.html', 'sharpness.svg', 'loss.svg', 'plane.svg', 'gdgf.json']) expect(existsSync(join(dir, 'g', f)), f).toBe(true);
  });

  it('--init, and bad input', async () => {
    const dir = tmp();
    const f = join(dir, 'init.json');
    writeFileSync(f, JSON.stringify({ a: [0.5, 0.1], b: [0.2, -0.3] }));
    const ok = JSON.parse((await cli(['gdgf', 'derivations/linear-net.yaml', '--h', '2', '--init', f, '--eta', '0.5', '--json'])).stdout);
    expect(ok.a0).toEqual([0.5, 0.1]);
    const bad = (await cli(['gdgf', 'derivations/linear-net.yaml', '--init', f, '--eta', '0.5']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/init\.json: a = \[0\.5,0\.1\]: expected 5 finite numbers/);
    const kind = (await cli(['gdgf', 'derivations/saad-solla-erf.yaml']));
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/kind/);
    const eta = (await cli(['gdgf', 'derivations/linear-net.yaml', '--eta', '0.5,-1']));
    expect(eta.code).toBe(2);
    const loss = join(dir, 'bad.yaml');
    writeFileSync(loss, 'name: bad\nkind: parameter-dynamics\nloss: "foo(dot(a,b))"\n');
    const l = (await cli(['derive', loss, '--out-dir', join(dir, 'gen')]));
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/bad\.yaml: loss = "foo\(dot\(a,b\)\)": unknown function 'foo'/);
    expect(existsSync(join(dir, 'gen'))).toBe(false);
  });
});
