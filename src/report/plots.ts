/**
 * SVG plots rendered in Node by vega-lite → vega (no browser): theory as lines, simulation as points
 * with ±SEM bands, one panel per overlap family.
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { Series } from '../compare/compare.ts';

export async function renderSvg(spec: vegaLite.TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const TITLES: Record<Series['family'], string> = {
  M: 'student–teacher overlaps M_jr',
  Q: 'student overlaps Q_jl',
  a: 'second layer a_j',
  risk: 'population risk ε',
  clock: 'clock: τ, samples, γ_t, n_b',
};

/** One SVG for a family of entries: ODE lines, simulation means as points with ±SEM bands. */
export async function familyPlot(series: Series[], tau: number[], family: Series['family'], xTitle = 'τ = γ·steps'): Promise<string> {
  const rows: Record<string, unknown>[] = [];
  for (const s of series.filter((x) => x.family === family))
    for (let i = 0; i < tau.length; i++) {
      rows.push({ tau: tau[i], entry: s.entry, kind: 'ODE', value: s.ode[i], ...(s.std ? { lo: s.ode[i] - s.std[i], hi: s.ode[i] + s.std[i] } : {}) });
      rows.push({ tau: tau[i], entry: s.entry, kind: 'simulation', value: s.mean[i], lo: s.mean[i] - s.sem[i], hi: s.mean[i] + s.sem[i] });
    }
  const x = { field: 'tau', type: 'quantitative' as const, title: xTitle };
  const color = { field: 'entry', type: 'nominal' as const, title: 'entry' };
  const sim = [{ filter: "datum.kind === 'simulation'" }];
  const banded = series.some((s) => s.family === family && s.std);
  const spec: vegaLite.TopLevelSpec = {
    width: 560,
    height: 300,
    title: `${TITLES[family]} — ODE (lines${banded ? ', ± the predicted std of one run: dotted' : ''}), simulation mean ± SEM (points, bands)`,
    data: { values: rows },
    layer: [
      ...(banded
        ? [
            { transform: [{ filter: "datum.kind === 'ODE'" }], mark: { type: 'line' as const, strokeDash: [3, 3], strokeWidth: 1 }, encoding: { x, y: { field: 'lo', type: 'quantitative' as const }, color } },
            { transform: [{ filter: "datum.kind === 'ODE'" }], mark: { type: 'line' as const, strokeDash: [3, 3], strokeWidth: 1 }, encoding: { x, y: { field: 'hi', type: 'quantitative' as const }, color } },
          ]
        : []),
      { transform: sim, mark: { type: 'errorband', opacity: 0.3 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: family === 'risk' ? 'ε' : family }, y2: { field: 'hi' }, color } },
      { transform: sim, mark: { type: 'point', filled: true, size: 22 }, encoding: { x, y: { field: 'value', type: 'quantitative' }, color } },
      { transform: [{ filter: "datum.kind === 'ODE'" }], mark: { type: 'line', strokeWidth: 1.6 }, encoding: { x, y: { field: 'value', type: 'quantitative' }, color } },
    ],
  };
  return renderSvg(spec);
}
