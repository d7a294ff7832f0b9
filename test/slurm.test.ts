/**
 * Sweeps and seed batches on Slurm: against a real single-node cluster when `sbatch` is on PATH
 * (`.ci/run` starts one with scripts/slurm-local.sh), skipped with a printed reason otherwise. The
 * run directory, dry runs and the refusal without Slurm are tested everywhere.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tmp } from './helpers.ts';
import { compress } from '../src/cluster/slurm.ts';

const hasSlurm = spawnSync('sbatch', ['--version']).status === 0 && spawnSync('sinfo', ['-h']).status === 0;
if (!hasSlurm) console.log('slurm.test.ts: sbatch or a running cluster is absent — the end-to-end Slurm test is skipped (scripts/slurm-local.sh start provides one)');

const sweepArgs = (out: string) => [
  'sweep', 'derivations/he3-single-index.yaml', '--d', '32,64', '--nb', '1,4', '--method', 'ode,sim', '--seeds', '2',
  '--set', 'eta_bar=0.5*crit', '--threshold', '0.5', '--max-steps', '100*d^2', '--out', out, '--quiet',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function statusOf(dir: string): Promise<{ index: number; state: string; log: string; detail?: string }[]> {
  const r = await cli(['status', dir, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).tasks;
}
/** Polls until no task is pending or running and the gather job has left the queue. */
async function settle(dir: string, timeoutMs = 180_000) {
  const t0 = Date.now();
  for (;;) {
    const st = await statusOf(dir);
    const jobs = JSON.parse(readFileSync(join(dir, 'jobs.json'), 'utf8')) as { gatherJob: string }[];
    const q = spawnSync('squeue', ['-h', '-j', jobs.map((j) => j.gatherJob).join(','), '-o', '%T'], { encoding: 'utf8' }).stdout.trim();
    if (!st.some((t) => t.state === 'pending' || t.state === 'running') && !/PENDING|RUNNING|COMPLETING|CONFIGURING/.test(q)) return st;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the run in ${dir} did not finish within ${timeoutMs / 1000} s: ${JSON.stringify(st)}`);
    await sleep(1000);
  }
}

describe('Slurm run directories', () => {
  it('compresses array indices', () => {
    expect(compress([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(compress([3])).toBe('3');
  });

  it('--dry-run writes the plan and both sbatch scripts and prints the commands; the tasks run by hand gather to the local result bit for bit', async () => {
    const dir = join(tmp('hermode-slurm-dry-'), 'run');
    const r = await cli([...sweepArgs(dir), '--slurm', '--dry-run', '--time', '00:10:00', '--array-max', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/8 tasks.*not submitted \(--dry-run\)/);
    expect(r.stdout).toMatch(/sbatch --parsable '--array=0-7%4' .*task\.sbatch/);
    expect(r.stdout).toMatch(/--dependency=afterany:/);
    const script = readFileSync(join(dir, 'task.sbatch'), 'utf8');
    expect(script).toMatch(/#SBATCH --array=0-7%4/);
    expect(script).toMatch(/#SBATCH --time=00:10:00/);
    expect(script).toMatch(/#SBATCH --output=.*logs\/task-%a\.log/);
    expect(existsSync(join(dir, 'jobs.json'))).toBe(false);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    expect(plan.tasks).toHaveLength(8);
    for (let i = 0; i < 8; i++) expect((await cli(['task', dir, String(i)])).code).toBe(0);
    const gathered = await cli(['gather', dir, '--json']);
    expect(gathered.code, gathered.stderr).toBe(0);
    const local = await cli([...sweepArgs(join(tmp('hermode-slurm-local-'), 'run')), '--json']);
    const [a, b] = [JSON.parse(gathered.stdout), JSON.parse(local.stdout)];
    expect(a.points).toEqual(b.points);
    expect(a.fits).toEqual(b.fits);
    // a different plan in the same directory is refused
    const other = await cli([...sweepArgs(dir), '--seeds', '5', '--slurm', '--dry-run']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a different run/);
  });

  it('bad input: a directory without a plan, a task index out of range, gathering an unfinished run, a bad --time: one line, exit 2, nothing written', async () => {
    const none = join(tmp('hermode-slurm-bad-'), 'nothing');
    for (const args of [['status', none], ['gather', none], ['task', none, '0']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/is not a hermode run directory \(no plan\.json\)/);
    }
    expect(existsSync(none)).toBe(false);
    const dir = join(tmp('hermode-slurm-bad-'), 'run');
    expect((await cli([...sweepArgs(dir), '--slurm', '--dry-run'])).code).toBe(0);
    const t = await cli(['task', dir, '99']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/INDEX = "99": no task 99 in this run \(0\.\.7\)/);
    const g = await cli(['gather', dir]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/8 of 8 tasks have no result yet/);
    const other = join(tmp('hermode-slurm-bad-'), 'run');
    const bad = await cli([...sweepArgs(other), '--slurm', '--dry-run', '--time', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--time = "soon": expected/);
    expect(existsSync(other)).toBe(false);
  });

  it('without sbatch on PATH --slurm fails with one line, exit 2, nothing written', () => {
    const dir = join(tmp('hermode-slurm-none-'), 'run');
    const r = spawnSync(process.execPath, ['bin/hermode.js', ...sweepArgs(dir), '--slurm'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--slurm: sbatch is not on PATH/);
    expect(existsSync(dir)).toBe(false);
  });

  it.skipIf(!hasSlurm)('a real cluster: 8 points with one failing, status names it and its log, resubmission runs only it, gather equals the local sweep bit for bit; 64 seeds likewise', async () => {
    const dir = join(tmp('hermode-slurm-e2e-'), 'run');
    // the point d32-nb4-mse-sim cannot write its result: its file name is taken by a directory
    const blocker = join(dir, 'points', 'd32-nb4-mse-sim.json');
    mkdirSync(blocker, { recursive: true });
    const sub = await cli([...sweepArgs(dir), '--slurm']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stdout).toMatch(/submitted 8 of 8 tasks as job array \d+, gather job \d+ \(afterany\)/);
    let st = await settle(dir);
    const failed = st.filter((t) => t.state === 'failed');
    expect(failed.map((t) => t.index)).toEqual([3]);
    expect(existsSync(failed[0].log)).toBe(true);
    expect(readFileSync(failed[0].log, 'utf8')).toMatch(/EISDIR/);
    const text = await cli(['status', dir]);
    expect(text.stdout).toMatch(/7 completed, 0 running, 0 pending, 1 failed/);
    expect(text.stdout).toContain(failed[0].log);
    // the gather job ran after the array and said what is missing
    expect(readFileSync(join(dir, 'logs', 'gather.log'), 'utf8')).toMatch(/1 of 8 tasks have no result yet/);
    rmdirSync(blocker);
    const again = await cli([...sweepArgs(dir), '--slurm']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/submitted 1 of 8 tasks/);
    st = await settle(dir);
    expect(st.every((t) => t.state === 'completed')).toBe(true);
    expect(existsSync(join(dir, 'sweep.json'))).toBe(true);
    const gathered = await cli(['gather', dir, '--json']);
    const local = await cli([...sweepArgs(join(tmp('hermode-slurm-local-'), 'run')), '--json']);
    const [a, b] = [JSON.parse(gathered.stdout), JSON.parse(local.stdout)];
    expect(a.points).toEqual(b.points);
    expect(a.fits).toEqual(b.fits);

    // 64 seeds in chunks of 16
    const simDir = join(tmp('hermode-slurm-sim-'), 'run');
    const simArgs = ['simulate', join(process.cwd(), 'derivations/saad-solla-erf.yaml'), '--d', '200', '--set', 'eta_bar=1', '--tau', '5', '--seeds', '1-64', '--points', '11', '--quiet'];
    const s = await cli([...simArgs, '--slurm', '--chunk', '16', '--out', simDir]);
    expect(s.stdout).toMatch(/submitted 4 of 4 tasks/);
    await settle(simDir);
    const sg = await cli(['gather', simDir, '--json']);
    expect(sg.code, sg.stderr).toBe(0);
    const sl = await cli([...simArgs, '--json']);
    const [x, y] = [JSON.parse(sg.stdout), JSON.parse(sl.stdout)];
    expect(x.seeds.map((t: any) => [t.M, t.Q, t.risk])).toEqual(y.seeds.map((t: any) => [t.M, t.Q, t.risk]));
    expect(x.mean.M).toEqual(y.mean.M);
    expect(x.sem).toEqual(y.sem);
  }, 400_000);
});
