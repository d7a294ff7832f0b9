/**
 * Python 3, standard library only (`math`), no global mutable state. Exported functions whose last
 * parameter is an output array return a new list instead (`moments(y, params) -> list`,
 * `rhs(t, y, params) -> list`); inputs may be any sequence (lists, tuples, NumPy arrays).
 */
import type { BinOp, Const, Fn, Module, Stmt } from './ir.ts';
import { withRuntime } from './runtime.ts';
import { Printer, fmt17, type KnownFunction, type PrecTable } from './print.ts';

const m1 = (name: string): KnownFunction => ({ arity: 1, print: (a) => `math.${name}(${a[0]})` });

export const PY_KNOWN: Record<string, KnownFunction> = Object.fromEntries([
  ...['sqrt', 'exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'atanh', 'erf', 'erfc', 'floor', 'ceil'].map((n) => [n, m1(n)]),
  ['abs', m1('fabs')],
  ['cbrt', { arity: 1, print: (a: string[]) => `math.copysign(abs(${a[0]}) ** (1.0 / 3.0), ${a[0]})` }],
  ['sign', { arity: 1, print: (a: string[]) => `(0.0 if ${a[0]} == 0 else math.copysign(1.0, ${a[0]}))` }],
  ['atan2', { arity: 2, print: (a: string[]) => `math.atan2(${a[0]}, ${a[1]})` }],
  ['pow', { arity: 2, print: (a: string[]) => `math.pow(${a[0]}, ${a[1]})` }],
  ['min', { arity: 2, print: (a: string[]) => `min(${a[0]}, ${a[1]})` }],
  ['max', { arity: 2, print: (a: string[]) => `max(${a[0]}, ${a[1]})` }],
  ['isfinite', { arity: 1, print: (a: string[]) => `math.isfinite(${a[0]})` }],
]);

const PREC: PrecTable = { cond: 1, '||': 2, '&&': 3, '|': 4, '&': 6, '==': 5, '!=': 5, '<': 5, '>': 5, '<=': 5, '>=': 5, '<<': 7, '+': 9, '-': 9, '*': 10, '/': 10, unary: 11, postfix: 12, atom: 13 };

export class PyPrinter extends Printer {
  readonly known = PY_KNOWN;
  readonly prec = PREC;
  readonly indentUnit = '    ';

  floatLiteral(x: number): string {
    const s = fmt17(x);
    return /[.eEn]/.test(s) ? s : `${s}.0`;
  }
  ratLiteral(n: number, d: number): string {
    return `(${n} / ${d})`;
  }
  opText(op: BinOp): string {
    return op === '&&' ? 'and' : op === '||' ? 'or' : op;
  }
  notText(a: string): string {
    return `(not ${a})`;
  }
  condText(c: string, a: string, b: string): string {
    return `${a} if ${c} else ${b}`;
  }
  powText(a: string, n: number, atomic: boolean): string {
    return atomic && n <= 4 ? Array(n).fill(a).join(' * ') : `${a} ** ${n}`;
  }
  override continuation(indent: string): string {
    return ` \\\n${indent}${this.indentUnit}`;
  }

  stmt(s: Stmt, ind: string): string[] {
    const e = (x: Parameters<Printer['expr']>[0]) => this.wrap(this.expr(x), ind);
    switch (s.k) {
      case 'let':
        return [`${ind}${s.name} = ${e(s.init)}`];
      case 'array':
        return [`${ind}${s.name} = [${s.type === 'int' ? '0' : '0.0'}] * ${s.size}`];
      case 'set':
        return [`${ind}${s.name} ${s.op} ${e(s.value)}`];
      case 'store':
        return [`${ind}${s.arr}[${this.expr(s.i)}] ${s.op} ${e(s.value)}`];
      case 'for': {
        const from = this.expr(s.from);
        const range = from === '0' ? `range(${this.expr(s.to)})` : `range(${from}, ${this.expr(s.to)})`;
        return [`${ind}for ${s.v} in ${range}:`, ...this.block(s.body, ind + '    ')];
      }
      case 'if': {
        const out = [`${ind}if ${this.expr(s.c)}:`, ...this.block(s.then, ind + '    ')];
        let els = s.else;
        while (els.length === 1 && els[0].k === 'if') {
          const inner = els[0];
          out.push(`${ind}elif ${this.expr(inner.c)}:`, ...this.block(inner.then, ind + '    '));
          els = inner.else;
        }
        if (els.length) out.push(`${ind}else:`, ...this.block(els, ind + '    '));
        return out;
      }
      case 'do':
        return [`${ind}${this.expr(s.e)}`];
      case 'break':
      case 'continue':
        return [`${ind}${s.k}`];
      case 'return':
        return [s.value ? `${ind}return ${e(s.value)}` : `${ind}return`];
      case 'comment':
        return s.text.split('\n').map((l) => `${ind}# ${l}`);
    }
  }

  private block(list: Stmt[], ind: string): string[] {
    const out = this.stmts(list, ind);
    return out.length ? out : [`${ind}pass`];
  }

  fn(f: Fn): string {
    const lines = [`def ${this.callName(f.name)}(${f.params.map((p) => p.name).join(', ')}):`];
    if (f.doc) lines.push(`    """${f.doc.replace(/\\/g, '\\\\').split('\n').join('\n    ')}"""`);
    lines.push(...this.block(f.body, '    '));
    const last = f.params[f.params.length - 1];
    if (!(f.exported && last?.out && f.outSize !== undefined)) return lines.join('\n');
    // the public function returns its output as a new list
    const args = f.params.slice(0, -1).map((p) => p.name);
    lines.push('', '', `def ${f.name}(${args.join(', ')}):`);
    if (f.doc) lines.push(`    """${f.doc.replace(/\\/g, '\\\\').split('\n').join('\n    ')} Returns a list."""`);
    lines.push(`    ${last.name} = [0.0] * ${f.outSize}`, `    _${f.name}(${[...args, last.name].join(', ')})`, `    return ${last.name}`);
    return lines.join('\n');
  }

  /** Exported functions keep their name; kernel functions and the list-returning ones' bodies get `_`. */
  override callName(fn: string): string {
    return this.exportedNames.has(fn) ? fn : `_${fn}`;
  }
  private exportedNames = new Set<string>();

  constant(c: Const): string {
    const doc = c.doc ? `# ${c.doc}\n` : '';
    const vals = c.values.map((x) => (c.type === 'int' ? String(x) : this.floatLiteral(x)));
    const body = vals.length > 4 ? `\n    ${chunk(vals, 4).map((r) => r.join(', ')).join(',\n    ')},\n` : `${vals.join(', ')}${vals.length === 1 ? ',' : ''}`;
    return `${doc}_${c.name} = (${body})`;
  }

  module(module: Module): string {
    const m = { ...module, functions: withRuntime(module.functions, (n) => n in this.known) };
    this.exportedNames = new Set(m.functions.filter((f) => f.exported && f.outSize === undefined).map((f) => f.name));
    this.constNames = new Set(m.constants.map((c) => c.name));
    const parts: string[] = [];
    parts.push(m.header.map((l) => `# ${l}`).join('\n'));
    parts.push('import math');
    const decl: string[] = [];
    for (const [k, val] of Object.entries(m.sizes)) decl.push(`${k} = ${val}`);
    decl.push(`STATE_NAMES = ${JSON.stringify(m.stateNames)}`);
    decl.push(`PARAM_NAMES = ${JSON.stringify(m.paramNames)}`);
    decl.push(`DEFAULT_PARAMS = [${m.defaultParams.map((x) => this.floatLiteral(x)).join(', ')}]`);
    for (const [name, rec] of Object.entries(m.records)) decl.push(`${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()} = ${pyDict(rec)}`);
    parts.push(decl.join('\n'));
    if (m.constants.length) parts.push(m.constants.map((c) => this.constant(c)).join('\n'));
    parts.push(...m.functions.map((f) => this.fn(f)));
    return parts.join('\n\n\n') + '\n';
  }

  /** Array constants are module-level tuples named with a leading underscore, indexed or passed whole. */
  override exprP(e: Parameters<Printer['exprP']>[0]): [string, number] {
    if (e.k === 'idx' && this.constNames.has(e.arr)) return [`_${e.arr}[${this.expr(e.i)}]`, this.prec.postfix];
    // a constant array passed whole (an argument of a kernel function)
    if (e.k === 'var' && this.constNames.has(e.name)) return [`_${e.name}`, this.prec.postfix];
    return super.exprP(e);
  }
  private constNames = new Set<string>();
}

function pyDict(rec: Record<string, string | number | boolean>): string {
  const val = (x: string | number | boolean) => (typeof x === 'boolean' ? (x ? 'True' : 'False') : JSON.stringify(x));
  return `{\n${Object.entries(rec).map(([k, x]) => `    ${JSON.stringify(k)}: ${val(x)},`).join('\n')}\n}`;
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
