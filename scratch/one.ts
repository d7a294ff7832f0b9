import { deriveFile } from '../src/pipeline.ts';
import { runSeeds } from '../src/simulate/pool.ts';
import { kernelSources } from '../src/simulate/sources.ts';
import { oneStepMeans } from '../test/onestep.ts';
const der = deriveFile('derivations/saad-solla-erf.yaml');
const M = [[0.5, 0.2], [0.1, 0.4]], Q = [[1, 0.2], [0.2, 0.8]], a = [1, 1];
const d = 100, nb = 5, gamma = 0.3, N = 20000;
const exp = oneStepMeans(der, M, Q, a, d, nb, gamma);
for (const engine of ['full', 'reduced'] as const) {
  const t0 = performance.now();
  const runs = await runSeeds({ p: 2, k: 2, d, nb, gamma, kappa: 0, trainA: false, Delta: 0, loss: 'mse', dynamics: 'plain', steps: 1, record: [0, 1], P: [[1,0],[0,1]], teacher: 'orthonormal', init: { M, Q, a }, a0: a, ...kernelSources(der.model) }, Array.from({ length: N }, (_, i) => i + 1), engine, 2);
  const stat = (f: (r: any) => number) => { let s = 0, s2 = 0; for (const r of runs) { const v = f(r); s += v; s2 += v * v; } const m = s / N; return [m, Math.sqrt((s2 / N - m * m) / (N - 1))]; };
  const zs: string[] = [];
  for (let j = 0; j < 2; j++) for (let l = 0; l < 2; l++) { const [m, se] = stat((r) => r.M[1][j][l] - r.M[0][j][l]); zs.push(`dM${j}${l} z=${((m - exp.dM[j][l]) / se).toFixed(2)}`); }
  for (let j = 0; j < 2; j++) for (let l = j; l < 2; l++) { const [m, se] = stat((r) => r.Q[1][j][l] - r.Q[0][j][l]); zs.push(`dQ${j}${l} z=${((m - exp.dQ[j][l]) / se).toFixed(2)} G/se=${(exp.parts.G[j][l]/se).toFixed(1)} noise/se=${(exp.parts.noise[j][l]/se).toFixed(1)}`); }
  console.log(engine, ((performance.now() - t0) / 1000).toFixed(2), 's', zs.join(' | '));
}
