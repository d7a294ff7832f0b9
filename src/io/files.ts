/**
 * The one module that writes files. Every write goes to a temporary file in the target directory
 * and is renamed into place, so a failed run never leaves a partial file; a group of files is
 * written only after all of them have been produced in memory.
 */
import { mkdirSync, renameSync, writeFileSync, rmSync, copyFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path) || '.', { recursive: true });
  const tmp = join(dirname(path), `.hermode-tmp-${process.pid}-${basename(path)}`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes several files; all contents must already be computed. */
export function writeFilesAtomic(files: { path: string; content: string | Uint8Array }[]): void {
  for (const f of files) writeFileAtomic(f.path, f.content);
}

/** Copies a directory tree (used for KaTeX's fonts beside an HTML page); skips files already equal in size. */
export function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    if (statSync(src).isDirectory()) copyTree(src, dst);
    else if (!existsSync(dst) || statSync(dst).size !== statSync(src).size) copyFileSync(src, dst);
  }
}
