/**
 * Printing IR: one base class with a method per node kind and precedence-based parentheses; each
 * language (print-ts.ts, print-py.ts, print-c.ts) supplies its table of known functions, its
 * literals and its statement syntax. Long sums are broken one term per line.
 */
import type { Expr, Fn, Module, Stmt, Const, BinOp, Scalar } from './ir.ts';

export interface KnownFunction {
  arity: number;
  print: (args: string[]) => string;
}

/** Binding strength of an operator (higher binds tighter). */
export type PrecTable = Record<BinOp | 'cond' | 'unary' | 'postfix' | 'atom', number>;

/** A float as the shortest decimal that reads back exactly (at most 17 significant digits). */
export function fmt17(x: number): string {
  if (Object.is(x, -0)) return '0';
  const short = String(x);
  if (Number(short) === x) return short;
  return x.toPrecision(17);
}

const LINE = 100;

export abstract class Printer {
  abstract readonly known: Record<string, KnownFunction>;
  abstract readonly prec: PrecTable;
  abstract readonly indentUnit: string;

  abstract floatLiteral(x: number): string;
  abstract ratLiteral(n: number, d: number): string;
  abstract opText(op: BinOp): string;
  abstract notText(a: string): string;
  abstract condText(c: string, a: string, b: string): string;
  abstract powText(a: string, n: number, atomic: boolean): string;
  abstract callName(fn: string): string;
  abstract module(m: Module): string;

  /** An expression with the parentheses its context needs. */
  expr(e: Expr, ctx = 0): string {
    const [s, p] = this.exprP(e);
    return p < ctx ? `(${s})` : s;
  }

  /** An expression and its precedence. */
  exprP(e: Expr): [string, number] {
    const P = this.prec;
    switch (e.k) {
      case 'num':
        return e.v < 0 ? [this.floatLiteral(e.v), P.unary] : [this.floatLiteral(e.v), P.atom];
      case 'int':
        return [String(e.v), e.v < 0 ? P.unary : P.atom];
      case 'rat':
        return [this.ratLiteral(e.n, e.d), P.atom];
      case 'var':
        return [e.name, P.atom];
      case 'idx':
        return [`${e.arr}[${this.expr(e.i)}]`, P.postfix];
      case 'neg':
        return [`-${this.expr(e.a, P.unary + 1)}`, P.unary];
      case 'not':
        return [this.notText(this.expr(e.a, P.unary)), P.unary];
      case 'bitnot':
        return [`~${this.expr(e.a, P.unary)}`, P.unary];
      case 'pow': {
        const atomic = this.exprP(e.a)[1] >= P.postfix;
        return [this.powText(this.expr(e.a, P.postfix), e.n, atomic), atomic && e.n <= 4 ? P['*'] : P.unary];
      }
      case 'call': {
        const args = e.args.map((a) => this.expr(a));
        const k = this.known[e.fn];
        if (k) return [k.print(args), P.postfix];
        return [`${this.callName(e.fn)}(${args.join(', ')})`, P.postfix];
      }
      case 'cond':
        return [this.condText(this.expr(e.c, P.cond + 1), this.expr(e.a, P.cond + 1), this.expr(e.b, P.cond)), P.cond];
      case 'bin': {
        const p = P[e.op];
        // left-associative: the right operand of - and / (and of any non-commutative op) needs a tighter context
        const bitwise = e.op === '&' || e.op === '|' || e.op === '<<';
        const leftCtx = bitwise ? P.postfix : p;
        const rightCtx = bitwise ? P.postfix : e.op === '-' || e.op === '/' || p <= P['=='] ? p + 1 : p;
        const right = this.expr(e.b, rightCtx);
        // a + -9 * x prints as a - 9 * x (the unary minus belongs to the first factor only)
        if (e.op === '+' && right.startsWith('-') && !right.startsWith('--')) return [`${this.expr(e.a, leftCtx)} - ${right.slice(1)}`, p];
        // bitwise operators bind differently in C, Python and TypeScript: always parenthesised when nested
        return [`${this.expr(e.a, leftCtx)} ${this.opText(e.op)} ${right}`, bitwise ? 0.5 : p];
      }
    }
  }

  /**
   * A long expression broken for reading: first after its top-level + and − (about one term per
   * line), then any piece still too long after the commas of its outermost argument list.
   */
  wrap(text: string, indent: string): string {
    if (text.length <= LINE) return text;
    const parts = splitAt(text, (c, i, t) => (c === '+' || c === '-') && t[i - 1] === ' ' && t[i + 1] === ' ', 0, true);
    const pieces = parts.map((p) => (p.length > LINE ? splitAt(p, (c) => c === ',', 1, false).join(`,${this.continuation(indent)}`) : p));
    return pieces.join(this.continuation(indent));
  }

  /** What goes between two wrapped pieces of one expression. */
  continuation(indent: string): string {
    return `\n${indent}${this.indentUnit}`;
  }

  stmts(list: Stmt[], indent: string): string[] {
    const out: string[] = [];
    for (const s of list) out.push(...this.stmt(s, indent));
    return out;
  }

  abstract stmt(s: Stmt, indent: string): string[];
  abstract fn(f: Fn): string;
  abstract constant(c: Const): string;
}

/**
 * Statements of the brace languages (TypeScript, C): they differ only in how a local, a local array,
 * a loop variable and a comment are declared.
 */
export abstract class BracePrinter extends Printer {
  abstract declareLocal(name: string, type: Scalar, init: string): string;
  abstract declareArray(name: string, type: Scalar, size: number): string;
  abstract loopVariable(v: string): string;
  abstract commentLine(text: string): string;

  stmt(s: Stmt, ind: string): string[] {
    const e = (x: Expr) => this.wrap(this.expr(x), ind);
    const inner = ind + this.indentUnit;
    switch (s.k) {
      case 'let':
        return [`${ind}${this.declareLocal(s.name, s.type, e(s.init))};`];
      case 'array':
        return [`${ind}${this.declareArray(s.name, s.type, s.size)};`];
      case 'set':
        return [`${ind}${s.name} ${s.op} ${e(s.value)};`];
      case 'store':
        return [`${ind}${s.arr}[${this.expr(s.i)}] ${s.op} ${e(s.value)};`];
      case 'for':
        return [`${ind}for (${this.loopVariable(s.v)} = ${this.expr(s.from)}; ${s.v} < ${this.expr(s.to, this.prec['<'] + 1)}; ${s.v}++) {`, ...this.stmts(s.body, inner), `${ind}}`];
      case 'if': {
        const out = [`${ind}if (${this.expr(s.c)}) {`, ...this.stmts(s.then, inner)];
        if (s.else.length === 1 && s.else[0].k === 'if') {
          const [first, ...rest] = this.stmt(s.else[0], ind);
          out.push(`${ind}} else ${first.trimStart()}`, ...rest);
          return out;
        }
        if (s.else.length) out.push(`${ind}} else {`, ...this.stmts(s.else, inner));
        out.push(`${ind}}`);
        return out;
      }
      case 'do':
        return [`${ind}${this.expr(s.e)};`];
      case 'break':
      case 'continue':
        return [`${ind}${s.k};`];
      case 'return':
        return [s.value ? `${ind}return ${e(s.value)};` : `${ind}return;`];
      case 'comment':
        return s.text.split('\n').map((l) => `${ind}${this.commentLine(l)}`);
    }
  }
}

/**
 * Splits `text` at the characters `at` accepts when they stand at parenthesis depth `depth`; with
 * `keep` the character starts the next piece (an operator), otherwise it is dropped with the space
 * after it (a comma).
 */
function splitAt(text: string, at: (c: string, i: number, t: string) => boolean, depth: number, keep: boolean): string[] {
  const parts: string[] = [];
  let d = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') d++;
    else if (c === ')' || c === ']' || c === '}') d--;
    else if (d === depth && i > start + 1 && at(c, i, text)) {
      if (keep) {
        parts.push(text.slice(start, i - 1));
        start = i;
      } else {
        parts.push(text.slice(start, i));
        start = i + 2;
      }
    }
  }
  parts.push(text.slice(start));
  return parts;
}
