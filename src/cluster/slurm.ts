/**
 * Runs on a Slurm cluster: a sweep (one point per task) or a simulation (one chunk of seeds per task)
 * becomes a self-contained run directory —
 *   plan.json      every task with its own command line and the file its result goes to, and the
 *                  command that gathers them; its hash identifies the run
 *   task.sbatch    a job array, one task per array index (`hermode task DIR $SLURM_ARRAY_TASK_ID`),
 *                  logs in logs/task-<index>.log
 *   gather.sbatch  `hermode gather DIR`, submitted with afterany on the array
 *   jobs.json      every submission: array and gather job ids and the indices submitted
 * Each task writes its result atomically; every point's and seed's randomness depends only on its
 * seed, so the gathered result is the local command's, number for number. Job ids restart when a
 * cluster restarts, so files are keyed on task indices, never on job ids.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../io/files.ts';
import { usageError, failure } from '../errors.ts';

export interface SlurmTask {
  index: number;
  /** what the task computes, e.g. "d1024-nb1-mse-sim" or "seeds 1-16" */
  label: string;
  /** files (relative to the run directory) that exist when the task has completed */
  results: string[];
  /** hermode's arguments for this task */
  argv: string[];
}

export interface SlurmPlan {
  kind: 'sweep' | 'simulate';
  name: string;
  /** working directory of the submitting command (tasks run there) */
  cwd: string;
  tasks: SlurmTask[];
  /** hermode's arguments that gather the results (the local command, reading the task results) */
  gather: string[];
}

export interface SlurmOptions {
  partition?: string;
  time?: string;
  cpusPerTask?: string;
  mem?: string;
  arrayMax: number;
  dryRun: boolean;
}

export interface Submission {
  arrayJob: string | null;
  gatherJob: string | null;
  indices: number[];
  commands: string[];
}

export function planHash(plan: SlurmPlan): string {
  return createHash('sha256')
    .update(JSON.stringify({ kind: plan.kind, tasks: plan.tasks, gather: plan.gather }))
    .digest('hex')
    .slice(0, 16);
}

/** `sbatch` on PATH? */
export function slurmAvailable(): boolean {
  const r = spawnSync('sbatch', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** The hermode binary of this installation (bin/hermode.js beside package.json). */
function hermodeBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const f = join(dir, 'bin', 'hermode.js');
    if (existsSync(f) && existsSync(join(dir, 'package.json'))) return f;
  }
  throw failure('cannot find bin/hermode.js of this installation');
}

const quote = (s: string) => (/^[A-Za-z0-9_./:=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function sbatchHeader(plan: SlurmPlan, o: SlurmOptions, extra: string[]): string[] {
  const lines = ['#!/bin/bash', `#SBATCH --job-name=hermode-${plan.name}`, ...extra];
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  if (o.cpusPerTask) lines.push(`#SBATCH --cpus-per-task=${o.cpusPerTask}`);
  if (o.mem) lines.push(`#SBATCH --mem=${o.mem}`);
  return lines;
}

/** Validates the Slurm options (before anything is written). */
export function checkSlurmOptions(o: SlurmOptions): void {
  if (o.time !== undefined && !/^(\d+-)?\d+(:\d{2}){0,2}$/.test(o.time)) throw usageError('expected [D-]HH:MM:SS, MM:SS or minutes', { field: '--time', value: o.time });
  if (o.cpusPerTask !== undefined && !/^[1-9]\d*$/.test(o.cpusPerTask)) throw usageError('expected a positive integer', { field: '--cpus-per-task', value: o.cpusPerTask });
  if (o.mem !== undefined && !/^\d+[KMGT]?$/i.test(o.mem)) throw usageError('expected a size such as 4G or 500M', { field: '--mem', value: o.mem });
  if (!Number.isInteger(o.arrayMax) || o.arrayMax < 1) throw usageError('expected a positive integer', { field: '--array-max', value: o.arrayMax });
}

/** Whether task `t` has all its results (regular files). */
export function taskDone(dir: string, t: SlurmTask): boolean {
  return t.results.every((r) => {
    const f = join(dir, r);
    return existsSync(f) && statSync(f).isFile();
  });
}

export function readPlan(dir: string): SlurmPlan & { hash: string } {
  const f = join(dir, 'plan.json');
  if (!existsSync(f)) throw usageError('is not a hermode run directory (no plan.json)', { field: 'DIR', value: dir });
  return JSON.parse(readFileSync(f, 'utf8'));
}

export function readJobs(dir: string): { arrayJob: string | null; gatherJob: string | null; indices: number[]; submitted: string }[] {
  const f = join(dir, 'jobs.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : [];
}

/** Array-task states from `squeue -t all -r` for the recorded jobs: index → state of its latest submission. */
export function queueStates(dir: string): Map<number, string> {
  const jobs = readJobs(dir);
  const out = new Map<number, string>();
  const ids = jobs.map((j) => j.arrayJob).filter((x): x is string => !!x);
  if (!ids.length) return out;
  // job ids restart when a cluster restarts: a recorded id counts only while it still runs this
  // directory's task.sbatch (%o, the command)
  const script = join(resolve(dir), 'task.sbatch');
  const r = spawnSync('squeue', ['-h', '-r', '-t', 'all', '-j', ids.join(','), '-o', '%i %T %o'], { encoding: 'utf8' });
  if (r.status !== 0) return out;
  // later submissions override earlier ones for the same index
  const order = new Map(ids.map((id, i) => [id, i]));
  const seen = new Map<number, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+)_(\d+)\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (!m || m[4].trim() !== script) continue;
    const idx = Number(m[2]);
    const rank = order.get(m[1]) ?? -1;
    if ((seen.get(idx) ?? -2) <= rank) {
      seen.set(idx, rank);
      out.set(idx, m[3]);
    }
  }
  return out;
}

const ACTIVE = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'REQUEUED', 'RESIZING', 'SUSPENDED']);

export interface TaskStatus {
  index: number;
  label: string;
  state: 'completed' | 'running' | 'pending' | 'failed' | 'not submitted';
  log: string;
  detail?: string;
}

/** Completed from the files; running and pending from squeue; failed when neither (with its log). */
export function runStatus(dir: string): TaskStatus[] {
  const plan = readPlan(dir);
  const q = queueStates(dir);
  const submitted = new Set(readJobs(dir).flatMap((j) => j.indices));
  return plan.tasks.map((t) => {
    const log = join(dir, 'logs', `task-${t.index}.log`);
    const st = q.get(t.index);
    if (taskDone(dir, t)) return { index: t.index, label: t.label, state: 'completed', log };
    if (st && ACTIVE.has(st)) return { index: t.index, label: t.label, state: st === 'PENDING' ? 'pending' : 'running', log };
    if (!submitted.has(t.index)) return { index: t.index, label: t.label, state: 'not submitted', log };
    // the error line hermode printed (an internal error's first line), else the log's last line
    const lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
    const last = lines.find((l) => l.startsWith('hermode: ')) ?? lines[lines.length - 1];
    return { index: t.index, label: t.label, state: 'failed', log, detail: st ? `${st}${last ? `: ${last}` : ''}` : last ?? 'no log' };
  });
}

/**
 * Writes the run directory (or checks it holds the same plan) and submits the tasks that are neither
 * completed nor queued, then the gather job after them. A different plan in the same directory is
 * refused; with `dryRun` nothing is submitted and the commands are returned.
 */
export function submitRun(dir: string, plan: SlurmPlan, o: SlurmOptions): Submission {
  checkSlurmOptions(o);
  if (!o.dryRun && !slurmAvailable()) throw usageError('sbatch is not on PATH: --slurm needs a Slurm cluster (README: "Slurm"; --dry-run writes the run directory without one)', { field: '--slurm' });
  const abs = resolve(dir);
  const hash = planHash(plan);
  const planFile = join(abs, 'plan.json');
  if (existsSync(planFile)) {
    const prev = JSON.parse(readFileSync(planFile, 'utf8'));
    if (prev.hash !== hash) throw usageError(`holds a different run (plan ${prev.hash}, this one ${hash}); use another directory or remove it`, { field: '--out', value: dir });
  }
  const node = process.execPath;
  const bin = hermodeBin();
  const N = plan.tasks.length;
  const taskScript = [
    ...sbatchHeader(plan, o, [`#SBATCH --array=0-${N - 1}%${o.arrayMax}`, `#SBATCH --output=${join(abs, 'logs', 'task-%a.log')}`]),
    `cd ${quote(plan.cwd)}`,
    `exec ${quote(node)} ${quote(bin)} task ${quote(abs)} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
  const gatherScript = [
    ...sbatchHeader(plan, o, [`#SBATCH --output=${join(abs, 'logs', 'gather.log')}`]),
    `cd ${quote(plan.cwd)}`,
    `exec ${quote(node)} ${quote(bin)} gather ${quote(abs)}`,
    '',
  ].join('\n');
  mkdirSync(join(abs, 'logs'), { recursive: true });
  writeFileAtomic(planFile, JSON.stringify({ hash, ...plan }, null, 1) + '\n');
  writeFileAtomic(join(abs, 'task.sbatch'), taskScript);
  writeFileAtomic(join(abs, 'gather.sbatch'), gatherScript);
  // resubmission: only what is neither done nor queued
  const q = o.dryRun ? new Map<number, string>() : queueStates(abs);
  const indices = plan.tasks.filter((t) => !taskDone(abs, t) && !ACTIVE.has(q.get(t.index) ?? '')).map((t) => t.index);
  const arrayCmd = ['sbatch', '--parsable', `--array=${compress(indices)}%${o.arrayMax}`, join(abs, 'task.sbatch')];
  const gatherCmd = (after: string) => ['sbatch', '--parsable', ...(after ? [`--dependency=afterany:${after}`] : []), join(abs, 'gather.sbatch')];
  if (o.dryRun) return { arrayJob: null, gatherJob: null, indices, commands: [indices.length ? arrayCmd.map(quote).join(' ') : '(no task to submit)', gatherCmd('<array job id>').map(quote).join(' ')] };
  let arrayJob: string | null = null;
  if (indices.length) {
    const r = spawnSync(arrayCmd[0], arrayCmd.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw failure(`sbatch refused the array: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    arrayJob = r.stdout.trim().split(';')[0];
  }
  const g = spawnSync('sbatch', gatherCmd(arrayJob ?? '').slice(1), { encoding: 'utf8' });
  if (g.status !== 0) throw failure(`sbatch refused the gather job: ${(g.stderr || g.stdout).trim().split('\n').pop()}`);
  const gatherJob = g.stdout.trim().split(';')[0];
  const jobs = readJobs(abs);
  jobs.push({ arrayJob, gatherJob, indices, submitted: new Date().toISOString() });
  writeFileAtomic(join(abs, 'jobs.json'), JSON.stringify(jobs, null, 1) + '\n');
  return { arrayJob, gatherJob, indices, commands: [arrayCmd.join(' '), gatherCmd(arrayJob ?? '').join(' ')] };
}

/** 0,1,2,5,7,8 → "0-2,5,7-8" */
export function compress(xs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    out.push(j > i ? `${xs[i]}-${xs[j]}` : `${xs[i]}`);
    i = j + 1;
  }
  return out.join(',');
}
