/**
 * C99 with <math.h> only (-lm), reentrant: no mutable globals, scratch arrays on the stack. Kernel
 * functions are `static`; the exported ones carry the derivation's prefix (N_rhs, N_moments, N_risk)
 * and are declared in the header with N_N_STATE, N_N_PARAMS, N_N_MOMENTS and the name tables.
 */
import { namesIn, type BinOp, type Const, type Fn, type Module, type Param, type Scalar } from './ir.ts';
import { withRuntime } from './runtime.ts';
import { BracePrinter, fmt17, type KnownFunction, type PrecTable } from './print.ts';

const m1 = (name: string): KnownFunction => ({ arity: 1, print: (a) => `${name}(${a[0]})` });

export const C_KNOWN: Record<string, KnownFunction> = Object.fromEntries([
  ...['sqrt', 'exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'atanh', 'erf', 'erfc', 'cbrt', 'floor', 'ceil'].map((n) => [n, m1(n)]),
  ['abs', m1('fabs')],
  ['sign', { arity: 1, print: (a: string[]) => `((${a[0]}) > 0 ? 1.0 : (${a[0]}) < 0 ? -1.0 : 0.0)` }],
  ['atan2', { arity: 2, print: (a: string[]) => `atan2(${a[0]}, ${a[1]})` }],
  ['pow', { arity: 2, print: (a: string[]) => `pow(${a[0]}, ${a[1]})` }],
  ['min', { arity: 2, print: (a: string[]) => `fmin(${a[0]}, ${a[1]})` }],
  ['max', { arity: 2, print: (a: string[]) => `fmax(${a[0]}, ${a[1]})` }],
  ['isfinite', { arity: 1, print: (a: string[]) => `isfinite(${a[0]})` }],
]);

const PREC: PrecTable = { cond: 1, '||': 2, '&&': 3, '|': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '+': 9, '-': 9, '*': 10, '/': 10, unary: 11, postfix: 12, atom: 13 };

export interface CFiles {
  c: string;
  h: string;
}

export class CPrinter extends BracePrinter {
  readonly known = C_KNOWN;
  readonly prec = PREC;
  readonly indentUnit = '    ';
  private prefix = '';
  private exported = new Set<string>();

  floatLiteral(x: number): string {
    if (!Number.isFinite(x)) return x > 0 ? 'HUGE_VAL' : x < 0 ? '(-HUGE_VAL)' : 'NAN';
    const s = fmt17(x);
    return /[.eEn]/.test(s) ? s : `${s}.0`;
  }
  ratLiteral(n: number, d: number): string {
    return `(${n}.0 / ${d}.0)`;
  }
  opText(op: BinOp): string {
    return op;
  }
  notText(a: string): string {
    return `!${a}`;
  }
  condText(c: string, a: string, b: string): string {
    return `${c} ? ${a} : ${b}`;
  }
  powText(a: string, n: number, atomic: boolean): string {
    return atomic && n <= 4 ? Array(n).fill(a).join(' * ') : `pow(${a}, ${n}.0)`;
  }
  callName(fn: string): string {
    return this.exported.has(fn) ? `${this.prefix}_${fn}` : fn;
  }

  declareLocal(name: string, type: Scalar, init: string): string {
    return `${type === 'int' ? 'int' : 'double'} ${name} = ${init}`;
  }
  declareArray(name: string, type: Scalar, size: number): string {
    return `${type === 'int' ? 'int' : 'double'} ${name}[${size}] = {0}`;
  }
  loopVariable(v: string): string {
    return `int ${v}`;
  }
  commentLine(text: string): string {
    return `/* ${text} */`;
  }

  private paramText(p: Param): string {
    switch (p.type) {
      case 'f64':
        return `double ${p.name}`;
      case 'int':
        return `int ${p.name}`;
      case 'f64[]':
        return p.out ? `double *${p.name}` : `const double *${p.name}`;
      case 'int[]':
        return p.out ? `int *${p.name}` : `const int *${p.name}`;
    }
  }

  private signature(f: Fn): string {
    const name = f.exported ? `${this.prefix}_${f.name}` : f.name;
    const params = f.params.length ? f.params.map((p) => this.paramText(p)).join(', ') : 'void';
    return `${f.ret === 'void' ? 'void' : f.ret === 'int' ? 'int' : 'double'} ${name}(${params})`;
  }

  fn(f: Fn): string {
    const doc = f.doc ? `/* ${f.doc.split('\n').join('\n   ')} */\n` : '';
    const lines = [`${doc}${f.exported ? '' : 'static '}${this.signature(f)}`, '{'];
    // parameters a function never reads (t in an autonomous right-hand side) are cast away for -Wextra
    const used = namesIn(f.body);
    for (const p of f.params) if (!used.has(p.name)) lines.push(`    (void)${p.name};`);
    lines.push(...this.stmts(f.body, '    '), '}');
    return lines.join('\n');
  }

  constant(c: Const): string {
    const doc = c.doc ? `/* ${c.doc} */\n` : '';
    const vals = c.values.map((x) => (c.type === 'int' ? String(x) : this.floatLiteral(x)));
    const body = vals.length > 6 ? `{\n    ${chunk(vals, 4).map((r) => r.join(', ')).join(',\n    ')}\n}` : `{${vals.join(', ')}}`;
    return `${doc}static const ${c.type === 'int' ? 'int' : 'double'} ${c.name}[${c.values.length}] = ${body};`;
  }

  files(module: Module, base: string): CFiles {
    const m = { ...module, functions: withRuntime(module.functions, (n) => n in this.known) };
    this.prefix = m.prefix;
    this.exported = new Set(m.functions.filter((f) => f.exported).map((f) => f.name));
    const P = m.prefix;
    const guard = `${P.toUpperCase()}_H`;
    const h: string[] = [m.header.map((l) => `/* ${l} */`).join('\n'), `#ifndef ${guard}`, `#define ${guard}`, ''];
    for (const [k, val] of Object.entries(m.sizes)) h.push(`#define ${P}_${k} ${val}`);
    for (const [name, rec] of Object.entries(m.records))
      for (const [k, val] of Object.entries(rec)) if (typeof val === 'number') h.push(`#define ${P}_${snake(name).toUpperCase()}_${snake(k).toUpperCase()} ${val}`);
    h.push('');
    h.push(`extern const char *const ${P}_state_names[${m.stateNames.length}];`);
    h.push(`extern const char *const ${P}_param_names[${m.paramNames.length}];`);
    h.push(`extern const double ${P}_default_params[${m.defaultParams.length}];`);
    h.push('');
    for (const f of m.functions.filter((f) => f.exported)) {
      if (f.doc) h.push(`/* ${f.doc.split('\n').join('\n   ')} */`);
      h.push(`${this.signature(f)};`);
    }
    h.push('', `#endif /* ${guard} */`, '');
    const c: string[] = [m.header.map((l) => `/* ${l} */`).join('\n'), `#include <math.h>\n#include "${base}.h"`];
    c.push(
      [
        `const char *const ${P}_state_names[${m.stateNames.length}] = {${m.stateNames.map((s) => JSON.stringify(s)).join(', ')}};`,
        `const char *const ${P}_param_names[${m.paramNames.length}] = {${m.paramNames.map((s) => JSON.stringify(s)).join(', ')}};`,
        `const double ${P}_default_params[${m.defaultParams.length}] = {${m.defaultParams.map((x) => this.floatLiteral(x)).join(', ')}};`,
      ].join('\n'),
    );
    if (m.constants.length) c.push(m.constants.map((x) => this.constant(x)).join('\n'));
    const local = m.functions.filter((f) => !f.exported);
    if (local.length) c.push(local.map((f) => `static ${this.signature(f)};`).join('\n'));
    c.push(...m.functions.map((f) => this.fn(f)));
    return { c: c.join('\n\n') + '\n', h: h.join('\n') };
  }

  module(m: Module): string {
    return this.files(m, m.prefix).c;
  }
}

function snake(s: string): string {
  return s.replace(/([a-z])([A-Z])/g, '$1_$2');
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
