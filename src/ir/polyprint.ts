/**
 * Printing polynomials: IR by a multivariate Horner scheme (fewest multiplications, canonical variable
 * order so output is deterministic), LaTeX as a sum of monomials with exact coefficients.
 */
import type { Coef } from '../symbolic/coef.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { add, mul, num, rat, type Expr as IrExpr, type Stmt } from './ir.ts';
import { Poly, type Term } from '../symbolic/poly.ts';

/** A coefficient as an IR literal: exact rationals with small numerator and denominator, else a float. */
export function coefIr(c: Coef): IrExpr {
  const r = c.asRational();
  if (r && r.n <= BigInt(Number.MAX_SAFE_INTEGER) && -r.n <= BigInt(Number.MAX_SAFE_INTEGER) && r.d <= BigInt(Number.MAX_SAFE_INTEGER)) return rat(Number(r.n), Number(r.d));
  return num(c.toNumber());
}

/**
 * Horner form with every large coefficient polynomial bound to a temporary first (`let h1 = …;`),
 * so that a long polynomial prints as a few readable lines instead of one deeply nested expression.
 */
export function polyToStatements(poly: Poly, vars: IrExpr[], maxNodes = 24): { stmts: Stmt[]; value: IrExpr } {
  const stmts: Stmt[] = [];
  let n = 0;
  const bind = (e: IrExpr): IrExpr => {
    if (size(e) <= maxNodes) return e;
    const name = `h${++n}`;
    stmts.push({ k: 'let', name, type: 'f64', init: e });
    return { k: 'var', name };
  };
  const go = (terms: Term[], from: number): IrExpr => {
    if (terms.length === 0) return num(0);
    let v = -1;
    for (let i = from; i < vars.length && v < 0; i++) if (terms.some((t) => t.exps[i] > 0)) v = i;
    if (v < 0) return coefIr(terms[0].c);
    const groups = new Map<number, Term[]>();
    for (const t of terms) groups.set(t.exps[v], [...(groups.get(t.exps[v]) ?? []), t]);
    const exps = [...groups.keys()].sort((a, b) => b - a);
    let out: IrExpr = num(0);
    for (let i = 0; i < exps.length; i++) {
      const inner = bind(go(groups.get(exps[i]) as Term[], v + 1));
      out = i === 0 ? inner : add(mul(out, powOf(vars[v], exps[i - 1] - exps[i])), inner);
    }
    const last = exps[exps.length - 1];
    if (last > 0) out = mul(out, powOf(vars[v], last));
    return out;
  };
  const value = go(poly.terms(), 0);
  return { stmts, value };
}

/** Number of nodes of an expression (a measure of how long it prints). */
function size(e: IrExpr): number {
  switch (e.k) {
    case 'bin':
      return 1 + size(e.a) + size(e.b);
    case 'neg':
    case 'pow':
      return 1 + size(e.a);
    case 'call':
      return 1 + e.args.reduce((s, a) => s + size(a), 0);
    default:
      return 1;
  }
}

const powOf = (x: IrExpr, m: number): IrExpr => (m === 1 ? x : { k: 'pow', a: x, n: m });

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
