/**
 * Printing polynomials: JavaScript by a multivariate Horner scheme (fewest multiplications, canonical
 * variable order so output is deterministic), LaTeX as a sum of monomials with exact coefficients.
 */
import type { Coef } from '../symbolic/coef.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { Poly, type Term } from '../symbolic/poly.ts';

/** A coefficient as a JS literal: integers and p/q exactly, anything else to 17 digits. */
export function coefJs(c: Coef): string {
  const r = c.asRational();
  if (r) return r.isInteger() ? r.n.toString() : `(${r.n}/${r.d})`;
  return `(${fmt17(c.toNumber())})`;
}

function powJs(v: string, m: number): string {
  if (m === 1) return v;
  if (m <= 4) return Array(m).fill(v).join(' * ');
  return `${v} ** ${m}`;
}

/** Horner form of a polynomial as a JS expression in `vars`. */
export function polyToJs(poly: Poly, vars: string[]): string {
  return horner(poly.terms(), vars, 0);
}

function horner(terms: Term[], vars: string[], from: number): string {
  if (terms.length === 0) return '0';
  let v = -1;
  for (let i = from; i < vars.length && v < 0; i++) if (terms.some((t) => t.exps[i] > 0)) v = i;
  if (v < 0) {
    // constant: the terms all have zero exponents from `from` on; there is exactly one
    return coefJs(terms[0].c);
  }
  const groups = new Map<number, Term[]>();
  for (const t of terms) {
    const e = t.exps[v];
    const g = groups.get(e) ?? [];
    g.push(t);
    groups.set(e, g);
  }
  const exps = [...groups.keys()].sort((a, b) => b - a);
  let out = '';
  for (let i = 0; i < exps.length; i++) {
    const inner = horner(groups.get(exps[i]) as Term[], vars, v + 1);
    if (i === 0) out = inner;
    else out = `(${out}) * ${powJs(vars[v], exps[i - 1] - exps[i])} + ${inner}`;
  }
  const last = exps[exps.length - 1];
  if (last > 0) out = exps.length === 1 && out === '1' ? powJs(vars[v], last) : `(${out}) * ${powJs(vars[v], last)}`;
  return out;
}

/** A coefficient in LaTeX: \frac{p}{q}\sqrt{s} for exact parts, 17 digits for the float part. */
export function coefTex(c: Coef): string {
  const parts: string[] = [];
  for (const [s, r] of [...c.exact].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const neg = r.sign() < 0;
    const n = neg ? -r.n : r.n;
    const frac = r.d === 1n ? `${n}` : `\\frac{${n}}{${r.d}}`;
    const rad = s === 1n ? '' : `\\sqrt{${s}}`;
    const body = rad && frac === '1' ? rad : `${frac}${rad}`;
    parts.push(`${neg ? '-' : '+'}${body}`);
  }
  if (c.approx !== 0) parts.push(`${c.approx < 0 ? '-' : '+'}${fmt17(Math.abs(c.approx))}`);
  if (parts.length === 0) return '0';
  let s = parts.join('');
  if (s.startsWith('+')) s = s.slice(1);
  return parts.length > 1 ? `\\left(${s}\\right)` : s;
}

/** Sum of monomials in LaTeX; `vars` are LaTeX names of the variables. */
export function polyToTex(poly: Poly, vars: string[]): string {
  const terms = poly.terms();
  if (terms.length === 0) return '0';
  const out: string[] = [];
  for (const t of terms) {
    const mono = t.exps
      .map((e, i) => (e === 0 ? '' : e === 1 ? vars[i] : `${vars[i]}^{${e}}`))
      .filter(Boolean)
      .join(' ');
    let c = coefTex(t.c);
    const negative = c.startsWith('-');
    if (negative) c = c.slice(1);
    let body: string;
    if (mono === '') body = c;
    else if (c === '1') body = mono;
    else body = `${c}\\,${mono}`;
    out.push(`${negative ? '-' : '+'} ${body}`);
  }
  let s = out.join(' ');
  if (s.startsWith('+ ')) s = s.slice(2);
  return s;
}

export { Poly };
