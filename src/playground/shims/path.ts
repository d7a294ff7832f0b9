/** node:path in the page: POSIX joins of the few paths hermode names in messages. */
export function normalize(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !abs) out.push(part);
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
}
export const join = (...parts: string[]): string => normalize(parts.filter((x) => x !== '').join('/'));
export const resolve = (...parts: string[]): string => normalize(parts.join('/'));
export function dirname(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}
export const basename = (p: string): string => p.replace(/\/+$/, '').split('/').pop() ?? '';
export const relative = (_from: string, to: string): string => to;
export const sep = '/';
export default { normalize, join, resolve, dirname, basename, relative, sep };
