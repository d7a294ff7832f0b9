/** Child process for the memory benchmark: one simulation, then its peak resident set size. */
import { deriveSpec, parseSpec, simulate } from '../src/index.ts';

const [d, p, steps] = process.argv.slice(2).map(Number);
const der = deriveSpec(parseSpec(`name: rss
student: {width: ${p}, activation: "erf(z/sqrt(2))"}
teacher: {width: 1, target: committee, activation: "erf(z/sqrt(2))"}`));
const params = [...der.layout.defaultParams];
await simulate(der, { d, nb: 1, steps, seeds: [1], workers: 1, points: 11, logGrid: false, engine: 'full', teacher: 'orthonormal', gamma: 1 / d, params, init: null, initSource: 'bench' });
console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 }));
