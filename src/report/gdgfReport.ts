/** Plots and the HTML report of the gradient-descent/gradient-flow study. */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './plots.ts';
import { page, escapeHtml, renderTex } from './html.ts';
import type { GdgfReport } from '../studies/gdgf.ts';
import { num } from './format.ts';
import { maxOf, minOf } from '../extrema.ts';

const label = (eta: number | null) => (eta === null ? 'flow' : `η = ${eta}`);

export async function gdgfPlots(r: GdgfReport): Promise<{ name: string; svg: string }[]> {
  const out: { name: string; svg: string }[] = [];
  // 1. final sharpness against η, with the flow's value and the stability bound 2/η
  const desc = r.runs.filter((x) => x.method === 'descent');
  const etas = desc.map((x) => x.eta as number);
  const lo = minOf(etas) * 0.9;
  const hi = maxOf(etas) * 1.05;
  const rows: Record<string, unknown>[] = [];
  for (const x of desc) {
    if (x.status === 'converged' && x.sharpness !== null) rows.push({ eta: x.eta, value: x.sharpness, series: 'descent: measured' });
    if (x.sharpnessFormula !== null) rows.push({ eta: x.eta, value: x.sharpnessFormula, series: 'descent: product formula' });
  }
  const bound: Record<string, unknown>[] = [];
  for (let i = 0; i <= 60; i++) {
    const e = lo + ((hi - lo) * i) / 60;
    bound.push({ eta: e, value: 2 / e, series: 'stability bound 2/η' });
    if (r.lambdaGF !== null) bound.push({ eta: e, value: r.lambdaGF, series: 'flow: λ_GF' });
  }
  const series = { field: 'series', type: 'nominal', title: '', legend: { labelLimit: 0 }, scale: { domain: ['descent: measured', 'descent: product formula', 'flow: λ_GF', 'stability bound 2/η'] } };
  const yMax = maxOf(rows.map((x) => x.value as number), Math.max(r.lambdaGF ?? 0, 2.5)) * 1.15;
  const boundShown = bound.filter((x) => (x.value as number) <= yMax);
  out.push({
    name: 'sharpness.svg',
    svg: await renderSvg({
      width: 520,
      height: 300,
      title: 'final sharpness (largest Hessian eigenvalue) against the step size η',
      layer: [
        {
          data: { values: boundShown },
          mark: { type: 'line', clip: true },
          encoding: {
            x: { field: 'eta', type: 'quantitative', title: 'η' },
            y: { field: 'value', type: 'quantitative', title: 'sharpness', scale: { domain: [0, yMax] } },
            color: series,
            // the two reference curves are dashed, and the legend says which is which
            strokeDash: { field: 'series', type: 'nominal', title: '', legend: { labelLimit: 0 }, scale: { domain: ['descent: measured', 'descent: product formula', 'flow: λ_GF', 'stability bound 2/η'], range: [[1, 0], [1, 0], [6, 3], [2, 2]] } },
          },
        },
        { data: { values: rows }, mark: { type: 'point', filled: true, size: 70, clip: true }, encoding: { x: { field: 'eta', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color: series } },
      ],
    } as TopLevelSpec),
  });
  // 2. loss against steps, log scale
  const lossRows: Record<string, unknown>[] = [];
  // steps on a log axis (t ≥ 1): runs that converge in tens of steps and runs that stop at the step
  // bound share the plot instead of the fast ones being squeezed against t = 0
  for (const x of desc) for (const p of x.trace) if (p.t >= 1 && p.loss > 0 && Number.isFinite(p.loss) && p.loss < 1e6) lossRows.push({ t: p.t, loss: p.loss, run: label(x.eta) });
  out.push({
    name: 'loss.svg',
    svg: await renderSvg({
      width: 520,
      height: 300,
      title: 'gradient descent: loss against steps',
      data: { values: lossRows },
      mark: { type: 'line', strokeWidth: 1.2 },
      encoding: { x: { field: 't', type: 'quantitative', title: 'step t', scale: { type: 'log' } }, y: { field: 'loss', type: 'quantitative', title: 'L', scale: { type: 'log' } }, color: { field: 'run', type: 'nominal', title: '', legend: { labelLimit: 0 } } },
    } as TopLevelSpec),
  });
  // 3. trajectories in the (ε, λ) plane
  const planeRows: Record<string, unknown>[] = [];
  for (const x of r.runs)
    x.trace.forEach((p, i) => {
      if (Number.isFinite(p.eps) && Number.isFinite(p.lambda) && Math.abs(p.eps) < 10 && p.lambda < 50) planeRows.push({ eps: p.eps, lambda: p.lambda, run: label(x.eta), order: i });
    });
  out.push({
    name: 'plane.svg',
    svg: await renderSvg({
      width: 520,
      height: 320,
      title: 'trajectories in the (ε, λ) plane, ε = aᵀb − Φ, λ = ‖a‖² + ‖b‖²',
      data: { values: planeRows },
      mark: { type: 'line', point: { size: 10 }, strokeWidth: 1 },
      encoding: { x: { field: 'eps', type: 'quantitative', title: 'ε' }, y: { field: 'lambda', type: 'quantitative', title: 'λ' }, color: { field: 'run', type: 'nominal', title: '' }, order: { field: 'order', type: 'quantitative' } },
    } as TopLevelSpec),
  });
  return out;
}

export function gdgfReportHtml(name: string, r: GdgfReport, plots: { name: string; svg: string }[]): string {
  const f = (x: number | null, d = 6) => (x === null || x === undefined ? '—' : num(x, d));
  const rows = r.runs
    .map(
      (x) => `<tr><td class="name">${x.method === 'flow' ? 'flow' : `η = ${x.eta}`}</td><td class="name">${escapeHtml(x.regime)}</td><td class="${x.status === 'converged' ? 'pass' : 'fail'}">${x.status}</td>
<td>${f(x.finalLoss, 3)}</td><td>${x.method === 'flow' ? `τ = ${f(x.tau, 4)}` : f(x.steps)}</td><td>${f(x.rateMeasured)}</td><td>${f(x.ratePredicted)}</td>
<td>${f(x.sharpness, 9)}</td><td>${f(x.sharpnessFormula, 9)}</td><td>${f(x.parameterNorm, 5)}</td><td>${f(x.imbalanceRatio, 6)}</td><td>${f(x.imbalanceRatioPredicted, 6)}</td></tr>`,
    )
    .join('\n');
  const eq = (t: string) => `<div class="eq">${renderTex(t)}</div>`;
  const body = `
<h1>hermode gdgf: ${escapeHtml(name)}</h1>
<p class="meta">Depth-2 scalar linear network f(x) = (aᵀb)x with a, b ∈ ℝ^${r.h}; loss ½m₂(aᵀb − Φ)² with m₂ = ${f(r.m2)}, Φ = ${f(r.phi)}.
Gradient flow dθ/dτ = −∇L (odex), gradient descent θ ← θ − η∇L, both with the generated gradient and Hessian.</p>
${eq(String.raw`\lambda_{GF} = m_2\sqrt{4\Phi^2 + \|a_0+b_0\|^2\|a_0-b_0\|^2} = ${f(r.lambdaGF, 8)},\qquad \lambda_{GD} = m_2\sqrt{4\Phi^2 + U_0V_0\prod_t (1-\eta^2 m_2^2\varepsilon_t^2)^2}`)}
${eq(String.raw`\text{stable minima need } \eta\,\lambda_\infty < 2:\ \text{none for } \eta > 1/(m_2|\Phi|) = ${f(r.stabilityLimit, 6)};\quad \text{edge of stability } ${r.edgeOfStability ? `${f(r.edgeOfStability[0], 5)} < \\eta < ${f(r.edgeOfStability[1], 5)}` : '\\text{(empty)}'}`)}
<table><tr><th class="name">run</th><th class="name">regime</th><th>status</th><th>final loss</th><th>steps / τ</th><th>rate</th><th>|1 − ηλ∞|</th><th>sharpness</th><th>formula</th><th>‖θ‖</th><th>‖D_T‖/‖D_0‖</th><th>predicted</th></tr>
${rows}
</table>
<p class="meta">Regimes: stable η &lt; 2/λ_GF; edge of stability 2/λ_GF &lt; η &lt; 1/(m₂|Φ|); no stable minimum above. D = aaᵀ − bbᵀ: conserved by the flow, contracted by (1 − η²m₂²ε_t²) per descent step. Rate: median |ε_{t+1}/ε_t| in the linear regime.</p>
${plots.map((p) => `<figure>${p.svg}</figure>`).join('\n')}
`;
  return page(`hermode gdgf: ${name}`, body);
}
