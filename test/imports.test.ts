/**
 * The pipeline is the layout (README, Layout): a module imports only modules of its own stage or of
 * the stages before it, and the import graph has no loop. The stages, in the order a datum walks:
 */
import { tsFiles } from './scan.ts';
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** Stage of each top-level folder or file of src/ (shared foundations first, the CLI and library last). */
const STAGES: Record<string, number> = {
  errors: 0, extrema: 0, limits: 0, linalg: 0, quadrature: 0, package: 0, random: 0, symbolic: 0, ir: 0, io: 0,
  spec: 1,
  loss: 1,
  rules: 1,
  regularisers: 1,
  families: 1,
  hermite: 2,
  gaussian: 3,
  ode: 4,
  backends: 5,
  codegen: 6,
  pipeline: 7,
  paramdyn: 7,
  numeric: 8,
  simulate: 9,
  compare: 10,
  studies: 10,
  cluster: 10,
  report: 11,
  cli: 12,
  playground: 12,
  index: 13,
};

const sources = tsFiles;
const stageOf = (file: string): number | undefined => {
  const r = relative('src', file);
  return STAGES[r.includes('/') ? r.split('/')[0] : r.replace(/\.ts$/, '')];
};
/** Relative imports and re-exports of a module (type-only ones included: they are arrows of the design too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms), ...text.matchAll(/\bimport\('(\.[^']+)'\)/g)].map((m) => normalize(join(dirname(file), m[1])));
}

type Graph = Map<string, string[]>;

const backArrows = (graph: Graph): string[] => [...graph].flatMap(([f, ts]) => ts.filter((t) => (stageOf(t) ?? 99) > (stageOf(f) ?? -1)).map((t) => `${f} → ${t}`));

function loopsOf(graph: Graph): string[] {
  const loops: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') return void loops.push([...path.slice(path.indexOf(f)), f].join(' → '));
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  return loops;
}

describe('the import graph', () => {
  const files = sources('src');
  const graph: Graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t.startsWith('src/'))]));

  it('every module of src/ belongs to a stage', () => {
    expect(files.filter((f) => stageOf(f) === undefined)).toEqual([]);
  });

  it('no import runs back up the pipeline', () => {
    expect(backArrows(graph)).toEqual([]);
  });

  it('no module reaches itself through its imports (dynamic imports included)', () => {
    expect(loopsOf(graph)).toEqual([]);
  });

  it('the checks see a planted back arrow and a planted loop through a dynamic import', () => {
    const planted: Graph = new Map([
      ['src/gaussian/x.ts', ['src/numeric/y.ts']],
      ['src/numeric/y.ts', []],
      ['src/cli/a.ts', ['src/cli/b.ts']],
      ['src/cli/b.ts', ['src/cli/a.ts']],
    ]);
    expect(backArrows(planted)).toEqual(['src/gaussian/x.ts → src/numeric/y.ts']);
    expect(loopsOf(planted)).toEqual(['src/cli/a.ts → src/cli/b.ts → src/cli/a.ts']);
    expect(importsOf('src/cli/program.ts').some((t) => t.endsWith('cli/cluster.ts'))).toBe(true);
  });
});
