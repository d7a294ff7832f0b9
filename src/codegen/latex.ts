/**
 * The derived equations as a document: a list of prose and display equations that prints as a
 * standalone LaTeX file (generated/X.tex) and as KaTeX-rendered HTML. Constants stay exact where the
 * expectation stage knows them (rationals, surds, 2/π in the erf closed forms).
 */
import { REGULARISERS } from '../regularisers/index.ts';
import type { Model } from '../hermite/model.ts';
import type { ExpectationPlan, Template } from '../gaussian/plan.ts';
import { overlapSystem, groupedTex } from './overlapTex.ts';
import { backendOf } from '../backends/registry.ts';
import type { BackendDef } from '../backends/types.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { headerLines } from './module.ts';
import type { Equations, Equation, SExpr, Ix, Lhs } from '../ode/equations.ts';
import { lossNamed, residualTex, type Loss } from '../loss/index.ts';

export type Block = { kind: 'text'; text: string } | { kind: 'heading'; text: string } | { kind: 'equation'; tex: string };

export interface TexDocument {
  title: string;
  blocks: Block[];
}

const txt = (text: string): Block => ({ kind: 'text', text });
const eq = (tex: string): Block => ({ kind: 'equation', tex });
const h = (text: string): Block => ({ kind: 'heading', text });

export function equationsDocument(eqs: Equations): TexDocument {
  const { model, plan } = eqs;
  const { p, k } = model;
  const loss = lossNamed(model.loss);
  const blocks: Block[] = [];
  const sigma = model.student.expr.toTex();
  blocks.push(h('Model'));
  blocks.push(
    txt(
      `Two-layer student with p = ${p} hidden units trained by online ${model.dynamics} SGD on Gaussian inputs z ~ N(0, I_d), ` +
        `${loss.title} loss, label-noise variance Δ. Canonical convention: λ_j = w_j·z, ν_r = w*_r·z, ` +
        `η̄ = γd/n_b, τ = γ·steps, samples = τd/η̄.`,
    ),
  );
  blocks.push(eq(`f(z)=\\frac{1}{p}\\sum_{j=1}^{p}a_j\\,\\sigma(\\lambda_j),\\qquad \\sigma(z)=${sigma}`));
  if (model.target.kind === 'committee') {
    const w = model.target.weights;
    const unit = w.every((x) => x === 1);
    blocks.push(
      eq(
        `y=\\frac{1}{k}\\sum_{r=1}^{k}${unit ? '' : 'w_r\\,'}g(\\nu_r)+\\sqrt{\\Delta}\\,\\xi,\\qquad g(z)=${model.target.g.expr.toTex()},\\qquad k=${k}` +
          (unit ? '' : `,\\quad w=(${w.map(fmt17).join(',')})`),
      ),
    );
  } else {
    blocks.push(eq(`y=g^*(\\nu)+\\sqrt{\\Delta}\\,\\xi,\\qquad g^*(\\nu)=${model.target.expr.toTex()},\\qquad k=${k}`));
  }
  blocks.push(
    txt(
      `Overlaps Q = WWᵀ, M = WW*ᵀ, P = W*W*ᵀ; the local fields (λ, ν) are Gaussian with covariance Ω = [[Q, M], [Mᵀ, P]]. ` +
        `Expectations: ${plan.label}.`,
    ),
  );
  blocks.push(h('Overlap equations'));
  for (const e of eqs.rhs) blocks.push(eq(equationTex(e)));
  const explicit = overlapSystem(eqs);
  if (explicit) {
    blocks.push(h('The same equations in the overlaps'));
    blocks.push(txt(`Every expectation is an exact polynomial, so the right-hand side is written out at p = ${p}, k = ${k}, with ${explicit.assumptions.join('; ')}.`));
    for (const x of explicit.equations) blocks.push(eq(`${x.lhs} = ${breakLong(groupedTex(explicit, x.poly).join(' '), `${x.lhs} = `)}`));
  } else if (eqs.moments.kind === 'templates' && eqs.templates.every((t) => t.poly))
    blocks.push(txt('Every expectation below is an exact polynomial in the covariance entries; written out in the overlaps at this p and k the right-hand side would be too long to read, so it is left as the sums above.'));
  else if (eqs.moments.kind === 'templates')
    blocks.push(txt('The expectations below are not polynomials in the overlaps; they stay as functions of the covariance of 2 to 4 fields (plus the k teacher fields for a general target), read from Ω.'));
  const backend = backendOf(plan.backend);
  if (eqs.moments.kind === 'whole') {
    blocks.push(...definitionsByExpectation(loss));
    if (backend.tex.whole) {
      blocks.push(txt(backend.tex.whole.text));
      for (const x of backend.tex.whole.eqs) blocks.push(eq(x));
    }
  } else {
    for (const e of eqs.moments.equations) if (e.lhs !== 'S' || model.trainSecondLayer) blocks.push(eq(equationTex(e)));
    blocks.push(eq(equationTex(eqs.moments.risk)));
  }
  const T = plan.templates;
  if (Object.keys(T).length) {
    blocks.push(h('Expectations'));
    blocks.push(txt('Each function takes the covariance C of its arguments (u₁, u₂, …), read from Ω; coincident arguments are allowed.' + (backend.tex.intro?.(plan) ?? '')));
    for (const t of backend.tex.kernels?.(plan) ?? []) blocks.push(eq(t));
    for (const t of Object.values(T)) blocks.push(eq(templateTex(t, backend)));
  }
  if (plan.notes.length) {
    blocks.push(h('Notes'));
    for (const n of plan.notes) blocks.push(txt(n));
  }
  return { title: `hermode: ${model.name}`, blocks };
}

// ---- the indexed equations as LaTeX ----

const LHS_TEX: Record<Lhs, (ix: string[]) => string> = {
  dM: (ix) => `\\frac{dM_{${ix.join('')}}}{d\\tau}`,
  dQ: (ix) => `\\frac{dQ_{${ix.join('')}}}{d\\tau}`,
  da: (ix) => `\\frac{da_{${ix.join('')}}}{d\\tau}`,
  A: (ix) => `A_{${ix.join('')}}`,
  B: (ix) => `B_{${ix.join('')}}`,
  V: (ix) => `V_{${ix.join('')}}`,
  S: (ix) => `S_{${ix.join('')}}`,
  r: (ix) => `r_{${ix.join('')}}`,
  eps: () => `\\varepsilon`,
};

const ixTex = (i: Ix): string => (typeof i === 'number' ? String(i + 1) : i.replace(/^(\w)2$/, "$1'"));

/** One equation of the value as LaTeX: left-hand side, right-hand side printed from the same tree. */
export function equationTex(e: Equation): string {
  const ix = e.domain.map((d) => ixTex(d.ix));
  return `${LHS_TEX[e.lhs](ix)} = ${breakLong(sexprTex(e.rhs), `${LHS_TEX[e.lhs](ix)} = `)}`;
}

const PAR_TEX: Record<string, string> = { eta_bar: '\\bar\\eta', Delta: '\\Delta', kappa: '\\kappa', ...Object.fromEntries(REGULARISERS.map((r) => [r.param.name, r.param.tex])) };

function sexprTex(e: SExpr): string {
  switch (e.k) {
    case 'num':
      return e.v === 0.5 ? '\\frac12' : fmt17(e.v);
    case 'par':
      return PAR_TEX[e.name];
    case 'dim':
      return e.name;
    case 'el':
      return `${e.sym}_{${e.ix.map(ixTex).join('')}}`;
    case 'add': {
      let out = '';
      e.terms.forEach((t, i) => {
        if (t.k === 'neg') out += ` - ${sexprTex(t.a)}`;
        else out += i === 0 ? sexprTex(t) : ` + ${sexprTex(t)}`;
      });
      return out.startsWith(' - ') ? `-${out.slice(3)}` : out;
    }
    case 'neg':
      return `-${factorTex(e.a)}`;
    case 'div':
      return `\\frac{${sexprTex(e.a)}}{${sexprTex(e.b)}}`;
    case 'mul': {
      // repeated factors as powers: (a_j/p)(a_j/p) → (a_j/p)^2
      const parts: string[] = [];
      for (let i = 0; i < e.fs.length; ) {
        let j = i + 1;
        while (j < e.fs.length && JSON.stringify(e.fs[j]) === JSON.stringify(e.fs[i])) j++;
        const f = factorTex(e.fs[i]);
        parts.push(j - i > 1 ? `\\Big(${f}\\Big)^{${j - i}}` : f);
        i = j;
      }
      return parts.join('\\,');
    }
    case 'sum': {
      const ix = e.ix.map(ixTex).join(',');
      return `\\sum_{${ix}=1}^{${e.over}}${factorTex(e.body)}`;
    }
    case 'tmpl': {
      const fields = e.fields.map((f) => `${f.f === 'lambda' ? '\\lambda' : '\\nu'}_{${ixTex(f.i)}}`).join(',');
      return `${texName(e.name)}(${fields}${e.allNu ? ';\\nu' : ''})`;
    }
  }
}

/** A factor of a product: sums get brackets. */
function factorTex(e: SExpr): string {
  return e.k === 'add' ? `\\Big(${sexprTex(e)}\\Big)` : sexprTex(e);
}

function definitionsByExpectation(loss: Loss): Block[] {
  const e = residualTex(loss);
  return [
    eq(`A_{jr} = \\mathbb{E}[\\sigma'(\\lambda_j)\\,\\nu_r\\,${e}],\\quad B_{jl} = \\mathbb{E}[\\sigma'(\\lambda_j)\\,\\lambda_l\\,${e}],\\quad V_{jl} = \\mathbb{E}[\\sigma'(\\lambda_j)\\sigma'(\\lambda_l)\\,${e}^2] + \\Delta\\,\\mathbb{E}[\\sigma'(\\lambda_j)\\sigma'(\\lambda_l)]`),
    eq(`S_j = \\mathbb{E}[\\sigma(\\lambda_j)\\,${e}],\\qquad \\varepsilon = \\tfrac12\\,\\mathbb{E}[(y-f)^2] + \\tfrac{\\Delta}{2}`),
  ];
}

export function texName(name: string): string {
  const m = /^(I2|I3|I4|J2|T0|TS|T3|T4g|T4s)(.*)$/.exec(name);
  if (!m) return name;
  const sup = m[2]
    .split('')
    .map((c) => (c === 's' ? '{\\sigma}' : c))
    .join('');
  const base: Record<string, string> = { I2: 'I_2', I3: 'I_3', I4: 'I_4', J2: 'J_2', T0: 'T_0', TS: 'T_S', T3: 'T_3', T4g: 'T_{4g}', T4s: 'T_{4s}' };
  return sup ? `${base[m[1]]}^{${sup}}` : base[m[1]];
}

function templateTex(t: Template, backend: BackendDef): string {
  const name = texName(t.name);
  const def = t.tex;
  const x = backend.tex.template?.(t);
  if (!x) return `${name} = ${def}`;
  if ('remark' in x) return `${name} = ${def}${x.remark}`;
  return `${name} = ${def} = ${x.long ? breakLong(x.rhs, `${name} = ${def} = `) : x.rhs}`;
}

/** Splits a long sum into lines of an aligned block so it stays readable. */
function breakLong(body: string, lead = ''): string {
  const terms = splitTopLevel(body);
  // the lines of an aligned block all start after the left-hand side (`lead`)
  const room = Math.max(200, LINE_WIDTH_PT - texWidth(lead));
  if (terms.length <= 1 || texWidth(body) <= room) return body;
  const lines: string[] = [];
  let cur = '';
  for (const t of terms) {
    const next = cur ? `${cur} ${t}` : t;
    if (cur && texWidth(next) > room) {
      lines.push(cur);
      cur = t;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  if (lines.length === 1) return body;
  // no [t] placement: KaTeX does not know it and prints it literally
  return `\\begin{aligned}&${lines.join('\\\\&')}\\end{aligned}`;
}

/** Text width with 2 cm margins (A4 and letter) is ~480 pt; lines are packed to a little less. */
const LINE_WIDTH_PT = 430;

/** Splits a sum at its top-level + and − (outside braces, brackets and parentheses). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    // \big( … \big) may span lines of an aligned block; other brackets may not
    const sized = (c === '(' || c === ')') && s.slice(Math.max(0, i - 4), i) === '\\big';
    if (sized) continue;
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (depth === 0 && c === ' ' && (s[i + 1] === '+' || s[i + 1] === '-') && s[i + 2] === ' ' && i > start) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.filter((x) => x.trim() !== '');
}

/**
 * A conservative estimate of the typeset width of math in points (10 pt Computer Modern): glyphs
 * 5.8 pt, binary operators with their spacing 12 pt, scripts at 70 %, a fraction as wide as its wider
 * part; used to break long sums before they run into the margin.
 */
function texWidth(s: string): number {
  let i = 0;
  const group = (): string => {
    // s[i] === '{'
    let depth = 0;
    const from = i;
    for (; i < s.length; i++) {
      if (s[i] === '{') depth++;
      else if (s[i] === '}' && --depth === 0) {
        i++;
        return s.slice(from + 1, i - 1);
      }
    }
    return s.slice(from + 1);
  };
  const arg = (): number => {
    while (s[i] === ' ') i++;
    if (s[i] === '{') return texWidth(group());
    if (s[i] === '\\') {
      const m = /^\\[A-Za-z]+/.exec(s.slice(i));
      i += m ? m[0].length : 2;
      return 5.8;
    }
    i++;
    return 5.8;
  };
  let w = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i)) as RegExpExecArray;
      const name = m[1];
      i += m[0].length;
      if (name === 'frac' || name === 'tfrac' || name === 'dfrac') {
        const a = arg();
        const b = arg();
        w += (name === 'tfrac' ? 0.7 : 1) * Math.max(a, b) + 2;
      } else if (name === 'mathrm' || name === 'operatorname' || name === 'text' || name === 'mathbb') w += arg();
      else if (['left', 'right', 'big', 'Big', 'bigg', 'Bigg', 'begin', 'end'].includes(name)) {
        if (name === 'begin' || name === 'end') arg();
        else w += 4;
      } else if (name === ',' || name === ';') w += 2.5;
      else if (name === 'quad') w += 10;
      else if (name === 'qquad') w += 20;
      else if (name === '\\') w += 0;
      else if (['sum', 'prod', 'int'].includes(name)) w += 11;
      else if (['cdot', 'times', 'le', 'ge', 'neq', 'to', 'in'].includes(name)) w += 12;
      else if (['bar', 'hat', 'tilde', 'dot'].includes(name)) {
        /* an accent over the next glyph */
      } else w += 6;
    } else if (c === '_' || c === '^') {
      i++;
      w += 0.7 * arg();
    } else if (c === '{') w += texWidth(group());
    else if (c === '}' || c === '&') i++;
    else if (c === ' ') i++;
    else if (c === '+' || c === '-' || c === '=' || c === '<' || c === '>') {
      w += 12;
      i++;
    } else if (c === ',' || c === ';' || c === '.') {
      w += 3;
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']' || c === '|') {
      w += 4;
      i++;
    } else {
      w += 5.8;
      i++;
    }
  }
  return w;
}

/**
 * The document as LaTeX: a standalone article, or with `fragment` a snippet to \\input into a paper
 * (no preamble; it needs amsmath and amssymb, and its headings are \\paragraph).
 */
export function documentToTex(doc: TexDocument, model: Model, plan: ExpectationPlan, outDir = 'generated', fragment = false): string {
  const out: string[] = [headerLines(model, plan, outDir).map((l) => `% ${l}`).join('\n')];
  if (fragment) {
    out.push('% An includable fragment: \\input it in a document that loads amsmath and amssymb.');
    for (const b of doc.blocks) {
      if (b.kind === 'heading') out.push(`\\paragraph{${escapeTex(b.text)}}`);
      else if (b.kind === 'text') out.push(escapeTex(b.text) + '\n');
      else out.push(`\\begin{equation*}\n${b.tex}\n\\end{equation*}`);
    }
    return out.join('\n') + '\n';
  }
  out.push('\\documentclass{article}');
  out.push('\\usepackage{amsmath,amssymb}');
  out.push('\\usepackage[margin=2cm]{geometry}');
  out.push('\\allowdisplaybreaks');
  out.push('\\begin{document}');
  out.push(`\\section*{${escapeTex(doc.title)}}`);
  for (const b of doc.blocks) {
    if (b.kind === 'heading') out.push(`\\subsection*{${escapeTex(b.text)}}`);
    else if (b.kind === 'text') out.push(escapeTex(b.text) + '\n');
    else out.push(`\\begin{equation*}\n${b.tex}\n\\end{equation*}`);
  }
  out.push('\\end{document}');
  return out.join('\n') + '\n';
}

/** Unicode in prose → LaTeX that pdflatex accepts (the CLI keeps the Unicode). */
const UNICODE_TEX: [string, string][] = [
  ['η̄', '\\bar\\eta'],
  ['σ̃', '\\tilde\\sigma '],
  ['ᵀ', '^{\\top}'],
  ['·', '\\cdot '],
  ['…', '\\dots '],
  ['√', '\\surd '],
  ['≤', '\\le '],
  ['≥', '\\ge '],
  ['≠', '\\neq '],
  ['≈', '\\approx '],
  ['→', '\\to '],
  ['−', '-'],
  ['′', "'"],
  ['‖', '\\|'],
  ['²', '^2'],
  ['³', '^3'],
  ['½', '\\tfrac12'],
  ['×', '\\times '],
  ['Σ', '\\sum '],
  ['Π', '\\prod '],
  ['∞', '\\infty '],
  ['∈', '\\in '],
  ['¼', '\\tfrac14'],
  ['⅛', '\\tfrac18'],
  ['ℝ', '\\mathbb{R}'],
  ['₀', '_0'],
  ['₁', '_1'],
  ['₂', '_2'],
  ['₃', '_3'],
  ['₄', '_4'],
  ...[
    ['α', 'alpha'], ['β', 'beta'], ['γ', 'gamma'], ['δ', 'delta'], ['ε', 'varepsilon'], ['η', 'eta'], ['θ', 'theta'], ['κ', 'kappa'],
    ['λ', 'lambda'], ['μ', 'mu'], ['ν', 'nu'], ['ξ', 'xi'], ['π', 'pi'], ['ρ', 'rho'], ['σ', 'sigma'], ['τ', 'tau'], ['φ', 'varphi'], ['ζ', 'zeta'],
    ['Δ', 'Delta'], ['Φ', 'Phi'], ['Ω', 'Omega'],
  ].map(([u, name]) => [u, `\\${name} `] as [string, string]),
];

function escapeTex(s: string): string {
  // words with a sub- or superscript (λ_j, w*_r·z, n_b, I_d, d^{-1/2}) are mathematics: typeset them as such
  return s
    .split(/(\s+)/)
    .map((word) => (/[_^]/.test(word) ? mathWord(word) : proseWord(word)))
    .join('');
}

/** A prose word, with TeX's special characters escaped and Unicode mathematics in \ensuremath. */
function proseWord(s: string): string {
  let out = s
    .replace(/\\/g, '\\textbackslash{}')
    .replace(/([#$%&_{}])/g, '\\$1')
    .replace(/~/g, '\\ensuremath{\\sim}')
    .replace(/—/g, '---')
    .replace(/’/g, "'")
    .replace(/§/g, 'Sec. ')
    .replace(/–/g, '--');
  for (const [u, tex] of UNICODE_TEX) out = out.split(u).join(`\\ensuremath{${tex}}`);
  return out;
}

/** A word of mathematics in prose (its trailing punctuation stays prose): w*_r·z → $w^*_r\cdot z$. */
function mathWord(word: string): string {
  const m = /^(.*?)([.,;:)]*)$/.exec(word) as RegExpExecArray;
  let body = m[1].replace(/\*_/g, '^*_').replace(/_([A-Za-z0-9]{2,})/g, '_{$1}');
  for (const [u, tex] of UNICODE_TEX) body = body.split(u).join(tex);
  return `\\ensuremath{${body}}${m[2]}`;
}
