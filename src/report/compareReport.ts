/** The comparison report: model, equations (KaTeX), agreement table, plots. */
import type { Derivation } from '../pipeline.ts';
import { checkDescription, inconclusiveAdvice, type Agreement } from '../compare/compare.ts';
import { page, documentBody, escapeHtml } from './html.ts';
import { num } from './format.ts';

export function compareReportHtml(d: Derivation, agreement: Agreement, meta: Record<string, unknown>, plots: { title: string; svg: string }[]): string {
  const m = meta as any;
  const rows = agreement.entries
    .map(
      (e) =>
        e.constrained
          ? `<tr><td class="name">${escapeHtml(e.entry)}</td><td>${num(e.maxDiff, 4)}</td><td>${num(e.maxSem, 4)}</td><td>—</td><td>—</td><td>not checked (constrained: ${escapeHtml(e.constrained)})</td><td>—</td></tr>`
          : `<tr><td class="name">${escapeHtml(e.entry)}</td><td>${num(e.maxDiff, 4)}</td><td>${num(e.maxSem, 4)}</td><td>${num(e.maxZ, 3)}</td><td>${num(e.worstExcess, 3)} at τ = ${num(e.worstTau, 4)}</td><td class="${e.pass ? 'pass' : 'fail'}">${e.pass ? 'pass' : 'fail'}</td><td>${num(e.resolution, 3)}</td></tr>`,
    )
    .join('\n');
  const failing = agreement.entries.filter((e) => !e.pass).length;
  const said = { pass: 'Theory and simulation agree', fail: `Theory and simulation disagree in ${failing} entr${failing === 1 ? 'y' : 'ies'}`, inconclusive: 'Inconclusive' }[agreement.verdict];
  const verdict = `<p class="${agreement.verdict === 'pass' ? 'pass' : 'fail'}">${said}: the check is ${escapeHtml(checkDescription(agreement))}.${agreement.verdict === 'inconclusive' ? ` ${escapeHtml(inconclusiveAdvice(agreement))}.` : ''}</p>`;
  const body = `
<h1>hermode compare: ${escapeHtml(d.model.name)}</h1>
<p class="meta">d = ${m.d}, ${m.rules ? escapeHtml(String(m.rules)) : `n_b = ${m.nb}, γ = ${num(m.gamma)}, η̄ = γd/n_b = ${num(m.eta_bar)}`}, ${m.seeds.length} seeds, ${m.engine} simulator; teacher: ${escapeHtml(String(m.teacher))};
start: ${escapeHtml(String(m.init))}. ODE from the simulations' mean initial overlaps (${escapeHtml(d.plan.label)}).
Convention: canonical; ${m.rules ? 'under the rules each step advances τ by γ_t and draws n_b(t) samples: the ODE is integrated in steps and compared at equal step counts, the clock (τ, samples, γ, n_b) with it; the plots are against steps' : 'time τ = γ·steps, samples = n_b·steps'}.${m.discard ? ` Samples with ½e² ≤ ${m.discard.q} are discarded.` : ''}</p>
${verdict}
<table><tr><th class="name">entry</th><th>max |ODE − mean|</th><th>max SEM</th><th>max z</th><th>worst (|ODE − mean| − b)/SEM</th><th>check</th><th>moved / tolerance</th></tr>
${rows}
</table>
${plots.map((p) => `<figure>${p.svg}</figure>`).join('\n')}
<h2>The equations</h2>
${documentBody(d.doc).replace(/^<h1>.*?<\/h1>/, '')}
`;
  return page(`hermode compare: ${d.model.name}`, body);
}
