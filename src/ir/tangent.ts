/**
 * Forward-mode differentiation of hermode's language-neutral code: for a function f, the function
 * f_tan computing f and its directional derivative along the tangents of its f64 inputs — every f64
 * scalar x gets a twin dd_x, every f64 array A a twin dd_A of the same size, a function returning f64
 * writes its tangent to a last output array dd_ret[0]. The derivative is that of the code as written
 * (every backend's kernels — closed forms, Stein polynomials, quadrature, lattices — differentiate
 * alike), so a Jacobian printed from it agrees with the printed right-hand side to round-off.
 *
 * Calls of the module's own f64 functions inside expressions are first lifted into temporaries; known
 * functions (sqrt, asin, erf, …) are differentiated in place by the rules below. Integer code, module
 * constants and comparisons carry no tangent. Tangent statements whose value is never read are removed.
 */
import { callsIn, readsIn, type Expr, type Fn, type Param, type Stmt } from './ir.ts';
import { internal } from '../errors.ts';

const P = 'dd_';
const num = (x: number): Expr => ({ k: 'num', v: x });
const bin = (op: '+' | '-' | '*' | '/', a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
const call = (fn: string, ...args: Expr[]): Expr => ({ k: 'call', fn, args });
const mul = (a: Expr | null, b: Expr | null): Expr | null => (a && b ? bin('*', a, b) : null);
const add = (a: Expr | null, b: Expr | null): Expr | null => (a && b ? bin('+', a, b) : a ?? b);
const sub = (a: Expr | null, b: Expr | null): Expr | null => (a && b ? bin('-', a, b) : a ?? (b ? { k: 'neg', a: b } : null));
const or0 = (e: Expr | null): Expr => e ?? num(0);

/** d f(a)/da for one-argument known functions, as an expression in a. */
const RULES: Record<string, (a: Expr) => Expr> = {
  // at the end of a domain the code's value is a limit (a clamped correlation of ±1, a variance of 0 where
  // fields coincide, which they keep doing as the state moves): the derivative along the model's states is 0
  sqrt: (a) => ({ k: 'cond', c: { k: 'bin', op: '<=', a, b: num(0) }, a: num(0), b: bin('/', num(0.5), call('sqrt', a)) }),
  exp: (a) => call('exp', a),
  expm1: (a) => call('exp', a),
  log: (a) => bin('/', num(1), a),
  log1p: (a) => bin('/', num(1), bin('+', num(1), a)),
  sin: (a) => call('cos', a),
  cos: (a) => ({ k: 'neg', a: call('sin', a) }),
  tan: (a) => bin('+', num(1), { k: 'pow', a: call('tan', a), n: 2 }),
  asin: (a) => ({ k: 'cond', c: { k: 'bin', op: '>=', a: { k: 'pow', a, n: 2 }, b: num(1) }, a: num(0), b: bin('/', num(1), call('sqrt', bin('-', num(1), { k: 'pow', a, n: 2 }))) }),
  acos: (a) => ({ k: 'cond', c: { k: 'bin', op: '>=', a: { k: 'pow', a, n: 2 }, b: num(1) }, a: num(0), b: bin('/', num(-1), call('sqrt', bin('-', num(1), { k: 'pow', a, n: 2 }))) }),
  atan: (a) => bin('/', num(1), bin('+', num(1), { k: 'pow', a, n: 2 })),
  sinh: (a) => call('cosh', a),
  cosh: (a) => call('sinh', a),
  tanh: (a) => bin('-', num(1), { k: 'pow', a: call('tanh', a), n: 2 }),
  asinh: (a) => bin('/', num(1), call('sqrt', bin('+', num(1), { k: 'pow', a, n: 2 }))),
  atanh: (a) => bin('/', num(1), bin('-', num(1), { k: 'pow', a, n: 2 })),
  cbrt: (a) => bin('/', num(1), bin('*', num(3), { k: 'pow', a: call('cbrt', a), n: 2 })),
  abs: (a) => call('sign', a),
  erf: (a) => bin('*', num(2 / Math.sqrt(Math.PI)), call('exp', { k: 'neg', a: { k: 'pow', a, n: 2 } })),
  erfc: (a) => bin('*', num(-2 / Math.sqrt(Math.PI)), call('exp', { k: 'neg', a: { k: 'pow', a, n: 2 } })),
  relu: (a) => call('step', a),
  sigmoid: (a) => bin('*', call('sigmoid', a), bin('-', num(1), call('sigmoid', a))),
  softplus: (a) => call('sigmoid', a),
};
/** Known functions that are piecewise constant (zero derivative). */
const FLAT = new Set(['floor', 'ceil', 'sign', 'step', 'isfinite']);

/** The rules, for tests that plant a wrong one. */
export const TANGENT_RULES = RULES;

type Kind = 'f64' | 'int' | 'f64[]' | 'int[]';

interface Scope {
  kinds: Map<string, Kind>;
  /** module functions returning f64 (lifted out of expressions) and all module functions */
  f64Fns: Set<string>;
  moduleFns: Set<string>;
  counter: { n: number };
  /** sizes of the module's constant arrays (passed whole: a zero tangent) */
  constSizes: Map<string, number>;
  /** zero tangent arrays to declare at the top of the function */
  zeros: Stmt[];
}

const activeScalar = (s: Scope, name: string) => s.kinds.get(name) === 'f64';
const activeArray = (s: Scope, name: string) => s.kinds.get(name) === 'f64[]';

/** The tangent of an expression (null: zero). */
function tangent(e: Expr, s: Scope): Expr | null {
  switch (e.k) {
    case 'num':
    case 'int':
    case 'rat':
    case 'not':
    case 'bitnot':
      return null;
    case 'var':
      return activeScalar(s, e.name) ? { k: 'var', name: P + e.name } : null;
    case 'idx':
      return activeArray(s, e.arr) ? { k: 'idx', arr: P + e.arr, i: e.i } : null;
    case 'neg': {
      const d = tangent(e.a, s);
      return d ? { k: 'neg', a: d } : null;
    }
    case 'pow': {
      const d = tangent(e.a, s);
      if (!d) return null;
      const lower: Expr = e.n === 2 ? e.a : { k: 'pow', a: e.a, n: e.n - 1 };
      return bin('*', bin('*', num(e.n), lower), d);
    }
    case 'cond': {
      const [a, b] = [tangent(e.a, s), tangent(e.b, s)];
      return a || b ? { k: 'cond', c: e.c, a: or0(a), b: or0(b) } : null;
    }
    case 'bin': {
      const [da, db] = [tangent(e.a, s), tangent(e.b, s)];
      switch (e.op) {
        case '+':
          return add(da, db);
        case '-':
          return sub(da, db);
        case '*':
          return add(mul(da, e.b), mul(e.a, db));
        case '/':
          if (!da && !db) return null;
          // (a′ − (a/b) b′)/b
          return bin('/', or0(sub(da, mul(bin('/', e.a, e.b), db))), e.b);
        default:
          return null;
      }
    }
    case 'call': {
      if (s.moduleFns.has(e.fn)) {
        if (s.f64Fns.has(e.fn)) throw internal(`tangent: call of ${e.fn} was not lifted`);
        return null;
      }
      if (FLAT.has(e.fn)) return null;
      const he = /^He(\d+)$/.exec(e.fn);
      if (he) {
        const n = Number(he[1]);
        const d = tangent(e.args[0], s);
        return n === 0 || !d ? null : bin('*', bin('*', num(n), call(`He${n - 1}`, e.args[0])), d);
      }
      if (e.fn === 'min' || e.fn === 'max') {
        const [da, db] = [tangent(e.args[0], s), tangent(e.args[1], s)];
        if (!da && !db) return null;
        const c: Expr = { k: 'bin', op: e.fn === 'min' ? '<=' : '>=', a: e.args[0], b: e.args[1] };
        return { k: 'cond', c, a: or0(da), b: or0(db) };
      }
      if (e.fn === 'atan2') {
        const [y, x] = e.args;
        const [dy, dx] = [tangent(y, s), tangent(x, s)];
        if (!dy && !dx) return null;
        return bin('/', or0(sub(mul(x, dy), mul(y, dx))), bin('+', { k: 'pow', a: x, n: 2 }, { k: 'pow', a: y, n: 2 }));
      }
      if (e.fn === 'pow') {
        const [a, b] = e.args;
        const [da, db] = [tangent(a, s), tangent(b, s)];
        if (!da && !db) return null;
        // b a^(b−1) a′ + a^b log(a) b′
        return add(mul(bin('*', b, call('pow', a, bin('-', b, num(1)))), da), mul(bin('*', e, call('log', a)), db));
      }
      const rule = RULES[e.fn];
      if (!rule) throw internal(`tangent: no derivative rule for ${e.fn}`);
      const d = tangent(e.args[0], s);
      // a zero tangent stays zero where the derivative is infinite (asin at a clamped ±1, sqrt at 0)
      return d ? { k: 'cond', c: { k: 'bin', op: '==', a: d, b: num(0) }, a: num(0), b: bin('*', rule(e.args[0]), d) } : null;
    }
  }
}

/** Lifts calls of module f64 functions out of an expression into `let` temporaries (appended to `pre`). */
function lift(e: Expr, s: Scope, pre: Stmt[]): Expr {
  const go = (x: Expr): Expr => lift(x, s, pre);
  switch (e.k) {
    case 'idx':
      return { ...e, i: go(e.i) };
    case 'bin':
      return { ...e, a: go(e.a), b: go(e.b) };
    case 'neg':
    case 'not':
    case 'bitnot':
    case 'pow':
      return { ...e, a: go(e.a) };
    case 'cond':
      return { ...e, c: go(e.c), a: go(e.a), b: go(e.b) };
    case 'call': {
      const args = e.args.map(go);
      if (!s.f64Fns.has(e.fn)) return { ...e, args };
      const name = `lift${s.counter.n++}`;
      pre.push({ k: 'let', name, type: 'f64', init: { ...e, args } });
      return { k: 'var', name };
    }
    default:
      return e;
  }
}

/** The arguments of a call of f_tan: each argument, then for each active parameter its tangent. */
function tangentArgs(fn: string, args: Expr[], s: Scope, params: Map<string, Param[]>): Expr[] {
  const ps = params.get(fn) as Param[];
  const out: Expr[] = [];
  ps.forEach((p, i) => {
    out.push(args[i]);
    if (p.type === 'f64') out.push(or0(tangent(args[i], s)));
    else if (p.type === 'f64[]') {
      const a = args[i];
      if (a.k !== 'var') throw internal(`tangent: ${fn} is passed an expression for its array ${p.name}`);
      // a module constant passed whole has a zero tangent: an array never written (zero in every language)
      const size = s.constSizes.get(a.name);
      if (!activeArray(s, a.name) && size === undefined) throw internal(`tangent: ${fn} is passed ${a.name} for its array ${p.name}, which has no tangent`);
      if (activeArray(s, a.name)) out.push({ k: 'var', name: P + a.name });
      else {
        const z = `${P}zero${a.name}`;
        if (!s.kinds.has(z)) {
          s.kinds.set(z, 'f64[]');
          s.zeros.push({ k: 'array', name: z, type: 'f64', size: size as number });
        }
        out.push({ k: 'var', name: z });
      }
    }
  });
  return out;
}

function transform(stmts: Stmt[], s: Scope, params: Map<string, Param[]>, retTangent: boolean): Stmt[] {
  const out: Stmt[] = [];
  for (const st0 of stmts) {
    // lift module calls out of the statement's expressions (not out of loop bounds, which are integer)
    const pre: Stmt[] = [];
    let st = st0;
    switch (st0.k) {
      case 'let':
        st = { ...st0, init: st0.init.k === 'call' && s.f64Fns.has(st0.init.fn) ? { ...st0.init, args: st0.init.args.map((a) => lift(a, s, pre)) } : lift(st0.init, s, pre) };
        break;
      case 'set':
        st = { ...st0, value: lift(st0.value, s, pre) };
        break;
      case 'store':
        st = { ...st0, i: lift(st0.i, s, pre), value: lift(st0.value, s, pre) };
        break;
      case 'if':
        st = { ...st0, c: lift(st0.c, s, pre) };
        break;
      case 'do':
        st = { ...st0, e: st0.e.k === 'call' ? { ...st0.e, args: st0.e.args.map((a) => lift(a, s, pre)) } : lift(st0.e, s, pre) };
        break;
      case 'return':
        st = st0.value ? { ...st0, value: lift(st0.value, s, pre) } : st0;
        break;
    }
    for (const p of pre) out.push(...transform([p], s, params, retTangent));
    out.push(...transformOne(st, s, params, retTangent));
  }
  return out;
}

function transformOne(st: Stmt, s: Scope, params: Map<string, Param[]>, retTangent: boolean): Stmt[] {
  switch (st.k) {
    case 'let': {
      s.kinds.set(st.name, st.type);
      if (st.type !== 'f64') return [st];
      if (st.init.k === 'call' && s.f64Fns.has(st.init.fn)) {
        // let x = f(args) → f_tan(args, tangents, r) with its tangent in r[0]
        const r = `ddres${s.counter.n++}`;
        s.kinds.set(r, 'f64[]');
        return [
          { k: 'array', name: r, type: 'f64', size: 1 },
          { k: 'let', name: st.name, type: 'f64', init: call(`${st.init.fn}_tan`, ...tangentArgs(st.init.fn, st.init.args, s, params), { k: 'var', name: r }) },
          { k: 'let', name: P + st.name, type: 'f64', init: { k: 'idx', arr: r, i: { k: 'int', v: 0 } } },
        ];
      }
      return [{ k: 'let', name: P + st.name, type: 'f64', init: or0(tangent(st.init, s)) }, st];
    }
    case 'array':
      s.kinds.set(st.name, st.type === 'f64' ? 'f64[]' : 'int[]');
      return st.type === 'f64' ? [st, { ...st, name: P + st.name }] : [st];
    case 'set': {
      if (!activeScalar(s, st.name)) return [st];
      const x: Expr = { k: 'var', name: st.name };
      const dx: Expr = { k: 'var', name: P + st.name };
      return [{ k: 'set', name: P + st.name, op: '=', value: updateTangent(st.op, x, dx, st.value, s) }, st];
    }
    case 'store': {
      if (!activeArray(s, st.arr)) return [st];
      const x: Expr = { k: 'idx', arr: st.arr, i: st.i };
      const dx: Expr = { k: 'idx', arr: P + st.arr, i: st.i };
      return [{ k: 'store', arr: P + st.arr, i: st.i, op: '=', value: updateTangent(st.op, x, dx, st.value, s) }, st];
    }
    case 'for':
      s.kinds.set(st.v, 'int');
      return [{ ...st, body: transform(st.body, s, params, retTangent) }];
    case 'if':
      return [{ ...st, then: transform(st.then, s, params, retTangent), else: transform(st.else, s, params, retTangent) }];
    case 'do': {
      if (st.e.k !== 'call' || !s.moduleFns.has(st.e.fn)) return [st];
      return [{ k: 'do', e: call(`${st.e.fn}_tan`, ...tangentArgs(st.e.fn, st.e.args, s, params)) }];
    }
    case 'return':
      if (!retTangent || !st.value) return [st];
      return [{ k: 'store', arr: `${P}ret`, i: { k: 'int', v: 0 }, op: '=', value: or0(tangent(st.value, s)) }, st];
    default:
      return [st];
  }
}

/** The tangent of x after `x op= v`, from x and dx before it. */
function updateTangent(op: '=' | '+=' | '-=' | '*=' | '/=', x: Expr, dx: Expr, v: Expr, s: Scope): Expr {
  const dv = tangent(v, s);
  switch (op) {
    case '=':
      return or0(dv);
    case '+=':
      return dv ? bin('+', dx, dv) : dx;
    case '-=':
      return dv ? bin('-', dx, dv) : dx;
    case '*=':
      return or0(add(bin('*', dx, v), mul(x, dv)));
    case '/=':
      return bin('/', or0(sub(dx, mul(bin('/', x, v), dv))), v);
  }
}

/** Removes tangent statements whose tangent is never read (until none is left), keeping outputs. */
function prune(stmts: Stmt[], keep: Set<string>): Stmt[] {
  let cur = stmts;
  for (;;) {
    const used = readsIn(cur);
    const dead = (name: string) => name.startsWith(P) && !used.has(name) && !keep.has(name);
    let removed = false;
    const walk = (list: Stmt[]): Stmt[] =>
      list.flatMap((st): Stmt[] => {
        if ((st.k === 'let' || st.k === 'array' || st.k === 'set') && dead(st.name)) return (removed = true), [];
        if (st.k === 'store' && dead(st.arr)) return (removed = true), [];
        if (st.k === 'for') return [{ ...st, body: walk(st.body) }];
        if (st.k === 'if') return [{ ...st, then: walk(st.then), else: walk(st.else) }];
        return [st];
      });
    cur = walk(cur);
    if (!removed) return cur;
  }
}

/**
 * The tangent versions (`<name>_tan`) of `roots` and of every module function they call, in an order
 * where callees come first. `fns` are the module's functions; names not among them are known functions.
 */
export function tangentFunctions(fns: Fn[], roots: string[], constSizes: Map<string, number> = new Map()): Fn[] {
  const byName = new Map(fns.map((f) => [f.name, f]));
  const moduleFns = new Set(byName.keys());
  const f64Fns = new Set(fns.filter((f) => f.ret === 'f64').map((f) => f.name));
  const params = new Map(fns.map((f) => [f.name, f.params]));
  for (const f of fns) for (const p of f.params) if (p.name.startsWith(P)) throw internal(`tangent: parameter ${p.name} of ${f.name} uses the tangent prefix`);
  const order: Fn[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const f = byName.get(name) as Fn;
    for (const c of callsIn(f.body)) if (moduleFns.has(c)) visit(c);
    order.push(f);
  };
  roots.forEach(visit);
  return order.map((f) => {
    const s: Scope = { kinds: new Map(f.params.map((p) => [p.name, p.type])), f64Fns, moduleFns, counter: { n: 0 }, constSizes, zeros: [] };
    const ps: Param[] = [];
    for (const p of f.params) {
      ps.push(p);
      if (p.type === 'f64' || p.type === 'f64[]') ps.push({ name: P + p.name, type: p.type, out: p.out });
    }
    const retTangent = f.ret === 'f64';
    if (retTangent) ps.push({ name: `${P}ret`, type: 'f64[]', out: true });
    const keep = new Set(ps.filter((p) => p.out).map((p) => p.name));
    const main = transform(f.body, s, params, retTangent);
    const body = prune([...s.zeros, ...main], keep);
    return { name: `${f.name}_tan`, params: ps, ret: f.ret, body, doc: `${f.name} and its derivative along the tangents dd_* of its inputs (forward mode).` };
  });
}
