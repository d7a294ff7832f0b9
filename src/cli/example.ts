/** `hermode example`: the flagship example, end to end (derive, integrate, the LaTeX and an HTML page). */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { deriveFile } from '../pipeline.ts';
import { writeFileAtomic } from '../io/files.ts';
import { usageError } from '../errors.ts';
import { DEFAULT_M0 } from '../numeric/setup.ts';
import { requireCompleted } from '../numeric/outcome.ts';
import { deriveCommand, writeHtmlDocument } from './derive.ts';
import { integrateFromOptions, printTrajectory } from './integrate.ts';
import { out } from './print.ts';

export async function exampleCommand(o: { outDir: string }): Promise<void> {
  const file = 'derivations/saad-solla-erf.yaml';
  if (!existsSync(file)) throw usageError('run the example from the hermode checkout', { file });
  out('hermode example: the Saad–Solla erf soft committee (p = k = 2), plain SGD, MSE\n');
  out(`1. derive ${file}`);
  deriveCommand([file], { outDir: 'generated' });
  out(`\n2. integrate from a random start at d = 1000 (Q = I, M_jr ~ N(0, 1/1000)), η̄ = 1, τ ∈ [0, 800]: plateau, specialisation, convergence`);
  const { traj } = await integrateFromOptions(file, {
    set: ['eta_bar=1'],
    tau: '800',
    points: '801',
    seed: '1',
    m0: String(DEFAULT_M0),
    rtol: '1e-9',
    atol: '1e-11',
  });
  requireCompleted(traj, 'integration', { file });
  printTrajectory(traj);
  const html = join(o.outDir, 'saad-solla-erf.html');
  await writeHtmlDocument(deriveFile(file), html);
  writeFileAtomic(join(o.outDir, 'trajectory.json'), JSON.stringify(traj, null, 1) + '\n');
  out(`\n3. equations: generated/saad-solla-erf.tex (LaTeX), ${html} (KaTeX, offline); trajectory: ${join(o.outDir, 'trajectory.json')}`);
}
