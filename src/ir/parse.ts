/**
 * Kernel source: the runtime helpers that generated code needs (erf closed forms, orthant
 * probabilities, the symmetric square root, the quadrature loop) are written once, in a small subset
 * of TypeScript syntax, and parsed into IR functions that every printer prints:
 *
 *   function name(x: f64, i: int, C: f64[], out: f64[]): f64 { ... }
 *   let x = e;  let i: int = e;  let C: f64[16];   x = e;  x += e;  a[i] = e;  a[i] += e;
 *   for (let i = a; i < b; i++) { ... }   if (c) { ... } else { ... }   return e;  break;  continue;
 *
 * Expressions: numbers (integer literals are `int`, anything with `.` or an exponent is `f64`),
 * names, calls, a[i], unary - ! ~, binary * / + - << < > <= >= == != & | && ||, and c ? a : b.
 * Locals are f64 unless annotated `int`; loop variables are int. Division is never between ints.
 */
import { internal } from '../errors.ts';
import type { Expr, Fn, Param, ParamType, Scalar, Stmt, BinOp } from './ir.ts';

type Tok = { t: 'num'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (src.startsWith('/*', i)) {
      i = src.indexOf('*/', i) + 2;
      continue;
    }
    const num = /^(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[1] });
      i += num[1].length;
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = ['<<', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '++'].find((o) => src.startsWith(o, i)) ?? c;
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  return out;
}

const PREC: Record<string, number> = { '||': 1, '&&': 2, '|': 3, '&': 4, '==': 5, '!=': 5, '<': 6, '>': 6, '<=': 6, '>=': 6, '<<': 7, '+': 8, '-': 8, '*': 9, '/': 9 };

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  private is(v: string): boolean {
    return this.peek()?.v === v;
  }
  private eat(v?: string): Tok {
    const t = this.toks[this.i++];
    if (!t || (v !== undefined && t.v !== v)) throw internal(`kernel source: expected ${v ?? 'a token'}, got ${t?.v ?? 'end'} at token ${this.i}`);
    return t;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }

  fn(): Fn {
    const exported = this.is('export') ? (this.eat(), true) : false;
    this.eat('function');
    const name = this.eat().v;
    this.eat('(');
    const params: Param[] = [];
    while (!this.is(')')) {
      const pname = this.eat().v;
      this.eat(':');
      const type = this.type() as ParamType;
      params.push({ name: pname, type, out: /^out|^dydt$/.test(pname) });
      if (this.is(',')) this.eat(',');
    }
    this.eat(')');
    this.eat(':');
    const ret = this.eat().v as Scalar | 'void';
    return { name, params, ret, body: this.block(), exported };
  }

  private type(): string {
    const base = this.eat().v;
    if (this.is('[')) {
      this.eat('[');
      this.eat(']');
      return `${base}[]`;
    }
    return base;
  }

  private block(): Stmt[] {
    this.eat('{');
    const out: Stmt[] = [];
    while (!this.is('}')) out.push(...this.stmt());
    this.eat('}');
    return out;
  }

  private body(): Stmt[] {
    return this.is('{') ? this.block() : this.stmt();
  }

  private stmt(): Stmt[] {
    const t = this.peek() as Tok;
    if (t.v === 'let' || t.v === 'const') {
      this.eat();
      const name = this.eat().v;
      if (this.is(':')) {
        this.eat(':');
        const base = this.eat().v as Scalar;
        if (this.is('[')) {
          this.eat('[');
          const size = Number(this.eat().v);
          this.eat(']');
          this.eat(';');
          return [{ k: 'array', name, type: base, size }];
        }
        this.eat('=');
        const init = this.expr();
        this.eat(';');
        return [{ k: 'let', name, type: base, init }];
      }
      this.eat('=');
      const init = this.expr();
      this.eat(';');
      return [{ k: 'let', name, type: 'f64', init }];
    }
    if (t.v === 'for') {
      this.eat('for');
      this.eat('(');
      this.eat('let');
      const v = this.eat().v;
      this.eat('=');
      const from = this.expr();
      this.eat(';');
      if (this.eat().v !== v) throw internal('kernel source: for loops test their own variable');
      this.eat('<');
      const to = this.expr();
      this.eat(';');
      if (this.eat().v !== v) throw internal('kernel source: for loops step their own variable');
      this.eat('++');
      this.eat(')');
      return [{ k: 'for', v, from, to, body: this.body() }];
    }
    if (t.v === 'if') {
      this.eat('if');
      this.eat('(');
      const c = this.expr();
      this.eat(')');
      const then = this.body();
      let els: Stmt[] = [];
      if (this.is('else')) {
        this.eat('else');
        els = this.body();
      }
      return [{ k: 'if', c, then, else: els }];
    }
    if (t.v === 'return') {
      this.eat('return');
      if (this.is(';')) {
        this.eat(';');
        return [{ k: 'return' }];
      }
      const value = this.expr();
      this.eat(';');
      return [{ k: 'return', value }];
    }
    if (t.v === 'break' || t.v === 'continue') {
      this.eat();
      this.eat(';');
      return [{ k: t.v }];
    }
    if (this.peek(1)?.v === '(') {
      const e = this.expr();
      this.eat(';');
      return [{ k: 'do', e }];
    }
    // assignment
    const name = this.eat().v;
    if (this.is('[')) {
      this.eat('[');
      const i = this.expr();
      this.eat(']');
      const op = this.eat().v as '=' | '+=' | '-=' | '*=';
      const value = this.expr();
      this.eat(';');
      return [{ k: 'store', arr: name, i, op, value }];
    }
    const op = this.eat().v as '=' | '+=' | '-=' | '*=' | '/=';
    const value = this.expr();
    this.eat(';');
    return [{ k: 'set', name, op, value }];
  }

  expr(): Expr {
    const c = this.binary(1);
    if (this.is('?')) {
      this.eat('?');
      const a = this.expr();
      this.eat(':');
      const b = this.expr();
      return { k: 'cond', c, a, b };
    }
    return c;
  }

  private binary(min: number): Expr {
    let left = this.unary();
    for (;;) {
      const op = this.peek()?.v;
      const p = op !== undefined ? PREC[op] : undefined;
      if (p === undefined || p < min || this.peek()?.t !== 'op') return left;
      this.eat();
      const right = this.binary(p + 1);
      left = { k: 'bin', op: op as BinOp, a: left, b: right };
    }
  }

  private unary(): Expr {
    if (this.is('-')) {
      this.eat();
      const a = this.unary();
      return a.k === 'num' || a.k === 'int' ? { ...a, v: -a.v } : { k: 'neg', a };
    }
    if (this.is('!')) {
      this.eat();
      return { k: 'not', a: this.unary() };
    }
    if (this.is('~')) {
      this.eat();
      return { k: 'bitnot', a: this.unary() };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.eat();
    if (t.t === 'num') return /[.eE]/.test(t.v) ? { k: 'num', v: Number(t.v) } : { k: 'int', v: Number(t.v) };
    if (t.v === '(') {
      const e = this.expr();
      this.eat(')');
      return e;
    }
    if (t.t !== 'id') throw internal(`kernel source: unexpected ${t.v}`);
    if (this.is('(')) {
      this.eat('(');
      const args: Expr[] = [];
      while (!this.is(')')) {
        args.push(this.expr());
        if (this.is(',')) this.eat(',');
      }
      this.eat(')');
      return { k: 'call', fn: t.v, args };
    }
    if (this.is('[')) {
      this.eat('[');
      const i = this.expr();
      this.eat(']');
      return { k: 'idx', arr: t.v, i };
    }
    return { k: 'var', name: t.v };
  }
}

/** Parses kernel source (one or more functions) into IR functions. */
export function parseKernel(src: string): Fn[] {
  const p = new Parser(tokenize(src));
  const out: Fn[] = [];
  while (!p.done()) out.push(p.fn());
  return out;
}
