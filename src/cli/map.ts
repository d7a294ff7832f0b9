/** `hermode map`: the finite-step overlap map iterated step by step (THEORY §2.3), as a table, JSON or CSV. */
import { progressReporter } from './progress.ts';
import { odeModule } from '../pipeline.ts';
import { runMap } from '../numeric/run.ts';
import { trajectoryCsv } from '../numeric/trajectory.ts';
import { readOverlapsFile, parseAssignments, resolveParams, numberValue, integerValue, teacherOverlaps } from '../numeric/setup.ts';
import { rulesOf, ruleRate, startBatch } from '../numeric/rule-options.ts';
import { typicalStart, escapeCriterion, escapeFunction } from '../studies/escape.ts';
import { writeFileAtomic } from '../io/files.ts';
import { usageError } from '../errors.ts';
import { requireCompleted } from '../numeric/outcome.ts';
import { num, table, sampleRows } from '../report/format.ts';
import { out, announceStage } from './print.ts';

export async function mapCommand(file: string, o: Record<string, any>): Promise<void> {
  if (o.json && o.csv) throw usageError('give --json or --csv, not both', { field: '--csv' });
  const der = odeModule(file, undefined, announceStage);
  const d = integerValue(o.d, '--d', 1); // the map is theory: any d (10¹⁰ gives the giant-step limit)
  const nb = numberValue(o.nb, '--nb');
  if (!Number.isInteger(nb) || nb < 1) throw usageError('must be a positive integer', { field: '--nb', value: o.nb });
  const steps = integerValue(o.steps, '--steps', 1);
  const sets = parseAssignments(o.set);
  const scope = { d, nb, p: der.model.p, k: der.model.k };
  const rules = rulesOf(o, sets, der.model.spec);
  const gamma = ruleRate(rules, sets, scope);
  const init = o.init ? readOverlapsFile(o.init, der.model) : null;
  const params = resolveParams(der.model, der.layout, sets, init?.P);
  params[der.layout.etaBar] = Number.isFinite(gamma) ? (gamma * d) / startBatch(rules, nb) : 0;
  const P = teacherOverlaps(params, der.layout);
  const start = init ?? typicalStart(der, d, P);
  if (!der.layout.trained) start.a.forEach((v, j) => (params[der.layout.aParam + j] = v));
  const crit = o.threshold !== undefined ? escapeCriterion(numberValue(o.threshold, '--threshold'), o.entry, der.model.p, der.model.k) : null;
  const bar = progressReporter('iterating the map', 'steps', o.quiet);
  let traj: ReturnType<typeof runMap>;
  try {
    traj = runMap(der, { gamma, d, nb, steps, params, P, start, rules, onProgress: bar, initSource: o.init ? `file ${o.init}` : 'typical random start: Q = I, M_jr = d^-1/2', escape: crit ? escapeFunction(der, crit) : undefined });
  } finally {
    bar.stop();
  }
  requireCompleted(traj, 'the finite-step map', { file });
  const escapeStep = traj.meta.escapeStep as number | undefined;
  if (o.out) writeFileAtomic(o.out, o.out.endsWith('.csv') ? trajectoryCsv(traj) : JSON.stringify(traj) + '\n');
  if (o.json) return void out(JSON.stringify(traj));
  if (o.csv) return void out(trajectoryCsv(traj));
  const ruled = traj.meta.rules !== undefined;
  out(`${der.model.name}: finite-step map, d = ${d}, ${ruled ? String(traj.meta.rules) : `n_b = ${nb}, γ = ${num(gamma)}, η̄ = γd/n_b = ${num((gamma * d) / nb)}`}, ${der.model.dynamics} SGD, ${der.model.loss} loss`);
  const p = der.model.p;
  const k = der.model.k;
  const cols: { name: string; v: (i: number) => number }[] = [{ name: 'risk', v: (i) => traj.risk[i] }];
  for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) cols.push({ name: `M${j + 1}${q + 1}`, v: (i) => traj.M[i][j][q] });
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) cols.push({ name: `Q${j + 1}${l + 1}`, v: (i) => traj.Q[i][j][l] });
  const shown = cols.slice(0, ruled ? 7 : 9);
  const rateCols = ruled ? ['γ', 'n_b'] : [];
  out(table(['step', 'τ', 'samples', ...rateCols, ...shown.map((c) => c.name)], sampleRows(traj.tau.length, numberValue(o.points, '--points')).map((i) => [traj.steps![i], traj.tau[i], traj.samples![i], ...(ruled ? [traj.gamma![i], traj.nb![i]] : []), ...shown.map((c) => c.v(i))])));
  if (ruled) out('γ, n_b: the rate and batch the rule gives at the state of the row (those of the step taken from it)');
  const at = escapeStep !== undefined ? traj.steps!.indexOf(escapeStep) : -1;
  if (escapeStep !== undefined) out(`escape (|M| ≥ ${crit?.threshold}) at step ${escapeStep}: τ = ${num(traj.tau[at])}, samples = ${traj.samples![at]}`);
  else if (crit) out(`no escape within ${steps} steps`);
}
