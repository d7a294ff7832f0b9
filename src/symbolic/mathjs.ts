/**
 * The one mathjs instance hermode uses (parse, node constructors, derivative, toTex): the library's
 * default instance from its single-file build (~0.1 s to load, against ~2 s for its 1,262 ES
 * modules), loaded on first use, so commands that parse no expression — `integrate` of a derivation
 * whose generated module is current, `--help` — never load it.
 */
import { createRequire } from 'node:module';
import type { MathJsInstance } from 'mathjs';

let instance: MathJsInstance | undefined;
const load = (): MathJsInstance => (instance ??= createRequire(import.meta.url)('mathjs/lib/browser/math.js') as MathJsInstance);

export const math: MathJsInstance = new Proxy({} as MathJsInstance, {
  get: (_target, key) => (load() as unknown as Record<string | symbol, unknown>)[key],
});
export type MathNode = import('mathjs').MathNode;
