/** `hermode compare`: theory against simulation by the check of THEORY §2.8, with plots and a report. */
import { join } from 'node:path';
import { progressReporter } from './progress.ts';
import { parseAssignments, numberValue, integerValue } from '../numeric/setup.ts';
import { largeStepWarning } from '../numeric/regime.ts';
import { compare, checkDescription, inconclusiveAdvice } from '../compare/compare.ts';
import { usageError, failure } from '../errors.ts';
import { timeLimitOf } from '../numeric/outcome.ts';
import { fluctuationNodes } from '../numeric/options.ts';
import { isConstant } from '../rules/spec.ts';
import { num, table } from '../report/format.ts';
import { prepare, runSim, stepsOf, type SimOpts } from './simulate.ts';
import { out, warn } from './print.ts';
import { writeReportDir } from './report.ts';

export async function compareCommand(file: string, o: SimOpts & { tau: string; steps?: string; odeSet?: string[]; alpha: string; c1: string; c2: string; out?: string; check?: boolean; json?: boolean; fluctuations?: boolean; fluctuationNodes?: string }): Promise<void> {
  const pr = prepare(file, o);
  const steps = stepsOf(pr, o.steps !== undefined ? { steps: o.steps } : { tau: o.tau });
  const check = { alpha: numberValue(o.alpha, '--alpha'), c1: numberValue(o.c1, '--c1'), c2: numberValue(o.c2, '--c2') };
  if (!(check.alpha > 0 && check.alpha < 1)) throw usageError('must be between 0 and 1', { field: '--alpha', value: o.alpha });
  if (!(check.c1 >= 0)) throw usageError('must be ≥ 0', { field: '--c1', value: o.c1 });
  if (!(check.c2 >= 0)) throw usageError('must be ≥ 0', { field: '--c2', value: o.c2 });
  const timeLimit = timeLimitOf(o);
  const sim = await runSim(pr, o, steps);
  const large = isConstant(pr.rules) ? largeStepWarning(pr.gamma, pr.nb, pr.D) : null;
  if (large) warn(large);
  const bar = progressReporter('integrating the ODE', isConstant(pr.rules) ? 'τ' : 'steps', o.quiet);
  let comparison: ReturnType<typeof compare>;
  try {
    comparison = compare(pr.d, sim, { odeSets: parseAssignments(o.odeSet, '--ode-set'), check, onProgress: bar, timeLimit, fluctuations: !!o.fluctuations, ...(o.fluctuationNodes !== undefined ? { fluctuationNodes: fluctuationNodes(o.fluctuationNodes) } : {}), ...(o.discardNodes !== undefined ? { discardNodes: integerValue(o.discardNodes, '--discard-nodes', 2) } : {}) });
  } finally {
    bar.stop();
  }
  const { ode, series, agreement: ag, spread } = comparison;
  for (const w of (ode.meta.warnings as string[] | undefined) ?? []) warn(`the ODE: ${w}`);
  if (o.out) {
    const { familyPlot } = await import('../report/plots.ts');
    const { compareReportHtml } = await import('../report/compareReport.ts');
    const plots: { title: string; svg: string; file: string }[] = [];
    const ruled = !isConstant(pr.rules);
    for (const fam of ['M', 'Q', 'a', 'risk'] as const) {
      if (!series.some((s) => s.family === fam)) continue;
      plots.push({ title: fam, svg: await familyPlot(series, ruled ? sim.steps : sim.tau, fam, ruled ? 'SGD steps' : undefined), file: `${fam}.svg` });
    }
    if (ruled)
      for (const entry of ['samples', 'gamma', 'nb'])
        if (series.some((s) => s.entry === entry)) plots.push({ title: entry, svg: await familyPlot(series.filter((s) => s.entry === entry), sim.steps, 'clock', 'SGD steps'), file: `${entry}.svg` });
    const html = compareReportHtml(pr.d, ag, { ...sim.meta, odeParams: ode.meta.params }, plots);
    const json = JSON.stringify({ ode, simulation: { mean: sim.mean, sem: sim.sem, seeds: sim.seeds, meta: sim.meta }, agreement: ag, ...(spread ? { spread } : {}) }) + '\n';
    await writeReportDir(o.out, [{ name: 'trajectories.json', content: json }, ...plots.map((p) => ({ name: p.file, content: p.svg })), { name: 'report.html', content: html }]);
  }
  if (o.json) out(JSON.stringify(spread ? { ...ag, spread } : ag));
  else {
    const m = sim.meta as any;
    out(`${m.name}: ODE (${pr.d.plan.label}) against ${m.seeds.length} seeds of the ${m.engine} simulator, d = ${m.d}, ${isConstant(pr.rules) ? `n_b = ${m.nb}, γ = ${num(m.gamma)}, η̄ = ${num(m.eta_bar)}, τ ≤ ${num(sim.tau[sim.tau.length - 1])}` : `${m.rules}; ${sim.steps[sim.steps.length - 1]} steps, compared at equal step counts`}`);
    out(`ODE from the simulations' mean initial overlaps; ODE parameters ${Object.entries(ode.meta.params as Record<string, number>).map(([k, v]) => `${k}=${num(v)}`).join(' ')}`);
    out(`check: ${checkDescription(ag)}`);
    out(
      table(
        ['entry', 'max |ODE − mean|', 'max SEM', 'max z', 'worst (|ODE − mean| − b)/SEM', 'at τ', `≤ q = ${num(ag.quantile, 4)}`, 'moved / tolerance'],
        ag.entries.map((e) => (e.constrained ? [e.entry, e.maxDiff, e.maxSem, '—', '—', '—', 'not checked', `constrained: ${e.constrained}`] : [e.entry, e.maxDiff, e.maxSem, e.maxZ, e.worstExcess, e.worstTau, e.pass ? 'yes' : 'NO', e.resolution])),
        ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'r'],
      ),
    );
    out(
      ag.verdict === 'fail'
        ? `disagreement: ${ag.entries.filter((e) => !e.pass).map((e) => `${e.entry} (τ = ${num(e.worstTau, 4)})`).join(', ')} outside q·SEM + b`
        : ag.verdict === 'pass'
          ? `agreement: every entry within q·SEM + b at every τ > 0${ag.entries.some((e) => e.constrained) ? ' (constrained entries not checked)' : ''}; ${ag.entries.filter((e) => !e.constrained && e.resolution > 1).length} of ${ag.entries.filter((e) => !e.constrained).length} entries moved beyond their tolerance`
          : `inconclusive: ${inconclusiveAdvice(ag)}`,
    );
    if (spread) {
      out(`\nspread of the seeds (their standard deviation, √S·SEM) against the linear-noise prediction for one run (THEORY §2.13; Σ(0) ${spread.start === 'random' ? 'of the random start' : '= 0, the start given exactly'}), at τ > 0${spread.validUntil !== null ? ` up to τ = ${num(spread.validUntil, 4)}, where the prediction stops holding` : ''}; one time's ratio has a sampling error of ±${num(spread.ratioError, 2)}:`);
      out(table(['entry', 'median ratio', 'lowest', 'highest', 'times'], spread.entries.map((e) => [e.entry, e.ratio, e.low, e.high, e.times]), ['l', 'r', 'r', 'r', 'r']));
    }
    if (o.out) out(`wrote ${join(o.out, 'report.html')}, SVG plots and trajectories.json`);
  }
  if (o.check && ag.verdict === 'inconclusive') throw failure(`check inconclusive: ${inconclusiveAdvice(ag)}`);
  if (o.check && !ag.pass) throw failure(`check failed: ${ag.entries.filter((e) => !e.pass).map((e) => e.entry).join(', ')} outside q·SEM + b (q = ${num(ag.quantile, 4)}, b = ${num(ag.allowance, 3)})`);
}
