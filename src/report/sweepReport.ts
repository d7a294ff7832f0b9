/** Plots and the HTML report of a sweep. */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './plots.ts';
import { page, escapeHtml } from './html.ts';
import type { SweepPoint, SweepFit } from '../studies/sweep.ts';
import { num } from './format.ts';

export async function sweepPlots(points: SweepPoint[]): Promise<{ name: string; svg: string }[]> {
  // a point that never escaped is drawn at its horizon (steps = --max-steps) with an open marker
  const horizonOf = (p: SweepPoint) => (p.steps !== null && Number.isFinite(p.steps) ? p.steps : (p.horizonSteps ?? null));
  const drawn = points.filter((p) => horizonOf(p) !== null);
  const status = (p: SweepPoint) => (p.steps !== null && Number.isFinite(p.steps) ? 'escaped' : 'not escaped (at the horizon)');
  const steps = drawn.map((p) => {
    const s = horizonOf(p) as number;
    return { nb: p.nb, steps: s, q1: p.stepsQ1 ?? s, q3: p.stepsQ3 ?? s, series: `d=${p.d}, ${p.loss}`, method: p.method, status: status(p) };
  });
  const samples = drawn.map((p) => ({ d: p.d, samples: (horizonOf(p) as number) * p.nb, series: `n_b=${p.nbLabel}, ${p.loss}`, method: p.method, status: status(p) }));
  const x = (field: string, title: string) => ({ field, type: 'quantitative' as const, title, scale: { type: 'log' as const } });
  // map, ODE and simulation differ in line style and marker shape; escaped points are filled
  const legends = { legend: { labelLimit: 0 } };
  const styled = (y: string, title: string) => ({
    x: y === 'steps' ? x('nb', 'n_b') : x('d', 'd'),
    y: { field: y, type: 'quantitative' as const, title, scale: { type: 'log' as const } },
    color: { field: 'series', type: 'nominal' as const, title: '', ...legends },
    strokeDash: { field: 'method', type: 'nominal' as const, title: 'method', ...legends },
    shape: { field: 'method', type: 'nominal' as const, title: 'method', ...legends },
  });
  const points2 = (y: string, title: string) => [
    { transform: [{ filter: "datum.status === 'escaped'" }], mark: { type: 'point' as const, size: 60, filled: true }, encoding: styled(y, title) },
    { transform: [{ filter: "datum.status !== 'escaped'" }], mark: { type: 'point' as const, size: 90, filled: false }, encoding: styled(y, title) },
  ];
  return [
    {
      name: 'steps.svg',
      svg: await renderSvg({
        width: 520,
        height: 320,
        title: 'steps to escape against n_b (median, quartiles for simulations; open markers: not escaped by the horizon)',
        data: { values: steps },
        layer: [
          { mark: { type: 'rule' }, encoding: { x: x('nb', 'n_b'), y: { field: 'q1', type: 'quantitative', scale: { type: 'log' } }, y2: { field: 'q3' }, color: { field: 'series', type: 'nominal', title: '', ...legends } } },
          { mark: { type: 'line' }, encoding: styled('steps', 'steps') },
          ...points2('steps', 'steps'),
        ],
      } as TopLevelSpec),
    },
    {
      name: 'samples.svg',
      svg: await renderSvg({
        width: 520,
        height: 320,
        title: 'samples to escape against the dimension',
        data: { values: samples },
        layer: [
          { mark: { type: 'line' }, encoding: styled('samples', 'samples = n_b·steps') },
          ...points2('samples', 'samples = n_b·steps'),
        ],
      } as TopLevelSpec),
    },
  ];
}

export function sweepReportHtml(name: string, meta: Record<string, unknown>, points: SweepPoint[], fits: SweepFit[], plots: { name: string; svg: string }[]): string {
  const f = (x: number | null | undefined, d = 4) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : num(x, d));
  const rows = points
    .map((p) => `<tr><td>${p.d}</td><td class="name">${escapeHtml(p.nbLabel)} = ${p.nb}</td><td class="name">${p.loss}</td><td class="name">${p.method}${p.engine ? ` (${p.engine})` : ''}</td><td>${f(p.gamma)}</td><td>${f(p.etaBar)}</td><td>${f(p.steps)}</td><td>${p.method === 'sim' ? `${f(p.stepsQ1)}–${f(p.stepsQ3)}` : ''}</td><td>${f(p.samples)}</td><td>${f(p.escapedFraction, 3)}</td></tr>`)
    .join('\n');
  const fitRows = fits.map((x) => `<tr><td class="name">${x.kind}</td><td class="name">${escapeHtml(x.group)}</td><td class="name">${x.loss}</td><td class="name">${x.method}</td><td>${f(x.fit.slope, 4)} ± ${f(x.fit.slopeCI95, 3)}</td><td>${x.fit.n}</td></tr>`).join('\n');
  const body = `
<h1>hermode sweep: ${escapeHtml(name)}</h1>
<p class="meta">${escapeHtml(
    `${meta.file}: ${meta.rate}; escape when ${meta.criterion}; ${meta.seeds} seeds per simulated point; horizon ${meta.horizon} steps; ${points.length} points in ${Number(meta.wallSeconds).toFixed(1)} s${meta.cachedPoints ? ` (${meta.cachedPoints} reused from an earlier run)` : ''}.`,
  )}</p>
<p class="meta">Escape: the first step at which ${escapeHtml(String(meta.criterion))}. Steps = τ/γ, samples = n_b·steps; simulations report the median over seeds (quartiles, fraction escaped within the horizon). Canonical convention: η̄ = γd/n_b.</p>
<h2>Fitted exponents (log–log, 95 % confidence intervals)</h2>
<table><tr><th class="name">fit</th><th class="name">group</th><th class="name">loss</th><th class="name">method</th><th>exponent</th><th>points</th></tr>${fitRows}</table>
${plots.map((p) => `<figure>${p.svg}</figure>`).join('\n')}
<h2>Points</h2>
<table><tr><th>d</th><th class="name">n_b</th><th class="name">loss</th><th class="name">method</th><th>γ</th><th>η̄</th><th>steps</th><th>quartiles (sim)</th><th>samples</th><th>escaped</th></tr>${rows}</table>
`;
  return page(`hermode sweep: ${name}`, body);
}
