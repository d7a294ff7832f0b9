import { deriveFile } from '../src/pipeline.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { runIntegration } from '../src/cli/integrate.ts';
const d = deriveFile('derivations/saad-solla-erf.yaml');
const init = { Q: [[1, 0.1], [0.1, 1]], M: [[0.4, 0.1], [0.1, 0.3]], P: [[1, 0], [0, 1]], a: [1, 1] };
const D = 1000, eta = 1, nb = 1, tau = 20;
const gamma = eta * nb / D;
for (const [engine, workers] of [['full', 1], ['full', 2], ['reduced', 2]] as const) {
  const t0 = performance.now();
  const r = await simulate(d, { d: D, nb, steps: Math.round(tau / gamma), seeds: [1,2,3,4,5,6,7,8], workers, points: 5, logGrid: false, engine, teacher: 'orthonormal', gamma, params: [...d.layout.defaultParams], init, initSource: 'x' });
  console.log(engine, workers, ((performance.now()-t0)/1000).toFixed(2), 's', 'Q11', r.mean.Q.map(q => q[0][0].toFixed(4)).join(' '), '±', r.sem.Q.map(q=>q[0][0].toFixed(4)).join(' '), 'M11', r.mean.M.map(m=>m[0][0].toFixed(4)).join(' '));
}
const ode = runIntegration(d, { tauEnd: tau, points: 5, logGrid: false, init, initSource: '', sets: {eta_bar: '1'}, rtol: 1e-9, atol: 1e-11 });
console.log('ode Q11', ode.Q.map(q=>q[0][0].toFixed(4)).join(' '), 'M11', ode.M.map(m=>m[0][0].toFixed(4)).join(' '));
