/**
 * Runs the seeds of a simulation on worker threads (or inline with one worker). Results are returned
 * in seed order and each seed's numbers depend only on its seed, so the output is identical whatever
 * the number of workers.
 */
import { Worker } from 'node:worker_threads';
import type { PluginBuild } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { runSeed, type KernelConfig, type SeedResult } from './kernel.ts';
import { runReducedSeed } from './reduced.ts';
import { failure } from '../errors.ts';

export type Engine = 'full' | 'reduced';

let bundled: string | undefined;

/** What a worker bundle has in place of the expression parser (scripts/build.mjs uses the same text). */
const WORKER_MATH_STUB = "export const math = new Proxy({}, { get() { throw new Error('a simulation worker parses no expression'); } });";

/**
 * The worker as one CommonJS script: dist/worker.cjs beside the bundled library when hermode runs
 * from dist/, otherwise the entry bundled by esbuild once per process (under the test runner or
 * tsx), so workers never need a TypeScript loader.
 */
async function workerCode(): Promise<string> {
  if (!bundled) {
    const prebuilt = fileURLToPath(new URL('./worker.cjs', import.meta.url));
    if (existsSync(prebuilt)) bundled = readFileSync(prebuilt, 'utf8');
    else {
      const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
      const { build } = await import('esbuild');
      // as scripts/build.mjs: a worker evaluates compiled sources and parses no expression, so mathjs stays out
      const noParser = { name: 'no-parser-in-worker', setup: (b: PluginBuild) => b.onLoad({ filter: /symbolic[\\/]mathjs\.ts$/ }, () => ({ contents: WORKER_MATH_STUB, loader: 'js' })) };
      const out = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, plugins: [noParser] });
      bundled = out.outputFiles[0].text;
    }
  }
  return bundled;
}

export async function runSeeds(
  cfg: KernelConfig,
  seeds: number[],
  engine: Engine,
  workers: number,
  onProgress?: (doneSteps: number, totalSteps: number) => void,
): Promise<SeedResult[]> {
  const total = cfg.steps * seeds.length;
  const progress = new Map<number, number>();
  const report = () => onProgress?.([...progress.values()].reduce((a, b) => a + b, 0), total);
  const n = Math.max(1, Math.min(workers, seeds.length));
  if (n === 1) {
    const out: SeedResult[] = [];
    for (const seed of seeds) {
      const run = engine === 'reduced' ? runReducedSeed : runSeed;
      try {
        out.push(run(cfg, seed, (s) => (progress.set(seed, s), report())));
      } catch (err) {
        throw failure(`the simulation failed at seed ${seed}: ${(err as Error).message}`);
      }
    }
    return out;
  }
  const results = new Map<number, SeedResult>();
  const queue = seeds.slice();
  const code = await workerCode();
  const pool: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    let live = n;
    let failed = false;
    // one failing seed stops the whole run: every worker is terminated and the seed is named
    const fail = (seed: number | undefined, message: string) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(failure(`the simulation failed${seed === undefined ? '' : ` at seed ${seed}`}: ${message}`));
    };
    for (let w = 0; w < n; w++) {
      const worker = new Worker(code, { eval: true });
      pool.push(worker);
      let current: number | undefined;
      const next = () => {
        const seed = queue.shift();
        current = seed;
        if (seed === undefined) {
          void worker.terminate();
          if (--live === 0) resolve();
          return;
        }
        worker.postMessage({ cfg, seed, engine });
      };
      worker.on('message', (m: { type: string; seed?: number; step?: number; result?: SeedResult; message?: string }) => {
        if (failed) return;
        if (m.type === 'progress') {
          progress.set(m.seed as number, m.step as number);
          report();
        } else if (m.type === 'result') {
          results.set((m.result as SeedResult).seed, m.result as SeedResult);
          next();
        } else if (m.type === 'error') fail(m.seed, m.message ?? 'unknown error');
      });
      worker.on('error', (err) => fail(current, err.message));
      next();
    }
  });
  return seeds.map((s) => results.get(s) as SeedResult);
}
