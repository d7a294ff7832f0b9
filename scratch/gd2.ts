import { loadAnySpecFile } from '../src/spec/load.ts';
import { deriveParamSpec } from '../src/paramdyn/derive.ts';
import { runGdgf, defaultInit } from '../src/paramdyn/gdgf.ts';
const s = loadAnySpecFile('derivations/linear-net.yaml'); if (s.kind !== 'parameter-dynamics') throw 0;
const d = deriveParamSpec(s.spec);
for (const scale of [0.5, 0.3, 0.2, 0.1]) for (const seed of [1, 2]) {
  const { a0, b0 } = defaultInit(5, seed);
  const r = runGdgf(d, { etas: [0.1, 0.5, 0.9, 0.95, 0.99, 1.05], a0: a0.map(x => x * scale), b0: b0.map(x => x * scale), params: [1], tol: 1e-13, maxSteps: 200000, tauMax: 1e4 });
  console.log(scale, seed, 'λGF', r.lambdaGF!.toFixed(3), r.runs.map((x) => `${x.eta ?? 'GF'}:${x.status[0]}${x.steps ?? ''}:${x.sharpness?.toFixed(3)}`).join(' '));
}
