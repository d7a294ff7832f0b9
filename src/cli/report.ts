/**
 * A report directory: KaTeX's CSS and fonts copied beside the page (so it renders offline), then
 * each file written atomically — the one shape of every command's `--out DIR`.
 */
import { join } from 'node:path';
import { copyTree, writeFileAtomic } from '../io/files.ts';

/** Writes `files` (name → content) into `dir` with KaTeX beside them. */
export async function writeReportDir(dir: string, files: { name: string; content: string }[]): Promise<void> {
  const { katexDistDir } = await import('../report/html.ts');
  copyTree(katexDistDir(), join(dir, 'katex'));
  for (const f of files) writeFileAtomic(join(dir, f.name), f.content);
}
