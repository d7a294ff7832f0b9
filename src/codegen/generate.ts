/**
 * The `generate` step: one IR module printed to every output language, side by side in generated/.
 * A language is one printer in src/ir and one line in PRINTERS; LaTeX is printed from the equations
 * (src/codegen/latex.ts), not from the code.
 */
import type { Module } from '../ir/ir.ts';
import { TsPrinter } from '../ir/print-ts.ts';
import { PyPrinter } from '../ir/print-py.ts';
import { CPrinter } from '../ir/print-c.ts';
import { wasmModule } from '../ir/print-wasm.ts';

/** File suffix → content (text, or bytes for WebAssembly), for a module whose files are named `name`. */
type Emit = (m: Module, name: string) => Record<string, string | Uint8Array>;

const PRINTERS: Record<string, Emit> = {
  ts: (m) => ({ '.ts': new TsPrinter().module(m) }),
  py: (m) => ({ '.py': new PyPrinter().module(m) }),
  c: (m, name) => {
    const { c, h } = new CPrinter().files(m, name);
    return { '.c': c, '.h': h };
  },
  wasm: (m) => ({ '.wasm': wasmModule(m) }),
};

export const LANGUAGES = ['ts', 'tex', 'py', 'c', 'wasm'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The code files of the requested languages (LaTeX is added by the caller). */
export function printModule(m: Module, name: string, langs: readonly Language[]): Record<string, string | Uint8Array> {
  return Object.assign({}, ...langs.filter((l) => l in PRINTERS).map((l) => PRINTERS[l](m, name)));
}
