/**
 * WebAssembly (the binary format, version 1, MVP instructions only), written directly from the IR:
 * V8 compiles it to machine code when it is loaded, so the first evaluation of a right-hand side runs
 * at compiled speed instead of in the interpreter. The module has one memory (exported as `memory`):
 * the constants (a data segment), then every function's local arrays (allocated once, as the
 * TypeScript printer does), then an argument area where the loader (src/ir/wasm.ts) copies the arrays
 * a caller passes. Array parameters are byte offsets into that memory (i32). Scalars are f64 and i32.
 *
 * The same arithmetic as the TypeScript module, operation for operation: `+ − × ÷`, sqrt, abs, floor,
 * ceil, min and max are WebAssembly instructions with IEEE semantics (those of JavaScript), and the
 * transcendental functions are imported from the host's `Math`, so the results equal the TS module's
 * bit for bit; erf and erfc are the runtime kernels (src/ir/runtime.ts) compiled like the rest. A
 * custom section `hermode` carries the module's records, name tables and exported signatures, so a
 * `.wasm` file describes itself.
 */
import type { BinOp, Expr, Fn, Module, Param, Scalar, Stmt } from './ir.ts';
import { withRuntime } from './runtime.ts';
import { internal } from '../errors.ts';

/** Functions of `Math` the module imports (one f64 → f64, two for atan2 and pow). */
const IMPORTED: Record<string, number> = Object.fromEntries([
  ...['exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'atanh', 'cbrt', 'sign'].map((n) => [n, 1]),
  ['atan2', 2],
  ['pow', 2],
]);
/** Known functions that are instructions. */
const NATIVE: Record<string, number[]> = { sqrt: [0x9f], abs: [0x99], floor: [0x9c], ceil: [0x9b], min: [0xa4], max: [0xa5] };
const KNOWN = new Set([...Object.keys(IMPORTED), ...Object.keys(NATIVE), 'isfinite']);

const T = { i32: 0x7f, f64: 0x7c } as const;
type WT = 'i32' | 'f64';
const wt = (s: Scalar): WT => (s === 'int' ? 'i32' : 'f64');

/** What the loader needs to call an exported function. */
export interface WasmExport {
  name: string;
  params: { type: Param['type']; out?: boolean }[];
  ret: Scalar | 'void';
}

/** The description in the module's `hermode` custom section. */
export interface WasmDescription {
  /** the header every generated file carries (generated, do not edit, source, command, spec hash) */
  header: string[];
  records: Module['records'];
  stateNames: string[];
  paramNames: string[];
  defaultParams: number[];
  sizes: Record<string, number>;
  exports: WasmExport[];
  /** byte offset of the argument area */
  args: number;
}

// ---- encoding ----

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

const f64Bytes = new DataView(new ArrayBuffer(8));
function f64(x: number, out: number[]): void {
  f64Bytes.setFloat64(0, x, true);
  for (let i = 0; i < 8; i++) out.push(f64Bytes.getUint8(i));
}

function str(s: string, out: number[]): void {
  const b = new TextEncoder().encode(s);
  uleb(b.length, out);
  for (const x of b) out.push(x);
}

function section(id: number, fill: (body: number[]) => void, out: number[]): void {
  const body: number[] = [];
  fill(body);
  out.push(id);
  uleb(body.length, out);
  for (const b of body) out.push(b);
}

function vec<X>(xs: X[], each: (x: X, out: number[]) => void, out: number[]): void {
  uleb(xs.length, out);
  for (const x of xs) each(x, out);
}

// ---- memory layout ----

interface ArrayHome {
  /** a constant byte offset, or the local holding it (an array parameter) */
  base: number | { local: number };
  type: WT;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** The compiler of one function body. */
class FnCompiler {
  readonly code: number[] = [];
  private readonly localTypes: WT[] = [];
  private readonly scopes: Map<string, { idx: number; type: WT }>[] = [new Map()];
  private readonly arrays = new Map<string, ArrayHome>();
  private readonly free: Record<WT, number[]> = { i32: [], f64: [] };
  private readonly scopeLocals: number[][] = [[]];
  /** enclosing labels, innermost last: 'break' and 'continue' targets of loops, 'other' for if and plain blocks */
  private readonly labels: ('break' | 'continue' | 'other')[] = [];
  private readonly nParams: number;

  constructor(
    private readonly f: Fn,
    private readonly mod: ModuleCompiler,
  ) {
    this.nParams = f.params.length;
    f.params.forEach((p, i) => {
      if (p.type === 'f64' || p.type === 'int') this.scopes[0].set(p.name, { idx: i, type: wt(p.type) });
      else this.arrays.set(p.name, { base: { local: i }, type: p.type === 'int[]' ? 'i32' : 'f64' });
    });
    for (const [name, home] of mod.constHomes) if (!this.arrays.has(name)) this.arrays.set(name, home);
  }

  private paramType(i: number): WT {
    const p = this.f.params[i];
    return p.type === 'f64' ? 'f64' : 'i32';
  }

  private newLocal(type: WT): number {
    const reuse = this.free[type].pop();
    const idx = reuse ?? this.nParams + this.localTypes.push(type) - 1;
    this.scopeLocals[this.scopeLocals.length - 1].push(idx);
    return idx;
  }

  private typeOfLocal(idx: number): WT {
    return idx < this.nParams ? this.paramType(idx) : this.localTypes[idx - this.nParams];
  }

  private enter(): void {
    this.scopes.push(new Map());
    this.scopeLocals.push([]);
  }

  private leave(): void {
    this.scopes.pop();
    for (const idx of this.scopeLocals.pop() ?? []) this.free[this.typeOfLocal(idx)].push(idx);
  }

  private lookup(name: string): { idx: number; type: WT } {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const hit = this.scopes[i].get(name);
      if (hit) return hit;
    }
    throw internal(`wasm printer: unknown variable ${name} in ${this.f.name}`);
  }

  private array(name: string): ArrayHome {
    const a = this.arrays.get(name);
    if (!a) throw internal(`wasm printer: unknown array ${name} in ${this.f.name}`);
    return a;
  }

  // ---- expressions ----

  private emit(...bytes: number[]): void {
    for (const b of bytes) this.code.push(b);
  }

  private i32(n: number): void {
    this.emit(0x41);
    sleb(n, this.code);
  }

  private f64c(x: number): void {
    this.emit(0x44);
    f64(x, this.code);
  }

  /** The type an expression has, without emitting it. */
  typeOf(e: Expr): WT {
    switch (e.k) {
      case 'num':
      case 'rat':
        return 'f64';
      case 'int':
        return Number.isInteger(e.v) && Math.abs(e.v) < 2 ** 31 ? 'i32' : 'f64';
      case 'var':
        return this.lookup(e.name).type;
      case 'idx':
        return this.array(e.arr).type;
      case 'neg':
        return this.typeOf(e.a);
      case 'not':
      case 'bitnot':
        return 'i32';
      case 'pow':
        return 'f64';
      case 'call': {
        if (KNOWN.has(e.fn)) return e.fn === 'isfinite' ? 'i32' : 'f64';
        const g = this.mod.fnByName(e.fn);
        return g.ret === 'int' ? 'i32' : 'f64';
      }
      case 'cond':
        return this.typeOf(e.a) === 'i32' && this.typeOf(e.b) === 'i32' ? 'i32' : 'f64';
      case 'bin': {
        const op = e.op;
        if (op === '/') return 'f64';
        if (op === '+' || op === '-' || op === '*') return this.typeOf(e.a) === 'i32' && this.typeOf(e.b) === 'i32' ? 'i32' : 'f64';
        return 'i32';
      }
    }
  }

  /** Emits `e` converted to `want`. */
  exprAs(e: Expr, want: WT): void {
    const have = this.expr(e);
    if (have === want) return;
    // i32 → f64 exactly; f64 → i32 (an integer-valued double such as floor(x), as the kernels produce)
    // by saturating truncation, as C's conversion of an int-valued double
    if (want === 'f64') this.emit(0xb7);
    else this.emit(0xfc, 0x02);
  }

  /** Emits `e` as a condition (i32, nonzero for true). */
  cond(e: Expr): void {
    if (this.expr(e) === 'f64') {
      this.f64c(0);
      this.emit(0x62);
    }
  }

  /** Emits `e`; returns its type. */
  expr(e: Expr): WT {
    switch (e.k) {
      case 'num':
        this.f64c(e.v);
        return 'f64';
      case 'rat':
        this.f64c(e.n / e.d);
        return 'f64';
      case 'int':
        if (this.typeOf(e) === 'f64') {
          this.f64c(e.v);
          return 'f64';
        }
        this.i32(e.v);
        return 'i32';
      case 'var': {
        const l = this.lookup(e.name);
        this.emit(0x20);
        uleb(l.idx, this.code);
        return l.type;
      }
      case 'idx':
        return this.load(e.arr, e.i);
      case 'neg': {
        const t = this.typeOf(e.a);
        if (t === 'f64') {
          this.expr(e.a);
          this.emit(0x9a);
          return 'f64';
        }
        this.i32(0);
        this.expr(e.a);
        this.emit(0x6b);
        return 'i32';
      }
      case 'not':
        this.cond(e.a);
        this.emit(0x45);
        return 'i32';
      case 'bitnot':
        this.exprAs(e.a, 'i32');
        this.i32(-1);
        this.emit(0x73);
        return 'i32';
      case 'pow':
        return this.pow(e.a, e.n);
      case 'call':
        return this.call(e.fn, e.args);
      case 'cond': {
        const t = this.typeOf(e);
        this.cond(e.c);
        this.emit(0x04, T[t]);
        this.labels.push('other');
        this.exprAs(e.a, t);
        this.emit(0x05);
        this.exprAs(e.b, t);
        this.emit(0x0b);
        this.labels.pop();
        return t;
      }
      case 'bin': {
        const r = printedForm(e);
        if (r.k !== 'bin') throw internal('wasm printer: reassociation lost a binary node');
        return this.bin(r.op, r.a, r.b);
      }
    }
  }

  /** a^n as the TypeScript printer writes it: repeated products of an atomic a for n ≤ 4, Math.pow otherwise. */
  private pow(a: Expr, n: number): WT {
    const atomic = isAtomic(a);
    if (atomic && n <= 4) {
      this.exprAs(a, 'f64');
      const tmp = this.newLocal('f64');
      this.emit(0x22);
      uleb(tmp, this.code);
      for (let i = 1; i < n; i++) {
        this.emit(0x20);
        uleb(tmp, this.code);
        this.emit(0xa2);
      }
      return 'f64';
    }
    this.exprAs(a, 'f64');
    this.f64c(n);
    this.emit(0x10);
    uleb(this.mod.importIndex('pow'), this.code);
    return 'f64';
  }

  private call(fn: string, args: Expr[]): WT {
    if (fn in NATIVE) {
      for (const a of args) this.exprAs(a, 'f64');
      this.emit(...NATIVE[fn]);
      return 'f64';
    }
    if (fn === 'isfinite') {
      // x − x is 0 exactly when x is finite (NaN and ±∞ give NaN)
      this.exprAs(args[0], 'f64');
      const tmp = this.newLocal('f64');
      this.emit(0x22);
      uleb(tmp, this.code);
      this.emit(0x20);
      uleb(tmp, this.code);
      this.emit(0xa1);
      this.f64c(0);
      this.emit(0x61);
      return 'i32';
    }
    if (fn in IMPORTED) {
      if (args.length !== IMPORTED[fn]) throw internal(`wasm printer: ${fn} takes ${IMPORTED[fn]} arguments`);
      for (const a of args) this.exprAs(a, 'f64');
      this.emit(0x10);
      uleb(this.mod.importIndex(fn), this.code);
      return 'f64';
    }
    const g = this.mod.fnByName(fn);
    if (g.params.length !== args.length) throw internal(`wasm printer: ${fn} takes ${g.params.length} arguments, given ${args.length}`);
    g.params.forEach((p, i) => {
      const a = args[i];
      if (p.type === 'f64' || p.type === 'int') this.exprAs(a, wt(p.type));
      else {
        if (a.k !== 'var') throw internal(`wasm printer: an array argument of ${fn} must name an array`);
        this.address(a.name);
      }
    });
    this.emit(0x10);
    uleb(this.mod.fnIndex(fn), this.code);
    return g.ret === 'void' ? 'i32' : wt(g.ret);
  }

  private bin(op: BinOp, a: Expr, b: Expr): WT {
    if (op === '&&' || op === '||') {
      this.cond(a);
      this.emit(0x04, T.i32);
      this.labels.push('other');
      if (op === '&&') {
        this.cond(b);
        this.emit(0x05);
        this.i32(0);
      } else {
        this.i32(1);
        this.emit(0x05);
        this.cond(b);
      }
      this.emit(0x0b);
      this.labels.pop();
      return 'i32';
    }
    if (op === '&' || op === '|' || op === '<<') {
      this.exprAs(a, 'i32');
      this.exprAs(b, 'i32');
      this.emit(op === '&' ? 0x71 : op === '|' ? 0x72 : 0x74);
      return 'i32';
    }
    const ints = this.typeOf(a) === 'i32' && this.typeOf(b) === 'i32';
    const t: WT = ints && op !== '/' ? 'i32' : 'f64';
    this.exprAs(a, t);
    this.exprAs(b, t);
    const F: Record<string, number> = { '+': 0xa0, '-': 0xa1, '*': 0xa2, '/': 0xa3, '==': 0x61, '!=': 0x62, '<': 0x63, '>': 0x64, '<=': 0x65, '>=': 0x66 };
    const I: Record<string, number> = { '+': 0x6a, '-': 0x6b, '*': 0x6c, '==': 0x46, '!=': 0x47, '<': 0x48, '>': 0x4a, '<=': 0x4c, '>=': 0x4e };
    this.emit((t === 'f64' ? F : I)[op]);
    return ['+', '-', '*', '/'].includes(op) ? t : 'i32';
  }

  /** Pushes the byte address of array `name`. */
  private address(name: string): void {
    const h = this.array(name);
    if (typeof h.base === 'number') this.i32(h.base);
    else {
      this.emit(0x20);
      uleb(h.base.local, this.code);
    }
  }

  /** Pushes the address for element i and returns the memory offset immediate (a literal index folds into it). */
  private element(name: string, i: Expr): number {
    const h = this.array(name);
    const size = h.type === 'f64' ? 8 : 4;
    if (i.k === 'int' && i.v >= 0) {
      if (typeof h.base === 'number') {
        this.i32(h.base + i.v * size);
        return 0;
      }
      this.address(name);
      return i.v * size;
    }
    this.address(name);
    this.exprAs(i, 'i32');
    this.i32(size === 8 ? 3 : 2);
    this.emit(0x74, 0x6a);
    return 0;
  }

  private memarg(type: WT, offset: number): void {
    uleb(type === 'f64' ? 3 : 2, this.code);
    uleb(offset, this.code);
  }

  private load(name: string, i: Expr): WT {
    const type = this.array(name).type;
    const off = this.element(name, i);
    this.emit(type === 'f64' ? 0x2b : 0x28);
    this.memarg(type, off);
    return type;
  }

  // ---- statements ----

  stmts(list: Stmt[]): void {
    for (const s of list) this.stmt(s);
  }

  private block(list: Stmt[]): void {
    this.enter();
    this.stmts(list);
    this.leave();
  }

  private setLocal(idx: number): void {
    this.emit(0x21);
    uleb(idx, this.code);
  }

  private stmt(s: Stmt): void {
    switch (s.k) {
      case 'comment':
        return;
      case 'let': {
        const type = wt(s.type);
        this.exprAs(s.init, type);
        const idx = this.newLocal(type);
        this.scopes[this.scopes.length - 1].set(s.name, { idx, type });
        this.setLocal(idx);
        return;
      }
      case 'array': {
        const home = this.mod.scratch(this.f.name, s.name, wt(s.type), s.size);
        this.arrays.set(s.name, home);
        return;
      }
      case 'set':
        return this.setStmt(s);
      case 'store':
        return this.storeStmt(s);
      case 'for':
        return this.forStmt(s);
      case 'if':
        this.cond(s.c);
        this.emit(0x04, 0x40);
        this.labels.push('other');
        this.block(s.then);
        if (s.else.length) {
          this.emit(0x05);
          this.block(s.else);
        }
        this.emit(0x0b);
        this.labels.pop();
        return;
      case 'do': {
        if (s.e.k !== 'call') throw internal('wasm printer: a statement expression must be a call');
        const g = KNOWN.has(s.e.fn) ? undefined : this.mod.fnByName(s.e.fn);
        this.expr(s.e);
        if (!g || g.ret !== 'void') this.emit(0x1a);
        return;
      }
      case 'break':
      case 'continue': {
        const at = this.labels.lastIndexOf(s.k);
        if (at < 0) throw internal(`wasm printer: ${s.k} outside a loop in ${this.f.name}`);
        this.emit(0x0c);
        uleb(this.labels.length - 1 - at, this.code);
        return;
      }
      case 'return':
        if (s.value) this.exprAs(s.value, this.f.ret === 'int' ? 'i32' : 'f64');
        this.emit(0x0f);
        return;
    }
  }

  private setStmt(s: Extract<Stmt, { k: 'set' }>): void {
    const l = this.lookup(s.name);
    if (s.op === '=') this.exprAs(s.value, l.type);
    else {
      const t: WT = l.type === 'i32' && this.typeOf(s.value) === 'i32' && s.op !== '/=' ? 'i32' : 'f64';
      if (t !== l.type) throw internal(`wasm printer: ${s.name} ${s.op} a double in ${this.f.name}, an int`);
      this.emit(0x20);
      uleb(l.idx, this.code);
      this.exprAs(s.value, t);
      this.emit(compound(s.op, t));
    }
    this.setLocal(l.idx);
  }

  private storeStmt(s: Extract<Stmt, { k: 'store' }>): void {
    const type = this.array(s.arr).type;
    const off = this.element(s.arr, s.i);
    if (s.op !== '=') {
      // the address once, in a temporary: load, combine, store
      const tmp = this.newLocal('i32');
      this.emit(0x22);
      uleb(tmp, this.code);
      this.emit(0x20);
      uleb(tmp, this.code);
      this.emit(type === 'f64' ? 0x2b : 0x28);
      this.memarg(type, off);
      this.exprAs(s.value, type);
      this.emit(compound(s.op, type));
    } else this.exprAs(s.value, type);
    this.emit(type === 'f64' ? 0x39 : 0x36);
    this.memarg(type, off);
  }

  /** for (v = from; v < to; v++): block { loop { br_if (v ≥ to) out; block { body } (continue lands here); v++; br loop } } */
  private forStmt(s: Extract<Stmt, { k: 'for' }>): void {
    this.enter();
    const v = this.newLocal('i32');
    this.scopes[this.scopes.length - 1].set(s.v, { idx: v, type: 'i32' });
    this.exprAs(s.from, 'i32');
    this.setLocal(v);
    this.emit(0x02, 0x40);
    this.labels.push('break');
    this.emit(0x03, 0x40);
    this.labels.push('other');
    // while (v < to)
    const to = this.typeOf(s.to);
    this.emit(0x20);
    uleb(v, this.code);
    if (to === 'f64') this.emit(0xb7);
    this.expr(s.to);
    this.emit(to === 'f64' ? 0x63 : 0x48, 0x45, 0x0d);
    uleb(this.labels.length - 1 - this.labels.lastIndexOf('break'), this.code);
    this.emit(0x02, 0x40);
    this.labels.push('continue');
    this.block(s.body);
    this.emit(0x0b);
    this.labels.pop();
    this.emit(0x20);
    uleb(v, this.code);
    this.i32(1);
    this.emit(0x6a);
    this.setLocal(v);
    this.emit(0x0c, 0x00, 0x0b);
    this.labels.pop();
    this.emit(0x0b);
    this.labels.pop();
    this.leave();
  }

  /** The body as the code section holds it: locals, instructions, end. */
  body(): number[] {
    this.stmts(this.f.body);
    // falling off the end of a function with a value: NaN (TypeScript's undefined as a number)
    if (this.f.ret === 'f64') this.f64c(NaN);
    else if (this.f.ret === 'int') this.i32(0);
    this.emit(0x0b);
    const out: number[] = [];
    const runs: [number, WT][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    vec(runs, ([n, t], o) => {
      uleb(n, o);
      o.push(T[t]);
    }, out);
    for (const b of this.code) out.push(b);
    return out;
  }
}

/** Whether the text printers write `a` without parentheses before a postfix (their test for a^n as a product). */
function isAtomic(a: Expr): boolean {
  if (a.k === 'num' || a.k === 'int') return a.v >= 0;
  return a.k === 'rat' || a.k === 'var' || a.k === 'idx' || a.k === 'call';
}

/**
 * The association the text printers' output is evaluated with: they print the right operand of + and ×
 * without parentheses when it is a sum (difference) or product (quotient) itself, so a + (b − c) is read
 * as (a + b) − c and a·(b/c) as (a·b)/c. The same rounding in every language needs the same tree.
 */
function printedForm(e: Expr): Expr {
  if (e.k !== 'bin' || (e.op !== '+' && e.op !== '*')) return e;
  const b = e.b;
  // a·x^n with x^n printed as x * x * … (an atomic x, n ≤ 4) reads as ((a·x)·x)·…
  if (e.op === '*' && b.k === 'pow' && b.n <= 4 && isAtomic(b.a)) {
    let r = e.a;
    for (let i = 0; i < b.n; i++) r = { k: 'bin', op: '*', a: r, b: b.a };
    return r;
  }
  const level = e.op === '+' ? ['+', '-'] : ['*', '/'];
  if (b.k !== 'bin' || !level.includes(b.op)) return e;
  return printedForm({ k: 'bin', op: b.op, a: printedForm({ k: 'bin', op: e.op, a: e.a, b: b.a }), b: b.b });
}

function compound(op: '+=' | '-=' | '*=' | '/=', t: WT): number {
  if (t === 'f64') return { '+=': 0xa0, '-=': 0xa1, '*=': 0xa2, '/=': 0xa3 }[op];
  if (op === '/=') throw internal('wasm printer: integer /=');
  return { '+=': 0x6a, '-=': 0x6b, '*=': 0x6c }[op];
}

/** The host functions (of IMPORTED) that `fns` call, pow included where a power is not a product. */
function importsCalled(fns: Fn[]): Set<string> {
  const called = new Set<string>();
  const scan = (e: Expr): void => {
    if (e.k === 'call') {
      if (e.fn in IMPORTED) called.add(e.fn);
      e.args.forEach(scan);
    } else if (e.k === 'bin') {
      scan(e.a);
      scan(e.b);
    } else if (e.k === 'neg' || e.k === 'not' || e.k === 'bitnot') scan(e.a);
    else if (e.k === 'pow') {
      if (e.n > 4 || !isAtomic(e.a)) called.add('pow');
      scan(e.a);
    } else if (e.k === 'cond') [e.c, e.a, e.b].forEach(scan);
    else if (e.k === 'idx') scan(e.i);
  };
  const walk = (list: Stmt[]): void => {
    for (const s of list) {
      if (s.k === 'let') scan(s.init);
      else if (s.k === 'set' || s.k === 'store') {
        scan(s.value);
        if (s.k === 'store') scan(s.i);
      } else if (s.k === 'for') {
        scan(s.from);
        scan(s.to);
        walk(s.body);
      } else if (s.k === 'if') {
        scan(s.c);
        walk(s.then);
        walk(s.else);
      } else if (s.k === 'do') scan(s.e);
      else if (s.k === 'return' && s.value) scan(s.value);
    }
  };
  for (const f of fns) walk(f.body);
  return called;
}

/** The state of printing one module: imports, function indices, the memory layout. */
class ModuleCompiler {
  readonly imports: string[] = [];
  readonly constHomes = new Map<string, ArrayHome>();
  private readonly fns: Fn[];
  private readonly index = new Map<string, number>();
  private readonly scratchHomes = new Map<string, ArrayHome>();
  private top: number;
  readonly data: { offset: number; bytes: number[] };

  constructor(m: Module) {
    this.fns = withRuntime(m.functions, (n) => KNOWN.has(n));
    // every import the functions call, in a fixed order (so the same module prints the same bytes)
    const called = importsCalled(this.fns);
    this.imports = Object.keys(IMPORTED).filter((n) => called.has(n));
    this.fns.forEach((f, i) => this.index.set(f.name, this.imports.length + i));
    // constants from byte 8 (0 stays unused)
    const bytes: number[] = [];
    let at = 8;
    for (const c of m.constants) {
      at = align8(at);
      while (8 + bytes.length < at) bytes.push(0);
      this.constHomes.set(c.name, { base: at, type: wt(c.type) });
      for (const x of c.values) {
        if (c.type === 'int') {
          const b = new DataView(new ArrayBuffer(4));
          b.setInt32(0, x, true);
          for (let i = 0; i < 4; i++) bytes.push(b.getUint8(i));
        } else f64(x, bytes);
      }
      at = 8 + bytes.length;
    }
    this.data = { offset: 8, bytes };
    this.top = align8(at);
  }

  fnByName(name: string): Fn {
    const f = this.fns.find((g) => g.name === name);
    if (!f) throw internal(`wasm printer: no function ${name}`);
    return f;
  }

  fnIndex(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw internal(`wasm printer: no function ${name}`);
    return i;
  }

  importIndex(name: string): number {
    const i = this.imports.indexOf(name);
    if (i < 0) throw internal(`wasm printer: ${name} was not imported`);
    return i;
  }

  /** A function's local array: one home per function and name, allocated after the constants. */
  scratch(fn: string, name: string, type: WT, size: number): ArrayHome {
    const key = `${fn}:${name}`;
    let h = this.scratchHomes.get(key);
    if (!h) {
      h = { base: this.top, type };
      this.top = align8(this.top + size * (type === 'f64' ? 8 : 4));
      this.scratchHomes.set(key, h);
    }
    return h;
  }

  /** The module's function types (deduplicated) and each import's and function's index among them. */
  private types(): { types: string[]; imports: number[]; fns: number[] } {
    const types: string[] = [];
    const typeIndex = (params: WT[], ret: WT | undefined) => {
      const key = `${params.join(',')}>${ret ?? ''}`;
      const i = types.indexOf(key);
      return i < 0 ? types.push(key) - 1 : i;
    };
    const imports = this.imports.map((n) => typeIndex(new Array(IMPORTED[n]).fill('f64'), 'f64'));
    const fns = this.fns.map((f) => typeIndex(f.params.map((p) => (p.type === 'f64' ? 'f64' : 'i32')), f.ret === 'void' ? undefined : wt(f.ret)));
    return { types, imports, fns };
  }

  /** The description the loader reads from the custom section. */
  private description(m: Module, args: number): WasmDescription {
    const exported = this.fns.filter((f) => f.exported);
    return {
      header: m.header,
      records: m.records,
      stateNames: m.stateNames,
      paramNames: m.paramNames,
      defaultParams: m.defaultParams,
      sizes: m.sizes,
      exports: exported.map((f) => ({ name: f.name, params: f.params.map((p) => ({ type: p.type, ...(p.out ? { out: true } : {}) })), ret: f.ret })),
      args,
    };
  }

  /** The binary: type, import, function, memory, export, code and data sections, then the custom `hermode` section. */
  binary(m: Module): Uint8Array {
    const { types, imports, fns } = this.types();
    const bodies = this.fns.map((f) => new FnCompiler(f, this).body());
    const args = align8(this.top);
    const pages = Math.max(1, Math.ceil((args + 65536) / 65536));
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    section(1, (o) => vec(types, (key, oo) => {
      const [ps, r] = key.split('>');
      oo.push(0x60);
      vec(ps ? (ps.split(',') as WT[]) : [], (t, x) => x.push(T[t]), oo);
      vec(r ? [r as WT] : [], (t, x) => x.push(T[t]), oo);
    }, o), out);
    if (this.imports.length)
      section(2, (o) => vec(this.imports, (n, oo) => {
        str('Math', oo);
        str(n, oo);
        oo.push(0x00);
        uleb(imports[this.imports.indexOf(n)], oo);
      }, o), out);
    section(3, (o) => vec(fns, (t, oo) => uleb(t, oo), o), out);
    section(5, (o) => vec([pages], (p, oo) => {
      oo.push(0x00);
      uleb(p, oo);
    }, o), out);
    // exports: the exported functions (kind 0), then the memory (kind 2, index 0)
    section(7, (o) => vec([...this.fns.filter((f) => f.exported).map((f) => f.name), 'memory'], (n, oo) => {
      str(n, oo);
      if (n === 'memory') oo.push(0x02, 0x00);
      else {
        oo.push(0x00);
        uleb(this.fnIndex(n), oo);
      }
    }, o), out);
    section(10, (o) => vec(bodies, (body, oo) => {
      uleb(body.length, oo);
      for (const x of body) oo.push(x);
    }, o), out);
    if (this.data.bytes.length)
      section(11, (o) => vec([this.data], (d, oo) => {
        oo.push(0x00, 0x41);
        sleb(d.offset, oo);
        oo.push(0x0b);
        uleb(d.bytes.length, oo);
        for (const x of d.bytes) oo.push(x);
      }, o), out);
    section(0, (o) => {
      str('hermode', o);
      for (const x of new TextEncoder().encode(JSON.stringify(this.description(m, args)))) o.push(x);
    }, out);
    return Uint8Array.from(out);
  }
}

/** The WebAssembly module of an IR module (its runtime functions included). */
export function wasmModule(m: Module): Uint8Array {
  if (m.functions.some((f) => f.name === 'memory')) throw internal('wasm printer: a function may not be called memory');
  return new ModuleCompiler(m).binary(m);
}

