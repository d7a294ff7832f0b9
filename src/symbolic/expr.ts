/**
 * User expressions (activations, targets, losses): parsed by mathjs, validated against the function
 * table, differentiated by hermode's own rule table (mathjs's `derivative` knows neither erf nor
 * ReLU), printed as self-contained JavaScript and as LaTeX, and — when they are polynomials — turned
 * into exact `Poly`s for the Wick stage.
 */
import { math, type MathNode } from './mathjs.ts';
import { FUNCTIONS, hermiteIndex, knownFunctionNames } from './functions.ts';
import type { Expr as IrExpr } from '../ir/ir.ts';
import { compileExpr } from '../ir/js.ts';
import { usageError, type ErrorWhere, internal } from '../errors.ts';
import { Coef } from './coef.ts';
import { Poly } from './poly.ts';

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

type AnyNode = MathNode & Record<string, any>;

export class Expr {
  readonly text: string;
  readonly node: MathNode;
  readonly vars: readonly string[];

  private constructor(text: string, node: MathNode, vars: readonly string[]) {
    this.text = text;
    this.node = node;
    this.vars = vars;
  }

  /**
   * Parses and validates `text` as a function of `vars`. Throws a usage error naming `where` for
   * unparsable text, unknown functions, wrong arity and unknown symbols.
   */
  static parse(text: string, vars: readonly string[], where: ErrorWhere = {}): Expr {
    let node: MathNode;
    try {
      node = math.parse(String(text));
    } catch (err) {
      throw usageError(`cannot parse expression: ${(err as Error).message}`, { ...where, value: text });
    }
    validate(node as AnyNode, vars, { ...where, value: text });
    return new Expr(String(text), node, vars);
  }

  static fromNode(node: MathNode, vars: readonly string[]): Expr {
    return new Expr(node.toString(), node, vars);
  }

  /** ∂/∂v by the chain rule over the function table. */
  derivative(v: string): Expr {
    return Expr.fromNode(diff(this.node as AnyNode, v), this.vars);
  }

  /** Replaces the variables by other expressions (by name). */
  substitute(map: Record<string, MathNode>): Expr {
    const node = this.node.transform((n: AnyNode) => (n.type === 'SymbolNode' && map[n.name] ? map[n.name].cloneDeep() : n));
    return Expr.fromNode(node, this.vars);
  }

  /** Variables that actually occur. */
  freeVariables(): string[] {
    const seen = new Set<string>();
    this.node.traverse((n: AnyNode) => {
      if (n.type === 'SymbolNode' && this.vars.includes(n.name)) seen.add(n.name);
    });
    return this.vars.filter((v) => seen.has(v));
  }

  /**
   * The expression in hermode's language-neutral code (src/ir), variables replaced by `names[v]`
   * (default: a variable of the same name).
   */
  toIr(names: Record<string, IrExpr> = {}): IrExpr {
    return irOf(this.node as AnyNode, names);
  }

  /** A plain JS function of the variables in order. */
  compile(): (...args: number[]) => number {
    return compileExpr(this.toIr(), this.vars);
  }

  toTex(): string {
    return this.node.toTex({ parenthesis: 'auto', implicit: 'show', handler: texHandler } as any);
  }

  /** The exact polynomial in `vars`, or undefined when the expression is not a polynomial. */
  toPoly(): Poly | undefined {
    return toPoly(this.node as AnyNode, this.vars);
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Evaluates a numeric expression in named variables (learning rates, batch sizes, horizons given on
 * the command line); a usage error names `field` when it does not parse or is not finite.
 */
export function evaluateExpression(text: string, vars: Record<string, number>, field: string): number {
  // a plain decimal literal ("0.5", "1e-3") reads as the same double without the parser (mathjs costs
  // ~0.1 s to load, more than a short command's own work)
  const names = Object.keys(vars);
  const v = DECIMAL.test(text.trim()) ? Number(text.trim()) : Expr.parse(text, names, { field, value: text }).compile()(...names.map((n) => vars[n]));
  if (!Number.isFinite(v)) throw usageError(`evaluates to ${v} at ${names.map((n) => `${n} = ${vars[n]}`).join(', ')}`, { field, value: text });
  return v;
}

function validate(node: AnyNode, vars: readonly string[], where: ErrorWhere): void {
  node.traverse((n: AnyNode, _path: string, parent: AnyNode | null) => {
    switch (n.type) {
      case 'ConstantNode':
        if (typeof n.value !== 'number') throw usageError(`only numeric constants are allowed, got ${JSON.stringify(n.value)}`, where);
        return;
      case 'SymbolNode': {
        if (parent && parent.type === 'FunctionNode' && parent.fn === n) return;
        if (vars.includes(n.name) || n.name in CONSTANTS) return;
        const hint = vars.length ? ` (variables: ${vars.join(', ')}; constants: pi, e)` : '';
        throw usageError(`unknown symbol '${n.name}'${hint}`, where);
      }
      case 'OperatorNode':
        if (!['add', 'subtract', 'multiply', 'divide', 'pow', 'unaryMinus', 'unaryPlus'].includes(n.fn))
          throw usageError(`operator '${n.op}' is not allowed`, where);
        return;
      case 'ParenthesisNode':
        return;
      case 'FunctionNode': {
        const name: string = n.fn?.name ?? n.name;
        const he = hermiteIndex(name);
        const rule = FUNCTIONS[name];
        if (he === undefined && !rule)
          throw usageError(`unknown function '${name}' (known: ${knownFunctionNames().join(', ')})`, where);
        const arity = he !== undefined ? 1 : rule.arity;
        if (n.args.length !== arity) throw usageError(`function '${name}' takes ${arity} argument(s), got ${n.args.length}`, where);
        return;
      }
      default:
        throw usageError(`unsupported syntax (${n.type})`, where);
    }
  });
}

// ---------- differentiation ----------

const C = (x: number): AnyNode => new math.ConstantNode(x) as AnyNode;
const isConst = (n: AnyNode, v?: number): boolean =>
  n.type === 'ConstantNode' && (v === undefined || n.value === v);
const strip = (n: AnyNode): AnyNode => (n.type === 'ParenthesisNode' ? strip(n.content) : n);

function add(a: AnyNode, b: AnyNode): AnyNode {
  if (isConst(a, 0)) return b;
  if (isConst(b, 0)) return a;
  if (isConst(a) && isConst(b)) return C(a.value + b.value);
  return new math.OperatorNode('+', 'add', [a, b]) as AnyNode;
}
function sub(a: AnyNode, b: AnyNode): AnyNode {
  if (isConst(b, 0)) return a;
  if (isConst(a) && isConst(b)) return C(a.value - b.value);
  if (isConst(a, 0)) return neg(b);
  return new math.OperatorNode('-', 'subtract', [a, b]) as AnyNode;
}
function neg(a: AnyNode): AnyNode {
  if (isConst(a)) return C(-a.value);
  return new math.OperatorNode('-', 'unaryMinus', [a]) as AnyNode;
}
function mul(a: AnyNode, b: AnyNode): AnyNode {
  if (isConst(a, 0) || isConst(b, 0)) return C(0);
  if (isConst(a, 1)) return b;
  if (isConst(b, 1)) return a;
  if (isConst(a) && isConst(b)) return C(a.value * b.value);
  return new math.OperatorNode('*', 'multiply', [a, b]) as AnyNode;
}
function div(a: AnyNode, b: AnyNode): AnyNode {
  if (isConst(a, 0)) return C(0);
  if (isConst(b, 1)) return a;
  return new math.OperatorNode('/', 'divide', [a, b]) as AnyNode;
}
function pow(a: AnyNode, b: AnyNode): AnyNode {
  if (isConst(b, 1)) return a;
  if (isConst(b, 0)) return C(1);
  return new math.OperatorNode('^', 'pow', [a, b]) as AnyNode;
}
function call(name: string, args: AnyNode[]): AnyNode {
  return new math.FunctionNode(new math.SymbolNode(name), args) as AnyNode;
}

function dependsOn(n: AnyNode, v: string): boolean {
  let found = false;
  n.traverse((m: AnyNode, _p: string, parent: AnyNode | null) => {
    if (m.type === 'SymbolNode' && m.name === v && !(parent?.type === 'FunctionNode' && parent.fn === m)) found = true;
  });
  return found;
}

const templateCache = new Map<string, AnyNode>();
function template(src: string): AnyNode {
  let t = templateCache.get(src);
  if (!t) templateCache.set(src, (t = math.parse(src) as AnyNode));
  return t;
}
function instantiate(src: string, map: Record<string, AnyNode>): AnyNode {
  return template(src).transform((m: AnyNode) =>
    m.type === 'SymbolNode' && map[m.name] ? map[m.name].cloneDeep() : m,
  ) as AnyNode;
}

function diff(node: AnyNode, v: string): AnyNode {
  const n = strip(node);
  if (!dependsOn(n, v)) return C(0);
  switch (n.type) {
    case 'SymbolNode':
      return C(n.name === v ? 1 : 0);
    case 'OperatorNode': {
      const [a, b] = n.args as AnyNode[];
      switch (n.fn) {
        case 'add':
          return add(diff(a, v), diff(b, v));
        case 'subtract':
          return sub(diff(a, v), diff(b, v));
        case 'unaryMinus':
          return neg(diff(a, v));
        case 'unaryPlus':
          return diff(a, v);
        case 'multiply':
          return add(mul(diff(a, v), b), mul(a, diff(b, v)));
        case 'divide':
          if (!dependsOn(b, v)) return div(diff(a, v), b);
          return div(sub(mul(diff(a, v), b), mul(a, diff(b, v))), pow(b, C(2)));
        case 'pow': {
          if (!dependsOn(b, v)) {
            const bb = strip(b);
            const lower = isConst(bb) ? C(bb.value - 1) : sub(b, C(1));
            return mul(mul(b, pow(a, lower)), diff(a, v));
          }
          // a^b = exp(b log a)
          return mul(n, add(mul(diff(b, v), call('log', [a])), div(mul(b, diff(a, v)), a)));
        }
      }
      break;
    }
    case 'FunctionNode': {
      const name: string = n.fn.name;
      const args = n.args as AnyNode[];
      const he = hermiteIndex(name);
      if (he !== undefined) {
        if (he === 0) return C(0);
        return mul(mul(C(he), call(`He${he - 1}`, [args[0]])), diff(args[0], v));
      }
      const rule = FUNCTIONS[name];
      if (rule.arity === 1) return mul(instantiate(rule.derivative as string, { u: args[0] }), diff(args[0], v));
      const [du, dv] = rule.derivative as [string, string];
      const map = { u: args[0], v: args[1] };
      return add(mul(instantiate(du, map), diff(args[0], v)), mul(instantiate(dv, map), diff(args[1], v)));
    }
  }
  throw internal(`cannot differentiate ${n.type}`);
}

// ---------- printing ----------

function irOf(node: AnyNode, names: Record<string, IrExpr>): IrExpr {
  const n = strip(node);
  switch (n.type) {
    case 'ConstantNode':
      return { k: 'num', v: n.value };
    case 'SymbolNode':
      if (n.name in names) return names[n.name];
      if (n.name in CONSTANTS) return { k: 'num', v: CONSTANTS[n.name] };
      return { k: 'var', name: n.name };
    case 'OperatorNode': {
      const a = n.args.map((x: AnyNode) => irOf(x, names));
      const op = { add: '+', subtract: '-', multiply: '*', divide: '/' }[n.fn as string] as '+' | '-' | '*' | '/' | undefined;
      if (op) return { k: 'bin', op, a: a[0], b: a[1] };
      if (n.fn === 'unaryMinus') return { k: 'neg', a: a[0] };
      if (n.fn === 'unaryPlus') return a[0];
      if (n.fn === 'pow') {
        const e = strip(n.args[1]);
        if (isConst(e) && Number.isInteger(e.value) && e.value >= 2 && e.value <= 16) return { k: 'pow', a: a[0], n: e.value };
        if (isConst(e) && e.value === 1) return a[0];
        return { k: 'call', fn: 'pow', args: a };
      }
      break;
    }
    case 'FunctionNode': {
      const name: string = n.fn.name;
      const a = n.args.map((x: AnyNode) => irOf(x, names));
      if (hermiteIndex(name) !== undefined) return { k: 'call', fn: name, args: a };
      return FUNCTIONS[name].ir(a);
    }
  }
  throw internal(`cannot translate ${n.type}`);
}

function texHandler(node: AnyNode, options: object): string | undefined {
  if (node.type === 'SymbolNode') {
    const m = /^([a-zA-Z]+?)(\d+)$/.exec(node.name);
    const greek = new Set(['nu', 'lambda', 'mu', 'alpha', 'beta', 'gamma', 'eta', 'kappa', 'tau']);
    // braced, so that a preceding \cdot or \, never fuses with the name
    if (m) return `{${greek.has(m[1]) ? '\\' + m[1] : m[1]}_{${m[2]}}}`;
    if (greek.has(node.name)) return `{\\${node.name}}`;
    return ` ${node.name}`;
  }
  if (node.type === 'FunctionNode') {
    const name: string = node.fn.name;
    const args = node.args.map((a: AnyNode) => a.toTex(options));
    const he = hermiteIndex(name);
    if (he !== undefined) return `\\mathrm{He}_{${he}}\\left(${args[0]}\\right)`;
    const rule = FUNCTIONS[name];
    if (rule) return rule.tex(args);
  }
  return undefined;
}

// ---------- polynomials ----------

function toPoly(node: AnyNode, vars: readonly string[]): Poly | undefined {
  const nv = vars.length;
  const n = strip(node);
  switch (n.type) {
    case 'ConstantNode':
      return Poly.constant(nv, Coef.fromNumber(n.value));
    case 'SymbolNode': {
      const i = vars.indexOf(n.name);
      if (i >= 0) return Poly.variable(nv, i);
      if (n.name in CONSTANTS) return Poly.constant(nv, Coef.float(CONSTANTS[n.name]));
      return undefined;
    }
    case 'OperatorNode': {
      const args = (n.args as AnyNode[]).map((a) => toPoly(a, vars));
      if (args.some((a) => a === undefined)) return undefined;
      const [a, b] = args as Poly[];
      switch (n.fn) {
        case 'add':
          return a.add(b);
        case 'subtract':
          return a.sub(b);
        case 'unaryMinus':
          return a.scale(Coef.int(-1));
        case 'unaryPlus':
          return a;
        case 'multiply':
          return a.mul(b);
        case 'divide': {
          const c = constantOf(b);
          if (!c || c.isZero()) return undefined;
          return a.scale(c.inverse());
        }
        case 'pow': {
          const c = constantOf(b);
          const r = c?.asRational();
          if (!r || !r.isInteger() || r.sign() < 0 || r.n > 64n) {
            // a constant base to a constant power is a constant
            const base = constantOf(a);
            if (base && c) return Poly.constant(nv, Coef.float(base.toNumber() ** c.toNumber()));
            return undefined;
          }
          return a.pow(Number(r.n));
        }
      }
      return undefined;
    }
    case 'FunctionNode': {
      const name: string = n.fn.name;
      const args = (n.args as AnyNode[]).map((a) => toPoly(a, vars));
      if (args.some((a) => a === undefined)) return undefined;
      const he = hermiteIndex(name);
      if (he !== undefined) return hermitePolyOf(args[0] as Poly, he);
      const consts = (args as Poly[]).map(constantOf);
      if (consts.some((c) => !c)) return undefined;
      if (name === 'sqrt') {
        const s = (consts[0] as Coef).sqrt();
        return Poly.constant(nv, s ?? Coef.float(Math.sqrt((consts[0] as Coef).toNumber())));
      }
      // any other function of constants is a (floating) constant
      const f = Expr.fromNode(n, []).compile();
      return Poly.constant(nv, Coef.float(f()));
    }
  }
  return undefined;
}

function constantOf(p: Poly): Coef | undefined {
  if (p.isZero()) return Coef.zero;
  if (p.totalDegree() !== 0) return undefined;
  return p.terms()[0].c;
}

/** He_n(q) for a polynomial argument q, by the recurrence He_{m+1} = x He_m − m He_{m−1}. */
function hermitePolyOf(q: Poly, n: number): Poly {
  let h0 = Poly.constant(q.nv, Coef.one);
  if (n === 0) return h0;
  let h1 = q;
  for (let m = 1; m < n; m++) {
    const h2 = q.mul(h1).sub(h0.scale(Coef.int(m)));
    h0 = h1;
    h1 = h2;
  }
  return h1;
}
