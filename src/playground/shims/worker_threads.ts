/** node:worker_threads in the page: simulations run their seeds in the page's own Web Worker, one after the other (the numbers do not depend on it). */
import { failure } from '../../errors.ts';
export class Worker {
  constructor() {
    throw failure('worker threads are not available in the browser: run with one worker');
  }
}
export const parentPort = null;
export default { Worker, parentPort };
