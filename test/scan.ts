/** Source scans for the structure tests: the TypeScript files under a folder, and their code lines (comments left out). */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const tsFiles = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? tsFiles(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));

/** The lines of src/ matching `pattern` that are not comments, as `file:line: text`, outside the folders given. */
export function codeLines(pattern: RegExp, outside: string[] = []): string[] {
  return tsFiles('src')
    .filter((f) => !outside.some((o) => f.startsWith(o)))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l, i) => [f, i + 1, l] as const))
    .filter(([, , l]) => pattern.test(l) && !/^\s*(\*|\/\/)/.test(l))
    .map(([f, i, l]) => `${f}:${i}: ${l.trim()}`);
}
