/**
 * The page's plot as a vega-lite spec: the ODE's entries of one family (risk, M, Q or a) as lines
 * against τ, α = samples/d, steps or samples, and a simulation's seed means as points with ±SEM bars
 * at their own recorded times. Pure data → spec; the page renders it to SVG with vega.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Trajectory } from '../numeric/trajectory.ts';
import type { PlaygroundSimulation } from './session.ts';

export type Axis = 'tau' | 'alpha' | 'steps' | 'samples';
export type Family = 'risk' | 'M' | 'Q' | 'a';

export const AXES: Record<Axis, string> = { tau: 'τ = γ·steps', alpha: 'α = samples/d', steps: 'SGD steps', samples: 'samples' };
export const FAMILIES: Record<Family, string> = { risk: 'population risk ε', M: 'student–teacher overlaps M_jr', Q: 'student overlaps Q_jl', a: 'second layer a_j' };

/** The axes a trajectory has (α needs a constant rate; steps and samples a batch size). */
export function axesOf(t: Trajectory): Axis[] {
  return (['tau', 'alpha', 'steps', 'samples'] as Axis[]).filter((a) => a === 'tau' || xOf(t, a) !== undefined);
}

function xOf(t: { tau: number[]; alpha?: number[]; steps?: number[]; samples?: number[] }, axis: Axis): number[] | undefined {
  if (axis === 'tau') return t.tau;
  if (axis === 'alpha') return t.alpha;
  return t[axis];
}

/** Entries of a family at one recorded state, with their names (M_1_2, Q_1_1 with j ≤ l, a_1). */
function entries(family: Family, at: { risk: number[]; M: number[][][]; Q: number[][][]; a: number[][] }, i: number): [string, number][] {
  if (family === 'risk') return [['ε', at.risk[i]]];
  if (family === 'a') return at.a[i].map((v, j) => [`a_${j + 1}`, v]);
  if (family === 'M') return at.M[i].flatMap((row, j) => row.map((v, r) => [`M_${j + 1}_${r + 1}`, v] as [string, number]));
  return at.Q[i].flatMap((row, j) => row.map((v, l) => [`Q_${j + 1}_${l + 1}`, v] as [string, number]).filter((_, l) => l >= j));
}

/** The plot of one family against one axis; `sim` (optional) adds its seed means ± SEM. */
export function plotSpec(traj: Trajectory, family: Family, axis: Axis, sim?: PlaygroundSimulation, name = ''): TopLevelSpec {
  const xs = xOf(traj, axis) ?? traj.tau;
  const shown: Axis = xOf(traj, axis) ? axis : 'tau';
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < traj.tau.length; i++) for (const [entry, value] of entries(family, traj, i)) rows.push({ x: xs[i], entry, kind: 'ODE', value });
  if (sim) {
    const simX = shown === 'alpha' ? sim.samples.map((s) => s / sim.d) : shown === 'tau' ? sim.tau : sim[shown];
    for (let i = 0; i < sim.steps.length; i++) {
      const sem = entries(family, sim.sem, i);
      entries(family, sim.mean, i).forEach(([entry, value], e) => rows.push({ x: simX[i], entry, kind: 'simulation', value, lo: value - sem[e][1], hi: value + sem[e][1] }));
    }
  }
  const x = { field: 'x', type: 'quantitative' as const, title: AXES[shown] };
  const color = { field: 'entry', type: 'nominal' as const, title: 'entry' };
  const y = { field: 'value', type: 'quantitative' as const, title: family === 'risk' ? 'ε' : family, scale: { zero: false } };
  const isSim = [{ filter: "datum.kind === 'simulation'" }];
  const layer: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    { transform: [{ filter: "datum.kind === 'ODE'" }], mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, y, color } },
  ];
  if (sim)
    layer.push(
      { transform: isSim, mark: { type: 'rule', strokeWidth: 1.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
      { transform: isSim, mark: { type: 'point', filled: true, size: 26 }, encoding: { x, y, color } },
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 600,
    height: 320,
    title: { text: `${name ? `${name}: ` : ''}${FAMILIES[family]}`, subtitle: sim ? `ODE (lines); reduced simulation at d = ${sim.d}, ${sim.seeds.length} seeds: mean ± SEM (points)` : 'ODE (d → ∞)' },
    data: { values: rows },
    layer,
  } as TopLevelSpec;
}
