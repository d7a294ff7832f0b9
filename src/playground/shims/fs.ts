/** node:fs in the page: there are no files; every derivation is compiled in memory and nothing is written. */
import { failure } from '../../errors.ts';
const absent = (path: unknown): Error => Object.assign(failure(`no file system in the browser (${String(path)})`), { code: 'ENOENT' });
export const existsSync = (): boolean => false;
export const readdirSync = (): string[] => [];
export function readFileSync(path: unknown): never {
  throw absent(path);
}
export function writeFileSync(path: unknown): never {
  throw absent(path);
}
export const mkdirSync = writeFileSync;
export const renameSync = writeFileSync;
export const rmSync = writeFileSync;
export const copyFileSync = writeFileSync;
export const statSync = readFileSync;
export default { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, renameSync, rmSync, copyFileSync, statSync };
