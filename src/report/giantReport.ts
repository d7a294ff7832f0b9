/** Plots and the HTML report of `hermode giant` (THEORY §4.3). */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './plots.ts';
import { page, escapeHtml, renderTex } from './html.ts';
import type { GiantReport, GiantCase } from '../studies/giant.ts';
import { num } from './format.ts';

const caseLabel = (r: GiantReport, c: GiantCase) =>
  `${r.cases.some((x) => x.d !== c.d) ? `d = ${c.d}, ` : ''}${r.cases.some((x) => x.kappa !== c.kappa) ? `κ = ${c.kappa}, ` : ''}α = ${num(c.alpha, 4)}`;

export async function giantPlots(r: GiantReport): Promise<{ name: string; svg: string }[]> {
  const out: { name: string; svg: string }[] = [];
  const mRows: Record<string, unknown>[] = [];
  const simRows: Record<string, unknown>[] = [];
  for (const c of r.cases)
    for (let q = 0; q < r.k; q++) {
      const series = `${caseLabel(r, c)}${r.k > 1 ? `, m${q + 1}` : ''}`;
      c.steps.forEach((t, i) => {
        mRows.push({ step: t, m: c.map.m[i][q], series });
        if (c.sim) simRows.push({ step: t, m: c.sim.m[i][q], lo: c.sim.m[i][q] - 2 * c.sim.sem.m[i][q], hi: c.sim.m[i][q] + 2 * c.sim.sem.m[i][q], series });
      });
      if (c.closed) simRows.push({ step: 1, m: c.closed.m[q], lo: c.closed.m[q], hi: c.closed.m[q], series, closed: true });
    }
  const color = { field: 'series', type: 'nominal', title: '', legend: { labelLimit: 0 } };
  const steps = r.cases[0]?.steps.length ?? 1;
  const x = { field: 'step', type: 'quantitative', title: 'step (n fresh samples each)', scale: { domain: [0, steps - 1] }, axis: { tickMinStep: 1 } };
  out.push({
    name: 'm.svg',
    svg: await renderSvg({
      width: 520,
      height: 300,
      title: 'overlap m_r (mean over neurons): map (lines), simulation ± 2 SEM (points), closed form (squares)',
      layer: [
        { data: { values: mRows }, mark: { type: 'line', point: false }, encoding: { x, y: { field: 'm', type: 'quantitative', title: 'm_r' }, color } },
        { data: { values: simRows.filter((v) => !v.closed) }, mark: { type: 'rule' }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
        { data: { values: simRows.filter((v) => !v.closed) }, mark: { type: 'point', filled: true, size: 50 }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'm', type: 'quantitative' }, color } },
        { data: { values: simRows.filter((v) => v.closed) }, mark: { type: 'square', size: 90, filled: false, strokeWidth: 2 }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'm', type: 'quantitative' }, color } },
      ],
    } as TopLevelSpec),
  });
  const rRows: Record<string, unknown>[] = [];
  const rSim: Record<string, unknown>[] = [];
  for (const c of r.cases)
    c.steps.forEach((t, i) => {
      rRows.push({ step: t, risk: c.map.readoutRisk[i], series: caseLabel(r, c) });
      if (c.sim) rSim.push({ step: t, risk: c.sim.readoutRisk[i], series: caseLabel(r, c) });
    });
  const rf = [0, steps - 1].map((t) => ({ step: t, risk: r.randomFeaturesRisk, series: 'random features (step 0)' }));
  out.push({
    name: 'risk.svg',
    svg: await renderSvg({
      width: 520,
      height: 300,
      title: 'population risk with the readout fitted after each step',
      layer: [
        { data: { values: rRows }, mark: { type: 'line' }, encoding: { x, y: { field: 'risk', type: 'quantitative', title: 'risk after readout' }, color } },
        { data: { values: rf }, mark: { type: 'line', strokeDash: [6, 3] }, encoding: { x, y: { field: 'risk', type: 'quantitative' }, color } },
        { data: { values: rSim }, mark: { type: 'point', filled: true, size: 50 }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'risk', type: 'quantitative' }, color } },
      ],
    } as TopLevelSpec),
  });
  return out;
}

export function giantReportHtml(r: GiantReport, plots: { name: string; svg: string }[]): string {
  const f = (x: number) => (Number.isFinite(x) ? num(x, 5) : '—');
  const c = r.constants;
  const eq = (t: string) => `<div class="eq">${renderTex(t)}</div>`;
  const tables = r.cases
    .map((cs) => {
      const head = ['step', ...Array.from({ length: r.k }, (_, q) => [`m${q + 1} map`, ...(cs.sim ? [`m${q + 1} sim ± SEM`] : [])]).flat(), 'Q_jl map', ...(cs.sim ? ['Q_jl sim'] : []), 'risk readout map', ...(cs.sim ? ['risk readout sim'] : [])];
      const rows = cs.steps.map((t, i) => {
        const cells = [String(t)];
        for (let q = 0; q < r.k; q++) {
          cells.push(f(cs.map.m[i][q]));
          if (cs.sim) cells.push(`${f(cs.sim.m[i][q])} ± ${num(cs.sim.sem.m[i][q], 2)}`);
        }
        cells.push(f(cs.map.qOff[i]));
        if (cs.sim) cells.push(f(cs.sim.qOff[i]));
        cells.push(f(cs.map.readoutRisk[i]));
        if (cs.sim) cells.push(`${f(cs.sim.readoutRisk[i])} ± ${num(cs.sim.sem.readoutRisk[i], 2)}`);
        return `<tr>${cells.map((x) => `<td>${escapeHtml(x)}</td>`).join('')}</tr>`;
      });
      const closed = cs.closed ? `<p>Closed form, step 1: m = (${cs.closed.m.map(f).join(', ')}), Q_jl = ${f(cs.closed.qOff)}.</p>` : '';
      return `<h2>${escapeHtml(caseLabel(r, cs))}: d = ${cs.d}, n = ${cs.n} samples per step</h2>${closed}
<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>
${rows.join('\n')}
</table>`;
    })
    .join('\n');
  const body = `
<h1>hermode giant: ${escapeHtml(r.name)}</h1>
<p class="meta">p = ${r.p} neurons, k = ${r.k} teacher directions, ${escapeHtml(r.loss)} loss, projected steps of the first layer with n = α d^κ fresh samples each (time unit: steps), γ = ${escapeHtml(String(r.meta.gamma))}; start ${escapeHtml(String(r.meta.init))}; expectations: ${escapeHtml(r.expectations)}; simulation: ${escapeHtml(String(r.meta.engine))} engine, ${r.meta.seeds} seeds (mean ± SEM).</p>
<p>The first step in the giant limit (THEORY §4.3), with α = n/d:</p>
${eq(String.raw`m^1_r = \frac{c_1(\sigma)\,\beta_r}{\sqrt{c_1(\sigma)^2\|\beta\|^2 + \mathbb{E}[\sigma'(x)^2]\,\mathbb{E}[y^2]/\alpha}},\qquad Q^1_{jl} = \frac{c_1^2\|\beta\|^2 + c_1^2\,\mathbb{E}[y^2]/\alpha}{c_1^2\|\beta\|^2 + \mathbb{E}[\sigma'^2]\,\mathbb{E}[y^2]/\alpha},\qquad \beta_r = \mathbb{E}[g^*(\nu)\,\nu_r]`)}
${eq(String.raw`c_1(\sigma) = ${f(c.c1)},\quad c_2(\sigma) = ${f(c.c2)},\quad \mathbb{E}[\sigma'^2] = ${f(c.dsigma2)},\quad \beta = (${c.beta.map(f).join(', ')}),\quad \mathbb{E}[y] = ${f(c.meanY)},\quad \mathbb{E}[y^2] = ${f(c.meanY2)}`)}
${r.closedFormNote ? `<p class="meta">Closed form not shown: ${escapeHtml(r.closedFormNote)}.</p>` : ''}
<p>Readout fitted at population level after each step, the first layer frozen:</p>
${eq(String.raw`\varepsilon(a) = \tfrac12\big(\mathbb{E}[y^2] + \Delta\big) - \tfrac1p a^\top s + \tfrac1{2p^2} a^\top K a,\quad s_j = \mathbb{E}[\sigma(\lambda_j)\,y],\ K_{jl} = \mathbb{E}[\sigma(\lambda_j)\sigma(\lambda_l)],\quad a^* = p\,(K + p^2\lambda I)^{+} s`)}
<p>Random features (the start, readout fitted): risk ${f(r.randomFeaturesRisk)}.</p>
${r.warnings.map((w) => `<p class="fail">warning: ${escapeHtml(w)}</p>`).join('\n')}
${plots.map((p) => `<figure>${p.svg}</figure>`).join('\n')}
${tables}
`;
  return page(`hermode giant: ${r.name}`, body);
}
