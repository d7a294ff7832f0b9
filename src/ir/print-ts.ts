/**
 * TypeScript (and, untyped, plain JavaScript for in-process evaluation): `Math.*` for known
 * functions; erf/erfc, which `Math` lacks, come from the module's kernel functions. Local arrays are
 * allocated once at module level, so the exported functions allocate nothing.
 */
import type { BinOp, Const, Fn, Module, Stmt, Param, Scalar } from './ir.ts';
import { withRuntime } from './runtime.ts';
import { BracePrinter, fmt17, type KnownFunction, type PrecTable } from './print.ts';

const m1 = (name: string): KnownFunction => ({ arity: 1, print: (a) => `Math.${name}(${a[0]})` });

export const TS_KNOWN: Record<string, KnownFunction> = Object.fromEntries([
  ...['sqrt', 'exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'atanh', 'cbrt', 'floor', 'ceil', 'sign'].map((n) => [n, m1(n)]),
  ['abs', m1('abs')],
  ['atan2', { arity: 2, print: (a: string[]) => `Math.atan2(${a[0]}, ${a[1]})` }],
  ['pow', { arity: 2, print: (a: string[]) => `Math.pow(${a[0]}, ${a[1]})` }],
  ['min', { arity: 2, print: (a: string[]) => `Math.min(${a[0]}, ${a[1]})` }],
  ['max', { arity: 2, print: (a: string[]) => `Math.max(${a[0]}, ${a[1]})` }],
  ['isfinite', { arity: 1, print: (a: string[]) => `Number.isFinite(${a[0]})` }],
]);

const PREC: PrecTable = { cond: 1, '||': 2, '&&': 3, '|': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '+': 9, '-': 9, '*': 10, '/': 10, unary: 11, postfix: 12, atom: 13 };

export class TsPrinter extends BracePrinter {
  readonly known = TS_KNOWN;
  readonly prec = PREC;
  readonly indentUnit = '  ';
  private scratch: string[] = [];

  /** typed: TypeScript; untyped: JavaScript whose body returns the module object (for `new Function`). */
  constructor(private readonly typed = true) {
    super();
  }

  floatLiteral(x: number): string {
    return fmt17(x);
  }
  ratLiteral(n: number, d: number): string {
    return `(${n} / ${d})`;
  }
  opText(op: BinOp): string {
    return op === '==' ? '===' : op === '!=' ? '!==' : op;
  }
  notText(a: string): string {
    return `!${a}`;
  }
  condText(c: string, a: string, b: string): string {
    return `${c} ? ${a} : ${b}`;
  }
  powText(a: string, n: number, atomic: boolean): string {
    return atomic && n <= 4 ? Array(n).fill(a).join(' * ') : `${a} ** ${n}`;
  }
  callName(fn: string): string {
    return fn;
  }

  private t(type: string): string {
    return this.typed ? type : '';
  }

  declareLocal(name: string, _type: Scalar, init: string): string {
    return `${this.assigned.has(name) ? 'let' : 'const'} ${name} = ${init}`;
  }
  /** local arrays are allocated once per module, so exported functions allocate nothing */
  declareArray(name: string, type: Scalar, size: number): string {
    const global = `${this.currentFn}_${name}`;
    this.scratch.push(`const ${global} = new ${type === 'int' ? 'Int32Array' : 'Float64Array'}(${size});`);
    return `const ${name} = ${global}`;
  }
  loopVariable(v: string): string {
    return `let ${v}`;
  }
  commentLine(text: string): string {
    return `// ${text}`;
  }

  private currentFn = '';
  private assigned = new Set<string>();

  private paramText(p: Param): string {
    if (!this.typed) return p.name;
    const type = p.type === 'f64' || p.type === 'int' ? 'number' : p.out ? 'Float64Array | number[]' : 'ArrayLike<number>';
    return `${p.name}: ${type}`;
  }

  fn(f: Fn): string {
    this.currentFn = f.name;
    this.assigned = assignedNames(f.body);
    const ret = this.typed ? `: ${f.ret === 'void' ? 'void' : 'number'}` : '';
    const doc = f.doc ? `/** ${f.doc.split('\n').join('\n * ')} */\n` : '';
    const head = `${doc}${f.exported && this.typed ? 'export ' : ''}function ${f.name}(${f.params.map((p) => this.paramText(p)).join(', ')})${ret} {`;
    return [head, ...this.stmts(f.body, '  '), '}'].join('\n');
  }

  constant(c: Const): string {
    const doc = c.doc ? `/** ${c.doc} */\n` : '';
    const vals = c.values.map(fmt17);
    const rows: string[] = [];
    for (let i = 0; i < vals.length; i += 4) rows.push(vals.slice(i, i + 4).join(', '));
    return `${doc}const ${c.name} = [${vals.length > 4 ? `\n  ${rows.join(',\n  ')},\n` : vals.join(', ')}];`;
  }

  module(module: Module): string {
    const m = { ...module, functions: withRuntime(module.functions, (n) => n in this.known) };
    this.scratch = [];
    const parts: string[] = [];
    if (this.typed) parts.push(m.header.map((l) => `// ${l}`).join('\n'));
    const exp = this.typed ? 'export ' : '';
    const decl: string[] = [];
    for (const [name, rec] of Object.entries(m.records)) decl.push(`${exp}const ${name} = ${JSON.stringify(rec, null, 2)}${this.typed ? ' as const' : ''};`);
    decl.push(`${exp}const stateNames${this.t(': readonly string[]')} = ${JSON.stringify(m.stateNames)};`);
    decl.push(`${exp}const paramNames${this.t(': readonly string[]')} = ${JSON.stringify(m.paramNames)};`);
    decl.push(`${exp}const defaultParams${this.t(': readonly number[]')} = [${m.defaultParams.map(fmt17).join(', ')}];`);
    parts.push(decl.join('\n'));
    if (m.constants.length) parts.push(m.constants.map((c) => this.constant(c)).join('\n'));
    const fns = m.functions.map((f) => this.fn(f));
    if (this.scratch.length) parts.push(`// scratch, allocated once\n${this.scratch.join('\n')}`);
    parts.push(...fns);
    if (!this.typed) {
      const names = [...Object.keys(m.records), 'stateNames', 'paramNames', 'defaultParams', ...m.functions.filter((f) => f.exported).map((f) => f.name)];
      parts.push(`return { ${names.join(', ')} };`);
    }
    return parts.join('\n\n') + '\n';
  }
}

function assignedNames(body: Stmt[]): Set<string> {
  const out = new Set<string>();
  const walk = (list: Stmt[]): void => {
    for (const s of list) {
      if (s.k === 'set') out.add(s.name);
      else if (s.k === 'for') walk(s.body);
      else if (s.k === 'if') {
        walk(s.then);
        walk(s.else);
      }
    }
  };
  walk(body);
  return out;
}
