/**
 * HTML pages with equations rendered by KaTeX on the server side: the page needs only KaTeX's CSS
 * and fonts, which are copied into a `katex/` folder beside it, so it renders offline.
 */
import katex from 'katex';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TexDocument } from '../codegen/latex.ts';

const require = createRequire(import.meta.url);

/** Directory holding katex.min.css and fonts/. */
export function katexDistDir(): string {
  return join(dirname(require.resolve('katex/package.json')), 'dist');
}

export function renderTex(tex: string, display = true): string {
  return katex.renderToString(tex, { displayMode: display, throwOnError: false, output: 'html', strict: 'ignore', maxSize: 50, maxExpand: 10000 });
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const PAGE_CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 1.6em; }
.eq { overflow-x: auto; overflow-y: hidden; padding: .2em 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f5f5f5; }
td.name, th.name { text-align: left; }
.fail { color: #b00020; font-weight: 600; }
.pass { color: #0a6e2b; font-weight: 600; }
.meta { color: #555; font-size: .92em; }
figure { margin: 1em 0; }
`;

/** A standalone page; `body` is HTML. */
export function page(title: string, body: string, katexHref = 'katex/katex.min.css'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${katexHref}">
<style>${PAGE_CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function documentBody(doc: TexDocument): string {
  const out: string[] = [`<h1>${escapeHtml(doc.title)}</h1>`];
  for (const b of doc.blocks) {
    if (b.kind === 'heading') out.push(`<h2>${escapeHtml(b.text)}</h2>`);
    else if (b.kind === 'text') out.push(`<p>${escapeHtml(b.text)}</p>`);
    else out.push(`<div class="eq">${renderTex(b.tex)}</div>`);
  }
  return out.join('\n');
}
