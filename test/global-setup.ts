/** Builds dist/ (the bundles) once before the suite, so the end-to-end tests spawn the CLI of the current sources. */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
