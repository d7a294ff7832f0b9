import { loadAnySpecFile } from '../src/spec/load.ts';
import { deriveParamSpec } from '../src/paramdyn/derive.ts';
const s = loadAnySpecFile('derivations/linear-net.yaml');
if (s.kind !== 'parameter-dynamics') throw 0;
const t0 = performance.now(); const d = deriveParamSpec(s.spec); console.log('ms', (performance.now() - t0).toFixed(0), d.quadratic);
console.log(d.ts.split('\n').slice(0, 60).join('\n'));
const th = [0.1,0.2,0.3,0.4,0.5, 0.5,0.4,0.3,0.2,0.1]; const g = new Float64Array(10); d.compiled.grad(th, d.compiled.defaultParams, g); console.log(d.compiled.loss(th, [1]), [...g]);
