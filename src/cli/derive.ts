/** `hermode derive` and `hermode latex`: generated code and LaTeX of derivation files, the KaTeX page. */
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { deriveFile, deriveAnyFile, type Derivation, type GeneratedFiles } from '../pipeline.ts';
import { LANGUAGES, type Language } from '../codegen/generate.ts';
import { documentToTex } from '../codegen/latex.ts';
import { writeFileAtomic, writeFilesAtomic, copyTree } from '../io/files.ts';
import { usageError, failure } from '../errors.ts';
import { table } from '../report/format.ts';
import { out, warn, announceStage } from './print.ts';


interface Derived extends GeneratedFiles {
  /** path → content of every file written */
  paths: Record<string, string | Uint8Array>;
  ms: number;
}

function deriveOne(file: string, expectations: string | undefined, outDir: string, langs: readonly Language[], jacobian = false, diffusion = false): Derived {
  const t0 = performance.now();
  const g = deriveAnyFile(file, expectations, langs, outDir, announceStage, { jacobian, diffusion });
  const paths = Object.fromEntries(Object.entries(g.files).map(([suffix, content]) => [join(outDir, `${g.name}${suffix}`), content]));
  return { ...g, paths, ms: performance.now() - t0 };
}

/** Whether a file on disk holds exactly `content` (text, or the bytes of a .wasm). */
function fileState(path: string, content: string | Uint8Array): 'ok' | 'missing' | 'stale' {
  if (!existsSync(path)) return 'missing';
  const same = typeof content === 'string' ? readFileSync(path, 'utf8') === content : Buffer.from(content).equals(readFileSync(path));
  return same ? 'ok' : 'stale';
}

/** `--lang ts,py` → the languages (default: all). */
function languagesOf(text: string | undefined): Language[] {
  if (text === undefined) return [...LANGUAGES];
  const langs = text.split(',').map((x) => x.trim()).filter(Boolean);
  for (const l of langs) if (!(LANGUAGES as readonly string[]).includes(l)) throw usageError(`unknown language; expected some of ${LANGUAGES.join(', ')}`, { field: '--lang', value: l });
  if (!langs.length) throw usageError(`expected some of ${LANGUAGES.join(', ')}`, { field: '--lang', value: text });
  return langs as Language[];
}

export function deriveCommand(files: string[], o: { outDir: string; expectations?: string; check?: boolean; lang?: string; jacobian?: boolean; diffusion?: boolean }): void {
  const langs = languagesOf(o.lang);
  const results = files.map((f) => deriveOne(f, o.expectations, o.outDir, langs, o.jacobian, o.diffusion));
  if (o.check) {
    let bad = 0;
    for (const r of results)
      for (const [path, content] of Object.entries(r.paths)) {
        const state = fileState(path, content);
        if (state !== 'ok') bad++;
        out(`${state.padEnd(7)}  ${path}`);
      }
    const stale = results.filter((r) => Object.entries(r.paths).some(([path, content]) => fileState(path, content) !== 'ok'));
    if (bad) throw failure(`${bad} generated file(s) missing or out of date; run: npx hermode derive ${stale.map((r) => r.file).join(' ')}${o.outDir === 'generated' ? '' : ` --out-dir ${o.outDir}`}`);
    return;
  }
  writeFilesAtomic(results.flatMap((r) => Object.entries(r.paths).map(([path, content]) => ({ path, content }))));
  out(
    table(
      ['derivation', 'p', 'k', 'loss', 'dynamics', 'expectations', 'ms', 'wrote'],
      results.map((r) => [...r.summary, r.ms.toFixed(0), `${join(o.outDir, r.name)}.{${Object.keys(r.files).map((x) => x.slice(1)).join(',')}}`]),
      ['l', 'r', 'r', 'l', 'l', 'l', 'r', 'l'],
    ),
  );
  // the notes are derive's report; the warnings among them go where every warning goes
  for (const r of results)
    for (const n of r.notes) {
      if (n.startsWith('warning: ')) warn(`${r.name}: ${n.slice('warning: '.length)}`);
      else out(`note (${r.name}): ${n}`);
    }
}


export async function latexCommand(file: string, o: { html?: string; fragment?: boolean }): Promise<void> {
  const d = deriveFile(file);
  if (o.html && o.fragment) throw usageError('give --html or --fragment, not both', { field: '--fragment' });
  if (!o.html) {
    out(o.fragment ? documentToTex(d.doc, d.model, d.plan, 'generated', true) : d.tex);
    return;
  }
  await writeHtmlDocument(d, o.html);
  out(`wrote ${o.html} (KaTeX CSS and fonts in ${join(dirname(o.html), 'katex')})`);
}

export async function writeHtmlDocument(d: Derivation, path: string): Promise<void> {
  const { page, documentBody, katexDistDir } = await import('../report/html.ts');
  const html = page(d.doc.title, documentBody(d.doc));
  copyTree(katexDistDir(), join(dirname(path), 'katex'));
  writeFileAtomic(path, html);
}
