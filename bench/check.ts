/**
 * The theory-versus-simulation check (THEORY §2.8) measured, not timed (`npm run bench:check`):
 *
 *   --calibrate   the finite-d bias |seed mean − ODE| from warm starts with thousands of seeds
 *                 (reduced engine) over d and γ, which sets the allowance b = c₁/d + c₂γ;
 *   (default)     over 50 independent seed sets of the test suite's configuration, how often the
 *                 check rejects the correct ODE (false rejections; goal ≤ 2 %) and an ODE with η̄ × 0.8
 *                 (power; goal ≥ 98 %), with the same simulations compared against both.
 */
import { derive, simulate, compare, DEFAULT_CHECK, type Overlaps } from '../src/index.ts';
import { table } from '../src/report/format.ts';
import { maxOf } from '../src/extrema.ts';

const warm: Overlaps = { Q: [[1, 0.1], [0.1, 1]], M: [[0.4, 0.1], [0.1, 0.3]], P: [[1, 0], [0, 1]], a: [1, 1] };

async function run(file: string, o: { d: number; nb: number; etaBar: number; tau: number; seeds: number[] }) {
  const der = derive(file);
  const gamma = (o.etaBar * o.nb) / o.d;
  const params = [...der.layout.defaultParams];
  params[der.layout.etaBar] = o.etaBar;
  const sim = await simulate(der, { timeLimit: Infinity, d: o.d, nb: o.nb, gamma, steps: Math.round(o.tau / gamma), seeds: o.seeds, workers: 2, points: 11, engine: 'reduced', params, init: warm });
  return { der, sim, gamma };
}

if (process.argv.includes('--calibrate')) {
  const rows: (string | number)[][] = [];
  let c1 = 0;
  let c2 = 0;
  const configs = [
    { file: 'derivations/saad-solla-erf.yaml', d: 125, nb: 1 },
    { file: 'derivations/saad-solla-erf.yaml', d: 250, nb: 1 },
    { file: 'derivations/saad-solla-erf.yaml', d: 500, nb: 1 },
    { file: 'derivations/saad-solla-erf.yaml', d: 250, nb: 10 },
    { file: 'derivations/saad-solla-erf.yaml', d: 250, nb: 25 },
    { file: 'derivations/relu-committee.yaml', d: 250, nb: 1 },
    { file: 'derivations/relu-committee.yaml', d: 250, nb: 25 },
  ];
  for (const c of configs) {
    const seeds = Array.from({ length: 4000 }, (_, i) => 100000 + i);
    const { der, sim, gamma } = await run(c.file, { d: c.d, nb: c.nb, etaBar: c.file.includes('relu') ? 0.5 : 1, tau: 10, seeds });
    const cmp = compare(der, sim);
    // the bias the data resolve: the deviation beyond two standard errors, at the worst entry and time
    let bias = 0;
    for (const s of cmp.series) for (let i = 1; i < sim.tau.length; i++) bias = Math.max(bias, Math.abs(s.ode[i] - s.mean[i]) - 2 * s.sem[i]);
    const maxSem = maxOf(cmp.series.map((s) => maxOf(s.sem)));
    rows.push([c.file.replace('derivations/', ''), c.d, c.nb, gamma, bias, maxSem, bias * c.d]);
    console.error(`  ${c.file} d = ${c.d} n_b = ${c.nb}: bias ${bias.toExponential(2)} (max SEM ${maxSem.toExponential(2)})`);
    if (c.nb === 1) c1 = Math.max(c1, bias * c.d);
    else c2 = Math.max(c2, Math.max(0, bias - c1 / c.d) / gamma);
  }
  console.log(table(['derivation', 'd', 'n_b', 'γ', 'bias beyond 2 SEM', 'max SEM', 'bias·d'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']));
  console.log(`measured: bias ≤ ${c1.toPrecision(2)}/d + ${c2.toPrecision(2)}·γ over these runs (4,000 seeds each, τ ≤ 10); defaults in use: c1 = ${DEFAULT_CHECK.c1}, c2 = ${DEFAULT_CHECK.c2}`);
} else {
  const sets = 50;
  const S = 64;
  let falseRejections = 0;
  let caught08 = 0;
  let caught12 = 0;
  for (let k = 0; k < sets; k++) {
    const seeds = Array.from({ length: S }, (_, i) => 1 + k * S + i);
    const { der, sim } = await run('derivations/saad-solla-erf.yaml', { d: 500, nb: 1, etaBar: 1, tau: 15, seeds });
    if (!compare(der, sim).agreement.pass) falseRejections++;
    if (!compare(der, sim, { odeSets: { eta_bar: 0.8 } }).agreement.pass) caught08++;
    if (!compare(der, sim, { odeSets: { eta_bar: 1.2 } }).agreement.pass) caught12++;
    process.stderr.write(`\r  ${k + 1}/${sets} seed sets`);
  }
  process.stderr.write('\n');
  console.log(
    table(
      ['erf p = k = 2, warm start, d = 500, n_b = 1, η̄ = 1, τ ≤ 15, 64 seeds (reduced), 50 independent seed sets', 'rejected', 'goal'],
      [
        ['correct ODE (false rejections)', `${falseRejections}/${sets} = ${((100 * falseRejections) / sets).toFixed(0)} %`, '≤ 2 %'],
        ['ODE with η̄ × 0.8 (power)', `${caught08}/${sets} = ${((100 * caught08) / sets).toFixed(0)} %`, '≥ 98 %'],
        ['ODE with η̄ × 1.2 (power)', `${caught12}/${sets} = ${((100 * caught12) / sets).toFixed(0)} %`, '≥ 98 %'],
      ],
      ['l', 'r', 'r'],
    ),
  );
  console.log(`check: α = ${DEFAULT_CHECK.alpha}, c1 = ${DEFAULT_CHECK.c1}, c2 = ${DEFAULT_CHECK.c2}`);
}
