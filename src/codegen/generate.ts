/**
 * The `generate` step: one IR module printed to every output language, side by side in generated/.
 * Adding a language is one printer in src/ir and one entry here.
 */
import type { Module } from '../ir/ir.ts';
import { TsPrinter } from '../ir/print-ts.ts';
import { PyPrinter } from '../ir/print-py.ts';
import { CPrinter } from '../ir/print-c.ts';

export const LANGUAGES = ['ts', 'tex', 'py', 'c'] as const;
export type Language = (typeof LANGUAGES)[number];

/** File suffix → content for the code languages requested (LaTeX is printed from the equations). */
export function printModule(m: Module, name: string, langs: readonly Language[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (langs.includes('ts')) out['.ts'] = new TsPrinter().module(m);
  if (langs.includes('py')) out['.py'] = new PyPrinter().module(m);
  if (langs.includes('c')) {
    const { c, h } = new CPrinter().files(m, name);
    out['.c'] = c;
    out['.h'] = h;
  }
  return out;
}
