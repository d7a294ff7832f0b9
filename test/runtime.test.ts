/**
 * The runtime erf and erfc that generated TypeScript (and every in-process evaluation: the simulators'
 * activations, Φ in the probit and shifted kernels) call, against an independent implementation: the
 * C library's, through python3's math.erf and math.erfc, on a grid through every piece and far into the
 * tail. The check has the power to see a coefficient typo: the same source with one coefficient of one
 * piece changed in its last digits is rejected.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ERF_SOURCE } from '../src/ir/runtime.ts';
import { parseKernel } from '../src/ir/parse.ts';
import { instantiate, compileExpr } from '../src/ir/js.ts';
import { call, v } from '../src/ir/ir.ts';

const xs: number[] = [];
for (let i = 0; i <= 4000; i++) xs.push(-8 + (16 * i) / 4000);
for (let i = 0; i <= 400; i++) xs.push(6 + (20 * i) / 400, 1e-300 * 10 ** (i * 0.7), 0.999999 + i * 5e-9, 5.9999 + i * 5e-7);

const reference = (() => {
  const r = spawnSync('python3', ['-c', 'import json,math,sys; xs=json.load(sys.stdin); print(json.dumps([[math.erf(x) for x in xs],[math.erfc(x) for x in xs]]))'], { input: JSON.stringify(xs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as [number[], number[]];
})();

/** Worst relative errors of erf and erfc (erfc where it is a normal number). */
function worst(erf: (x: number) => number, erfc: (x: number) => number): { erf: number; erfc: number } {
  let e = 0;
  let c = 0;
  xs.forEach((x, i) => {
    const [re, rc] = [reference[0][i], reference[1][i]];
    if (re !== 0) e = Math.max(e, Math.abs(erf(x) - re) / Math.abs(re));
    if (rc > 1e-300) c = Math.max(c, Math.abs(erfc(x) - rc) / rc);
  });
  return { erf: e, erfc: c };
}

function fromSource(src: string): { erf: (x: number) => number; erfc: (x: number) => number } {
  const fns = parseKernel(src).map((f) => ({ ...f, exported: f.name === 'erf' || f.name === 'erfc' }));
  return instantiate({ header: [], prefix: 'f', stateNames: [], paramNames: [], defaultParams: [], sizes: {}, records: {}, constants: [], functions: fns });
}

describe('runtime erf and erfc', () => {
  it('equal the C library to round-off on every piece and in the tail', () => {
    const w = worst(compileExpr(call('erf', v('x')), ['x']), compileExpr(call('erfc', v('x')), ['x']));
    expect(w.erf).toBeLessThan(5e-16);
    expect(w.erfc).toBeLessThan(3e-15);
    // odd, and exactly ±1 / 0 where double precision says so
    const erf = compileExpr(call('erf', v('x')), ['x']);
    for (const x of [0.3, 1.7, 4.2]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(0)).toBe(0);
    expect(erf(7)).toBe(1);
  });

  it('sees a coefficient changed in its ninth digit', () => {
    const good = fromSource(ERF_SOURCE);
    expect(worst(good.erf, good.erfc).erf).toBeLessThan(5e-16);
    // the constant term of the piece on [3, 4] of e^{x²} erfc(x)
    const bad = fromSource(ERF_SOURCE.replace(/return 0\.155293655(\d)/, (_m, d: string) => `return 0.155293656${d}`));
    const w = worst(bad.erf, bad.erfc);
    expect(w.erfc).toBeGreaterThan(1e-9);
  });
});
