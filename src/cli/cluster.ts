/** The Slurm side of the command line: options, submission report, and `task`, `gather`, `status`. */
import { join } from 'node:path';
import { readPlan, runStatus, type SlurmOptions, type Submission } from '../cluster/slurm.ts';
import { spawn } from 'node:child_process';
import { usageError, failure } from '../errors.ts';
import { packageRoot } from '../package.ts';
import { NestedExit } from './exit.ts';
import { table } from '../report/format.ts';
import { out } from './print.ts';

/** --partition, --time, --cpus-per-task, --mem, --array-max, --dry-run */
export function slurmOptions(o: Record<string, any>): SlurmOptions {
  const arrayMax = Number(o.arrayMax ?? 100);
  return { partition: o.partition, time: o.time, cpusPerTask: o.cpusPerTask, mem: o.mem, arrayMax, dryRun: !!o.dryRun };
}

export function printSubmission(dir: string, n: number, s: Submission, dryRun: boolean): void {
  if (dryRun) {
    out(`wrote the run directory ${dir} (${n} tasks; plan.json, task.sbatch, gather.sbatch); not submitted (--dry-run). To submit:`);
    for (const c of s.commands) out(`  ${c}`);
    return;
  }
  if (s.arrayJob) out(`submitted ${s.indices.length} of ${n} tasks as job array ${s.arrayJob}, gather job ${s.gatherJob} (afterany); run directory ${dir}`);
  else out(`all ${n} tasks are complete or queued; submitted the gather job ${s.gatherJob}; run directory ${dir}`);
  out(`follow it with: hermode status ${dir}; results: hermode gather ${dir}`);
}

/**
 * Runs hermode on `args` as a child process of the same Node (the package's bin/hermode.js), passing
 * its output through as it comes; a failure (already reported by the child) becomes this command's
 * exit code. A child rather than a call back into the CLI: the command line stays a tree.
 */
async function runNested(args: string[]): Promise<void> {
  const root = packageRoot();
  if (!root) throw failure('cannot find hermode’s package (bin/hermode.js) to run the task');
  const child = spawn(process.execPath, [join(root.dir, 'bin', 'hermode.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (b: Buffer) => process.stdout.write(b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => process.stderr.write(b.toString('utf8')));
  const code = await new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (c, signal) => done(c ?? (signal ? 1 : 0)));
  });
  if (code !== 0) throw new NestedExit(code);
}

/** `hermode task DIR I`: runs task I of a run directory (what the job array executes). */
export async function taskCommand(dir: string, index: string): Promise<void> {
  const plan = readPlan(dir);
  const i = Number(index);
  const t = plan.tasks.find((x) => x.index === i);
  if (!t) throw usageError(`no task ${index} in this run (0..${plan.tasks.length - 1})`, { field: 'INDEX', value: index });
  await runNested(t.argv);
}

/** `hermode gather DIR`: the local command over the task results (same table, files and numbers). */
export async function gatherCommand(dir: string, o: { json?: boolean }): Promise<void> {
  const plan = readPlan(dir);
  const st = runStatus(dir);
  const missing = st.filter((x) => x.state !== 'completed');
  if (missing.length)
    throw usageError(`${missing.length} of ${st.length} tasks have no result yet (${missing.slice(0, 5).map((x) => `${x.index}: ${x.state}`).join(', ')}${missing.length > 5 ? ', …' : ''}); see hermode status ${dir}`, { field: 'DIR', value: dir });
  await runNested([...plan.gather, ...(o.json ? ['--json'] : [])]);
}

/** `hermode status DIR`: completed, running, pending and failed tasks, with the log of each failure. */
export function statusCommand(dir: string, o: { json?: boolean }): void {
  const st = runStatus(dir);
  const count = (s: string) => st.filter((x) => x.state === s).length;
  if (o.json) return void out(JSON.stringify({ dir, tasks: st }));
  out(`${dir}: ${st.length} tasks — ${count('completed')} completed, ${count('running')} running, ${count('pending')} pending, ${count('failed')} failed${count('not submitted') ? `, ${count('not submitted')} not submitted` : ''}`);
  const bad = st.filter((x) => x.state === 'failed' || x.state === 'not submitted');
  if (bad.length) out(table(['task', 'what', 'state', 'log', 'last line'], bad.map((x) => [x.index, x.label, x.state, x.log, x.detail ?? '']), ['r', 'l', 'l', 'l', 'l']));
  if (count('failed')) out(`resubmit the same command to run the failed tasks again (only those are submitted), then hermode gather ${dir}`);
  else if (count('completed') === st.length) out(`all done: hermode gather ${join(dir)}`);
}
