/**
 * hermode as a library: derive the Saad–Solla erf committee, integrate its ODE, iterate the
 * finite-step map, run a short simulation and compare it with the ODE — all through the public API.
 *
 *   npm run build && node --import tsx examples/library.ts
 */
import { derive, integrate, finiteStepMap, simulate, compare, hermite, defaultOverlaps, resolveRules, diagnose, HermodeError } from 'hermode';

const erf = hermite('erf(z/sqrt(2))', 5);
console.log(`c_1(erf(z/√2)) = ${erf.coefficients[1].toFixed(6)}, information exponent ${erf.informationExponent}`);

const d = derive('saad-solla-erf'); // a derivation hermode ships, by name (or a path to your own file)
console.log(`${d.model.name}: p = ${d.model.p}, k = ${d.model.k}, expectations ${d.plan.label}`);

// ODE from the default start (Q = I, M_jr ~ N(0, 1/1000)), η̄ = 1
const ode = integrate(d, { tauEnd: 50, points: 6, sets: { eta_bar: 1 } });
if (ode.status !== 'completed') throw new Error(ode.message);
console.log(`ODE: risk ${ode.risk[0].toFixed(4)} → ${ode.risk[ode.risk.length - 1].toFixed(4)} at τ = ${ode.tau[ode.tau.length - 1]}`);

// finite-step map at d = 1000, n_b = 1000, γ = 0.5
const start = defaultOverlaps(d.model, 1);
const params = [...d.layout.defaultParams];
params[d.layout.etaBar] = (0.5 * 1000) / 1000;
const map = finiteStepMap(d, { gamma: 0.5, d: 1000, nb: 1000, steps: 20, params, P: start.P, start, initSource: 'default' });
console.log(`map: risk after ${map.steps?.at(-1)} steps = ${map.risk.at(-1)?.toFixed(4)}`);

// a short simulation (reduced engine) and its agreement with the ODE
const sim = await simulate(d, { d: 500, nb: 1, gamma: 1 / 500, steps: 2500, seeds: [1, 2, 3, 4], engine: 'reduced', points: 6 });
const cmp = compare(d, sim);
console.log(`compare: ${cmp.agreement.entries.map((e) => `${e.entry} z≤${e.maxZ.toFixed(1)}`).join(', ')}`);

// a learning-rate rule: LARS inside the ODE, steps and samples integrated beside the overlaps
const lars = resolveRules({ lrRule: 'lars' }, { gamma0: '0.01' });
const ruled = integrate(d, { tauEnd: 20, points: 3, rules: lars, d: 1000, nb: 10 });
console.log(`LARS: γ_t ${ruled.gamma?.[0].toFixed(4)} → ${ruled.gamma?.at(-1)?.toFixed(4)}, ${ruled.steps?.at(-1)?.toFixed(0)} steps, ${ruled.samples?.at(-1)?.toFixed(0)} samples to τ = 20`);

// large-batch diagnostics at the default start: gradient norm against n_b, theory only
const diag = await diagnose(d, { d: 1000, nbs: [1, 100, 10000], gamma: 0.05, params: [...d.layout.defaultParams], start, stateSource: 'default', reps: 0, seed: 1, engine: 'reduced', workers: 1 });
console.log(`diagnose: ‖g_W‖ = ${diag.points.map((p) => p.theory.gradW.toFixed(3)).join(', ')}; noise scale n_b* = ${diag.noiseScale.toFixed(0)}`);

// bad input is a HermodeError naming the field
try {
  integrate(d, { tauEnd: -1 });
} catch (err) {
  if (!(err instanceof HermodeError)) throw err;
  console.log(`bad input: ${err.line()} (exit code ${err.exitCode})`);
}
