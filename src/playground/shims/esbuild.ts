/** esbuild in the page: never needed (the worker bundle is only built for worker threads). */
import { failure } from '../../errors.ts';
export function build(): never {
  throw failure('esbuild is not available in the browser');
}
export default { build };
