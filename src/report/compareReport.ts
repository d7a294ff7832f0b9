/** The comparison report: model, equations (KaTeX), agreement table, plots. */
import type { Derivation } from '../pipeline.ts';
import type { Agreement } from '../compare/compare.ts';
import { page, documentBody, escapeHtml } from './html.ts';
import { num } from './format.ts';

export function compareReportHtml(d: Derivation, agreement: Agreement, meta: Record<string, unknown>, plots: { title: string; svg: string }[]): string {
  const m = meta as any;
  const rows = agreement.entries
    .map(
      (e) =>
        `<tr><td class="name">${escapeHtml(e.entry)}</td><td>${num(e.maxDiff, 4)}</td><td>${num(e.maxSem, 4)}</td><td>${num(e.maxZ, 3)}</td><td class="${e.pass ? 'pass' : 'fail'}">${e.pass ? 'pass' : `fail at τ = ${num(e.worstTau, 4)}`}</td></tr>`,
    )
    .join('\n');
  const verdict = agreement.pass
    ? `<p class="pass">Theory and simulation agree: every entry within 3·SEM + c/√d (c = ${agreement.c}, allowance ${num(agreement.allowance, 3)}).</p>`
    : `<p class="fail">Theory and simulation disagree: ${agreement.entries.filter((e) => !e.pass).length} entr${agreement.entries.filter((e) => !e.pass).length === 1 ? 'y' : 'ies'} outside 3·SEM + c/√d (c = ${agreement.c}).</p>`;
  const body = `
<h1>hermode compare: ${escapeHtml(d.model.name)}</h1>
<p class="meta">d = ${m.d}, n_b = ${m.nb}, γ = ${num(m.gamma)}, η̄ = γd/n_b = ${num(m.eta_bar)}, ${m.seeds.length} seeds, ${m.engine} simulator; teacher: ${escapeHtml(String(m.teacher))};
start: ${escapeHtml(String(m.init))}. ODE from the simulations' mean initial overlaps (${escapeHtml(d.plan.label)}).
Convention: canonical; time τ = γ·steps, samples = n_b·steps.</p>
${verdict}
<table><tr><th class="name">entry</th><th>max |ODE − mean|</th><th>max SEM</th><th>max z</th><th>check</th></tr>
${rows}
</table>
${plots.map((p) => `<figure>${p.svg}</figure>`).join('\n')}
<h2>The equations</h2>
${documentBody(d.doc).replace(/^<h1>.*?<\/h1>/, '')}
`;
  return page(`hermode compare: ${d.model.name}`, body);
}
