/** Builds dist/ (bundles and declarations) once before the suite, so the end-to-end and library tests run the current sources. */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--types'], { stdio: 'inherit' });
}
