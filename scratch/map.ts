import { deriveFile } from '../src/pipeline.ts';
import { iterateMap } from '../src/numeric/map.ts';
import { stateOf } from '../src/numeric/trajectory.ts';
import { runSeeds } from '../src/simulate/pool.ts';
import { kernelSources } from '../src/simulate/sources.ts';
// one big step with the erf committee: map vs simulation mean (d=200, nb=400, γ=0.5)
const der = deriveFile('derivations/saad-solla-erf.yaml');
const M = [[0.5, 0.2], [0.1, 0.4]], Q = [[1, 0.2], [0.2, 0.8]], a = [1, 1];
const [d, nb, gamma] = [200, 400, 0.5];
const params = [...der.layout.defaultParams];
for (const dyn of ['plain', 'projected'] as const) {
  const r = iterateMap(der.compiled, der.layout, stateOf({ M, Q, a }, der.layout), params, { gamma, d, nb, steps: 3, P: [[1,0],[0,1]], aFixed: a, dynamics: dyn });
  const runs = await runSeeds({ p: 2, k: 2, d, nb, gamma, kappa: 0, trainA: false, Delta: 0, loss: 'mse', dynamics: dyn, steps: 3, record: [0,1,2,3], P: [[1,0],[0,1]], teacher: 'orthonormal', init: { M, Q, a }, a0: a, ...kernelSources(der.model) }, Array.from({ length: 200 }, (_, i) => i + 1), 'full', 2);
  for (const t of [1, 3]) {
    const mean = (f: (x: any) => number) => runs.reduce((s, x) => s + f(x), 0) / runs.length;
    const se = (f: (x: any) => number) => { const m = mean(f); return Math.sqrt(runs.reduce((s, x) => s + (f(x) - m) ** 2, 0) / (runs.length - 1) / runs.length); };
    const y = r.y[t];
    const show = (name: string, idx: number, f: (x: any) => number) => `${name} map ${y[idx].toFixed(4)} sim ${mean(f).toFixed(4)}±${se(f).toFixed(4)}`;
    console.log(dyn, 't', t, show('M11', 0, (x) => x.M[t][0][0]), '|', show('Q11', 4, (x) => x.Q[t][0][0]), '|', show('Q12', 5, (x) => x.Q[t][0][1]));
  }
}
