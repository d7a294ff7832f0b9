/**
 * hermode's language-neutral code: the small imperative language every generated file is printed
 * from (TypeScript, Python, C). Scalars are doubles (`f64`) or integers (`int`); arrays are flat
 * vectors of either. A module is constants, functions and a header; printers are tables of known
 * functions plus one method per node kind (src/ir/print*.ts). No node names a target language.
 */

export type Scalar = 'f64' | 'int';
export type ParamType = Scalar | 'f64[]' | 'int[]';

export type BinOp = '+' | '-' | '*' | '/' | '<' | '>' | '<=' | '>=' | '==' | '!=' | '&&' | '||' | '&' | '|' | '<<';

export type Expr =
  /** a floating-point literal (printed with 17 significant digits) */
  | { k: 'num'; v: number }
  /** an integer literal */
  | { k: 'int'; v: number }
  /** an exact rational p/q, printed as a floating division that is safe in every language */
  | { k: 'rat'; n: number; d: number }
  | { k: 'var'; name: string }
  | { k: 'idx'; arr: string; i: Expr }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr }
  | { k: 'neg'; a: Expr }
  | { k: 'not'; a: Expr }
  | { k: 'bitnot'; a: Expr }
  /** a^n for a small integer n ≥ 2 (printed through temporaries or repeated products) */
  | { k: 'pow'; a: Expr; n: number }
  /** a known function (sqrt, erf, …) or a function of the module */
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr };

export type Stmt =
  | { k: 'let'; name: string; type: Scalar; init: Expr }
  /** a local array of `size` elements: zero in C and Python at every call; the TypeScript printer
   * allocates it once per module (no allocation per call), so a function writes what it reads */
  | { k: 'array'; name: string; type: Scalar; size: number }
  | { k: 'set'; name: string; op: '=' | '+=' | '-=' | '*=' | '/='; value: Expr }
  | { k: 'store'; arr: string; i: Expr; op: '=' | '+=' | '-=' | '*='; value: Expr }
  /** for (v = from; v < to; v++) — the loop variable is not assigned in the body */
  | { k: 'for'; v: string; from: Expr; to: Expr; body: Stmt[] }
  | { k: 'if'; c: Expr; then: Stmt[]; else: Stmt[] }
  /** a call for its effect on output arrays */
  | { k: 'do'; e: Expr }
  | { k: 'break' }
  | { k: 'continue' }
  | { k: 'return'; value?: Expr }
  | { k: 'comment'; text: string };

export interface Param {
  name: string;
  type: ParamType;
  /** arrays the function writes */
  out?: boolean;
}

export interface Fn {
  name: string;
  params: Param[];
  ret: Scalar | 'void';
  body: Stmt[];
  doc?: string;
  /** part of the module's interface (exported / non-static) */
  exported?: boolean;
  /** length of the output array (last parameter) of an exported function: Python returns it as a list */
  outSize?: number;
}

export interface Const {
  name: string;
  type: Scalar;
  values: number[];
  doc?: string;
}

export interface Module {
  /** comment lines for the file header */
  header: string[];
  /** identifier prefix for C (the derivation name made a C identifier) */
  prefix: string;
  /** exported metadata: names and default values (printed as constants in every language) */
  stateNames: string[];
  paramNames: string[];
  defaultParams: number[];
  /** sizes every language exports (C: #define PREFIX_N_STATE …; Python: N_STATE …) */
  sizes: Record<string, number>;
  /** named key/value records (TypeScript objects, Python dicts; C: #defines of the numeric entries) */
  records: Record<string, Record<string, string | number | boolean>>;
  constants: Const[];
  functions: Fn[];
}

// ---- builders ----

export const num = (v: number): Expr => ({ k: 'num', v });
export const int = (v: number): Expr => ({ k: 'int', v });
export const v = (name: string): Expr => ({ k: 'var', name });
export const idx = (arr: string, i: Expr | number): Expr => ({ k: 'idx', arr, i: typeof i === 'number' ? int(i) : i });
export const call = (fn: string, ...args: Expr[]): Expr => ({ k: 'call', fn, args });
export const bin = (op: BinOp, a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });

const isZero = (e: Expr) => (e.k === 'num' || e.k === 'int') && e.v === 0;
const isOne = (e: Expr) => (e.k === 'num' || e.k === 'int') && e.v === 1;

/** a + b with 0 dropped and literal integers folded (index arithmetic stays readable). */
export function add(a: Expr, b: Expr): Expr {
  if (isZero(a)) return b;
  if (isZero(b)) return a;
  if (a.k === 'int' && b.k === 'int') return int(a.v + b.v);
  if (b.k === 'neg') return bin('-', a, b.a);
  if ((b.k === 'num' || b.k === 'int') && b.v < 0) return bin('-', a, { ...b, v: -b.v });
  if (b.k === 'rat' && b.n < 0) return bin('-', a, { ...b, n: -b.n });
  // a + (−c)·x·y → a − c·x·y
  const flipped = negatedProduct(b);
  if (flipped) return bin('-', a, flipped);
  return bin('+', a, b);
}

/** For a product whose leftmost factor is a negative literal, the same product with it made positive. */
function negatedProduct(e: Expr): Expr | undefined {
  if (e.k === 'num' || e.k === 'int') return e.v < 0 ? { ...e, v: -e.v } : undefined;
  if (e.k === 'rat') return e.n < 0 ? { ...e, n: -e.n } : undefined;
  if (e.k === 'bin' && e.op === '*') {
    const l = negatedProduct(e.a);
    return l ? bin('*', l, e.b) : undefined;
  }
  return undefined;
}

/** a·b with 1 dropped, 0 absorbed and integer literals folded. */
export function mul(a: Expr, b: Expr): Expr {
  if (isOne(a)) return b;
  if (isOne(b)) return a;
  if (a.k === 'int' && b.k === 'int') return int(a.v * b.v);
  if ((a.k === 'int' && a.v === 0) || (b.k === 'int' && b.v === 0)) return int(0);
  return bin('*', a, b);
}

export function neg(a: Expr): Expr {
  if (a.k === 'neg') return a.a;
  if (a.k === 'num' || a.k === 'int') return { ...a, v: -a.v };
  return { k: 'neg', a };
}

/** A rational constant, reduced; integers become integer literals. */
export function rat(n: number, d: number): Expr {
  const g = gcd(Math.abs(n), Math.abs(d));
  const [p, q] = d < 0 ? [-n / g, -d / g] : [n / g, d / g];
  return q === 1 ? num(p) : { k: 'rat', n: p, d: q };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

/** Every variable, array and function a statement list reads, writes or calls (for unused-parameter checks). */
export function namesIn(stmts: Stmt[]): Set<string> {
  return collect(stmts, 'all');
}

/** The functions a statement list calls. */
export function callsIn(stmts: Stmt[]): Set<string> {
  return collect(stmts, 'calls');
}

/** The variables and arrays a statement list reads in expressions (not the targets of set and store), and the functions it calls. */
export function readsIn(stmts: Stmt[]): Set<string> {
  return collect(stmts, 'reads');
}

function collect(stmts: Stmt[], mode: 'all' | 'calls' | 'reads'): Set<string> {
  const out = new Set<string>();
  const name = (n: string) => {
    if (mode !== 'calls') out.add(n);
  };
  const target = (n: string) => {
    if (mode === 'all') out.add(n);
  };
  const ex = (e: Expr): void => {
    switch (e.k) {
      case 'var':
        name(e.name);
        return;
      case 'idx':
        name(e.arr);
        ex(e.i);
        return;
      case 'bin':
        ex(e.a);
        ex(e.b);
        return;
      case 'neg':
      case 'not':
      case 'bitnot':
      case 'pow':
        ex(e.a);
        return;
      case 'call':
        out.add(e.fn);
        e.args.forEach(ex);
        return;
      case 'cond':
        ex(e.c);
        ex(e.a);
        ex(e.b);
        return;
      default:
        return;
    }
  };
  const st = (s: Stmt): void => {
    switch (s.k) {
      case 'let':
        ex(s.init);
        return;
      case 'set':
        target(s.name);
        ex(s.value);
        return;
      case 'store':
        target(s.arr);
        ex(s.i);
        ex(s.value);
        return;
      case 'for':
        ex(s.from);
        ex(s.to);
        s.body.forEach(st);
        return;
      case 'if':
        ex(s.c);
        s.then.forEach(st);
        s.else.forEach(st);
        return;
      case 'return':
        if (s.value) ex(s.value);
        return;
      case 'do':
        ex(s.e);
        return;
      default:
        return;
    }
  };
  stmts.forEach(st);
  return out;
}

