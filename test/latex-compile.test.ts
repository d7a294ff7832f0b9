/**
 * The LaTeX a researcher pastes into a paper compiles and stays inside the margins: every generated
 * .tex and a fragment \input into a document, through pdflatex, with no error and no overfull line.
 * Skipped with a printed reason where pdflatex is absent (.ci/run installs it).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp, cli } from './helpers.ts';
import { deriveSpec } from '../src/pipeline.ts';
import { parseSpec } from '../src/spec/load.ts';

const hasTex = spawnSync('pdflatex', ['--version']).status === 0;
if (!hasTex) console.log('latex-compile.test.ts: pdflatex is absent — the LaTeX compile test is skipped (apt-get install texlive-latex-base texlive-latex-recommended)');

function compile(dir: string, name: string, tex: string): { ok: boolean; overfull: string[]; log: string } {
  writeFileSync(join(dir, `${name}.tex`), tex);
  const r = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', `${name}.tex`], { cwd: dir, encoding: 'utf8' });
  const log = readFileSync(join(dir, `${name}.log`), 'utf8');
  return { ok: r.status === 0, overfull: log.split('\n').filter((l) => /^Overfull \\hbox/.test(l)), log };
}

describe.skipIf(!hasTex)('LaTeX through pdflatex', () => {
  it('every generated .tex, a long model not in the repository and one of each backend no derivation uses, compiles with no line past the margin', () => {
    const dir = tmp('hermode-tex-');
    const files = readdirSync('generated').filter((f) => f.endsWith('.tex'));
    const long = deriveSpec(parseSpec('name: he4-p3\nstudent: {width: 3, activation: "He4(z)/sqrt(24) + He2(z)/2"}\nteacher: {width: 2, target: committee, activation: "He4(z)/sqrt(24)"}\nloss: mse\nnoise: 0.1\n'));
    // and one document of each backend no committed derivation uses (their prose and notes are typeset too)
    const committee = (name: string, s: string, g: string, extra = '') => deriveSpec(parseSpec(`name: ${name}\nstudent: {width: 2, activation: "${s}"}\nteacher: {width: 2, target: committee, activation: "${g}"}\nloss: mse\n${extra}`)).tex;
    const others: [string, string][] = [
      ['tanh-mixture', committee('tanh-mixture', 'tanh(z)', 'tanh(z)', 'expectations: mixture:5\n')],
      ['gelu-probit', committee('gelu-probit', 'z*(1+erf(z/sqrt(2)))/2', 'tanh(z)', 'expectations: probit:5\n')],
      ['hardtanh-split', committee('hardtanh-split', 'max(-1, min(1, z))', 'erf(z)', 'expectations: split:2\n')],
      ['sin-quadrature', committee('sin-quadrature', 'sin(z)', 'erf(z)', 'expectations: quadrature:6\n')],
      ['sin-templates', committee('sin-templates', 'sin(z)', 'erf(z)', 'expectations: quadrature-templates\n')],
      ['sin-lattice', committee('sin-lattice', 'sin(z)', 'erf(z)', 'expectations: lattice:1024\n')],
      ['sin-hermite', committee('sin-hermite', 'sin(z)', 'erf(z)', 'expectations: hermite:6\n')],
    ];
    const docs: [string, string][] = [...files.map((f) => [f.replace('.tex', ''), readFileSync(join('generated', f), 'utf8')] as [string, string]), ['he4-p3', long.tex], ...others];
    for (const [name, tex] of docs) {
      const r = compile(dir, name, tex);
      expect(r.ok, `${name}: ${r.log.split('\n').filter((l) => l.startsWith('!')).join(' ')}`).toBe(true);
      expect(r.overfull, name).toEqual([]);
    }
  });

  it('the check sees a line past the margin: the same polynomial on one line is overfull', () => {
    const dir = tmp('hermode-tex-bad-');
    const d = deriveSpec(parseSpec('name: he4\nstudent: {width: 1, activation: "He4(z)/sqrt(24)"}\nteacher: {width: 1, target: committee, activation: "He4(z)/sqrt(24)"}\nloss: mse\n'));
    const oneLine = d.tex.replace(/\\begin\{aligned\}&/g, '').replace(/\\\\&/g, ' ').replace(/\\end\{aligned\}/g, '');
    expect(compile(dir, 'bad', oneLine).overfull.length).toBeGreaterThan(0);
  });

  it('latex --fragment \\input into an article compiles', async () => {
    const dir = tmp('hermode-tex-frag-');
    const r = await cli(['latex', 'derivations/he3-single-index.yaml', '--fragment']);
    expect(r.code).toBe(0);
    writeFileSync(join(dir, 'eqs.tex'), r.stdout);
    const c = compile(dir, 'paper', '\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\usepackage[margin=2cm]{geometry}\n\\begin{document}\nOur model:\n\\input{eqs}\n\\end{document}\n');
    expect(c.ok).toBe(true);
    expect(c.overfull).toEqual([]);
  });
});
