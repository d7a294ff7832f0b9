/**
 * The page's Web Worker: checks derivation texts as they are typed, derives, integrates and
 * simulates (session.ts), and posts what a slow stage is doing. The page never waits on it: a
 * cancel terminates the worker and starts a new one.
 *
 * Messages in:  {id, type: 'check', yaml} | {id, type: 'run', input}
 * Messages out: {id, type: 'checked', checked} | {id, type: 'stage', what} | {id, type: 'progress', done, total, unit}
 *               {id, type: 'result', result} | {id, type: 'simulation', simulation} | {id, type: 'done'}
 *               {id, type: 'error', error, during}
 */
import { checkDerivation, runPlayground, simulatePlayground, pageError, type PlaygroundInput } from './session.ts';

type Incoming = { id: number; type: 'check'; yaml: string } | { id: number; type: 'run'; input: PlaygroundInput };

const scope = globalThis as unknown as { postMessage: (m: unknown) => void; onmessage: ((e: { data: Incoming }) => void) | null };
const post = (m: Record<string, unknown>) => scope.postMessage(m);

/** Progress posted at most every 100 ms (a message per odex step would flood the page). */
function throttled(id: number, unit: string): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 100 && done < total) return;
    last = now;
    post({ id, type: 'progress', done, total, unit });
  };
}

scope.onmessage = async ({ data }) => {
  const { id } = data;
  if (data.type === 'check') {
    try {
      post({ id, type: 'checked', checked: checkDerivation(data.yaml).checked });
    } catch (err) {
      post({ id, type: 'error', error: pageError(err, data.yaml), during: 'check' });
    }
    return;
  }
  const input = data.input;
  let during = 'derive';
  try {
    const t0 = Date.now();
    const { derivation, result } = runPlayground(input, (what) => post({ id, type: 'stage', what }), throttled(id, 'τ'));
    post({ id, type: 'result', result, ms: Date.now() - t0 });
    if (input.sim) {
      during = 'simulate';
      post({ id, type: 'stage', what: `simulating ${input.sim.seeds} seeds (reduced engine)` });
      post({ id, type: 'simulation', simulation: await simulatePlayground(derivation, input, throttled(id, 'steps')) });
    }
    post({ id, type: 'done' });
  } catch (err) {
    post({ id, type: 'error', error: pageError(err, input.yaml), during });
  }
};
