/** Worker thread: runs seeds of a simulation on request and posts progress and results. */
import { parentPort } from 'node:worker_threads';
import { runSeed, type KernelConfig } from './kernel.ts';
import { runReducedSeed } from './reduced.ts';

parentPort?.on('message', (msg: { cfg: KernelConfig; seed: number; engine: 'full' | 'reduced' }) => {
  try {
    const progress = (step: number) => parentPort?.postMessage({ type: 'progress', seed: msg.seed, step });
    const result = msg.engine === 'reduced' ? runReducedSeed(msg.cfg, msg.seed, progress) : runSeed(msg.cfg, msg.seed, progress);
    parentPort?.postMessage({ type: 'result', result });
  } catch (err) {
    parentPort?.postMessage({ type: 'error', seed: msg.seed, message: (err as Error).message });
  }
});
