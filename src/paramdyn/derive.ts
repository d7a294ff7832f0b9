/**
 * Parameter-space dynamics from a loss (THEORY §4.4): the loss L(a, b) with a, b ∈ ℝ^h is expanded
 * (dot(a,b) → Σ a_i b_i, sumsq(a) → Σ a_i², an optional data set averaged over), differentiated by
 * mathjs into the gradient and the Hessian, common subexpressions are hoisted, and the result is one
 * module of language-neutral code (src/ir): loss, grad, hessian and the gradient-flow right-hand side
 * rhs = −∇L, printed to TypeScript, Python and C. Gradient descent iterates θ ← θ − η ∇L with the same generated gradient.
 */
import { math, type MathNode } from '../symbolic/mathjs.ts';
import { Expr } from '../symbolic/expr.ts';
import { idx, type Expr as IrExpr, type Fn, type Module, type Stmt } from '../ir/ir.ts';
import { instantiate } from '../ir/js.ts';
import { cPrefix } from '../codegen/module.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { usageError, HermodeError } from '../errors.ts';
import type { ParamSpec } from '../spec/load.ts';

type AnyNode = MathNode & Record<string, any>;

export interface ParamModule {
  meta: { name: string; kind: string; h: number; source: string; specHash: string };
  stateNames: readonly string[];
  paramNames: readonly string[];
  defaultParams: readonly number[];
  loss(theta: ArrayLike<number>, params: ArrayLike<number>): number;
  grad(theta: ArrayLike<number>, params: ArrayLike<number>, out: Float64Array | number[]): void;
  hessian(theta: ArrayLike<number>, params: ArrayLike<number>, out: Float64Array | number[]): void;
  rhs(t: number, theta: ArrayLike<number>, params: ArrayLike<number>, dydt: Float64Array | number[]): void;
}

export interface ParamDerivation {
  spec: ParamSpec;
  h: number;
  vars: string[];
  paramNames: string[];
  loss: MathNode;
  gradient: MathNode[];
  hessian: MathNode[][];
  /** m2 and Φ when L = ½ m2 (aᵀb − Φ)² + c (closed forms of THEORY §4.4 apply), else null */
  quadratic: { m2: number; phi: number } | null;
  /** the loss, gradient, Hessian and flow as language-neutral code (printed to TypeScript, Python, C) */
  module: Module;
  tex: string;
  compiled: ParamModule;
}

export function deriveParamSpec(spec: ParamSpec, hOverride?: number, constants?: Record<string, number>): ParamDerivation {
  const h = hOverride ?? spec.width;
  const where = { file: spec.file, field: 'loss', value: spec.loss };
  const a = Array.from({ length: h }, (_, i) => `a${i + 1}`);
  const b = Array.from({ length: h }, (_, i) => `b${i + 1}`);
  const vars = [...a, ...b];
  const consts = { ...spec.constants, ...(constants ?? {}) };
  const paramNames = Object.keys(consts).sort();
  const expand = (text: string) =>
    text
      .replace(/\bdot\s*\(\s*a\s*,\s*b\s*\)/g, `(${a.map((x, i) => `${x}*${b[i]}`).join(' + ')})`)
      .replace(/\bdot\s*\(\s*b\s*,\s*a\s*\)/g, `(${a.map((x, i) => `${x}*${b[i]}`).join(' + ')})`)
      .replace(/\bsumsq\s*\(\s*a\s*\)/g, `(${a.map((x) => `${x}^2`).join(' + ')})`)
      .replace(/\bsumsq\s*\(\s*b\s*\)/g, `(${b.map((x) => `${x}^2`).join(' + ')})`);
  let text: string;
  const defaultLoss = spec.loss === '1/2*(dot(a,b) - Phi)^2';
  if (spec.data && (defaultLoss || !/\b[xy]\b/.test(spec.loss))) {
    const n = spec.data.length;
    text = `1/(2*${n})*(${spec.data.map(([x, y]) => `(dot(a,b)*(${fmt17(x)}) - (${fmt17(y)}))^2`).join(' + ')})`;
  } else if (spec.data) {
    const n = spec.data.length;
    text = `1/${n}*(${spec.data.map(([x, y]) => `(${spec.loss.replace(/\bx\b/g, `(${fmt17(x)})`).replace(/\by\b/g, `(${fmt17(y)})`)})`).join(' + ')})`;
  } else text = spec.loss;
  // validate the loss against the known functions and symbols before expansion; errors name what the user wrote
  try {
    Expr.parse(text.replace(/\bdot\s*\(\s*[ab]\s*,\s*[ab]\s*\)/g, 'DOT').replace(/\bsumsq\s*\(\s*[ab]\s*\)/g, 'DOT'), ['DOT', ...paramNames], where);
  } catch (err) {
    if (err instanceof HermodeError) throw usageError(err.message.replace(/'DOT'/g, 'dot(a,b)'), where);
    throw err;
  }
  const loss = Expr.parse(expand(text), [...vars, ...paramNames], where).node;
  let gradient: MathNode[];
  let hessian: MathNode[][];
  try {
    gradient = vars.map((v) => math.derivative(loss, v));
    hessian = vars.map((_, i) => vars.map((w, j) => (j >= i ? math.derivative(gradient[i], w) : (null as unknown as MathNode))));
    for (let i = 0; i < vars.length; i++) for (let j = 0; j < i; j++) hessian[i][j] = hessian[j][i];
  } catch (err) {
    throw usageError(`mathjs cannot differentiate the loss: ${(err as Error).message}`, where);
  }
  const quadratic = spec.data || defaultLoss ? detectQuadratic(spec, consts) : detectQuadraticNumerically(loss, vars, consts, h);
  const module = paramModule(spec, h, vars, paramNames, consts, loss, gradient, hessian);
  const tex = paramTex(spec, h, loss, gradient, hessian, quadratic);
  return { spec, h, vars, paramNames, loss, gradient, hessian, quadratic, module, tex, compiled: instantiate<ParamModule>(module) };
}

/** L = ½ m2 (s − Φ)² + c for the default loss (m2 = 1) or a data set (m2 = mean x², Φ = mean xy / m2). */
function detectQuadratic(spec: ParamSpec, consts: Record<string, number>): { m2: number; phi: number } | null {
  if (!spec.data) return { m2: 1, phi: consts.Phi ?? 0 };
  const n = spec.data.length;
  const m2 = spec.data.reduce((s, [x]) => s + x * x, 0) / n;
  const mxy = spec.data.reduce((s, [x, y]) => s + x * y, 0) / n;
  return m2 > 0 ? { m2, phi: mxy / m2 } : null;
}

/** For a custom loss: is it ½ m2 (aᵀb − Φ)² + c as a function of s = aᵀb alone? Checked at sample points. */
function detectQuadraticNumerically(loss: MathNode, vars: string[], consts: Record<string, number>, h: number): { m2: number; phi: number } | null {
  const f = loss.compile();
  const at = (a: number[], b: number[]) => f.evaluate({ ...Object.fromEntries(vars.map((v, i) => [v, i < h ? a[i] : b[i - h]])), ...consts }) as number;
  const e = (s: number) => at([s, ...new Array(h - 1).fill(0)], [1, ...new Array(h - 1).fill(0)]);
  const [l0, l1, l2] = [e(0), e(1), e(2)];
  const m2 = l2 - 2 * l1 + l0; // second difference = m2
  if (!(m2 > 0)) return null;
  const phi = 0.5 - (l1 - l0) / m2; // L(1) − L(0) = m2 (1/2 − Φ)
  const q = (s: number) => 0.5 * m2 * (s - phi) ** 2 + (l0 - 0.5 * m2 * phi * phi);
  // same value at other points and other (a, b) with the same s
  const probes: [number[], number[]][] = [
    [[0.3, ...new Array(h - 1).fill(0.2)], [1.1, ...new Array(h - 1).fill(-0.4)]],
    [[-0.7, ...new Array(h - 1).fill(0.5)], [0.9, ...new Array(h - 1).fill(0.1)]],
  ];
  for (const [a, b] of probes) {
    const s = a.reduce((t, x, i) => t + x * b[i], 0);
    if (Math.abs(at(a, b) - q(s)) > 1e-9 * (1 + Math.abs(q(s)))) return null;
  }
  return { m2, phi };
}

/** Hoists repeated subtrees (largest first) into temporaries: common subexpressions computed once. */
function cse(outputs: MathNode[], minSize = 6): { temps: [string, MathNode][]; outputs: MathNode[] } {
  let outs = outputs.map((n) => n.cloneDeep());
  const temps: [string, MathNode][] = [];
  for (let round = 0; round < 40; round++) {
    const count = new Map<string, { node: MathNode; n: number; size: number }>();
    for (const o of [...outs, ...temps.map((t) => t[1])])
      o.traverse((node: AnyNode) => {
        if (node.type === 'ConstantNode' || node.type === 'SymbolNode') return;
        let size = 0;
        node.traverse(() => size++);
        if (size < minSize) return;
        const key = node.toString();
        const c = count.get(key);
        if (c) c.n++;
        else count.set(key, { node, n: 1, size });
      });
    let best: { key: string; node: MathNode; size: number } | undefined;
    for (const [key, c] of count) if (c.n >= 2 && (!best || c.size > best.size)) best = { key, node: c.node, size: c.size };
    if (!best) break;
    const name = `t${temps.length}`;
    const key = best.key;
    const replace = (n: MathNode) => n.transform((m: AnyNode) => (m.toString() === key ? new math.SymbolNode(name) : m));
    temps.push([name, best.node.cloneDeep()]);
    outs = outs.map(replace);
    for (let i = 0; i < temps.length - 1; i++) temps[i][1] = replace(temps[i][1]);
  }
  // a temporary may use later ones: order them by dependency
  const ordered: [string, MathNode][] = [];
  const done = new Set<string>();
  const visit = (t: [string, MathNode]) => {
    if (done.has(t[0])) return;
    t[1].traverse((m: AnyNode) => {
      if (m.type === 'SymbolNode' && /^t\d+$/.test(m.name)) {
        const dep = temps.find((x) => x[0] === m.name);
        if (dep && dep[0] !== t[0]) visit(dep);
      }
    });
    done.add(t[0]);
    ordered.push(t);
  };
  temps.forEach(visit);
  return { temps: ordered, outputs: outs };
}

/** The loss, its gradient and Hessian (common subexpressions once) and the gradient-flow RHS as one IR module. */
function paramModule(
  spec: ParamSpec,
  h: number,
  vars: string[],
  paramNames: string[],
  consts: Record<string, number>,
  loss: MathNode,
  gradient: MathNode[],
  hessian: MathNode[][],
): Module {
  const names: Record<string, IrExpr> = {};
  vars.forEach((v, i) => (names[v] = idx('th', i)));
  paramNames.forEach((c, i) => (names[c] = idx('params', i)));
  const body = (outs: MathNode[], store: (i: number, e: IrExpr) => Stmt[]): Stmt[] => {
    const { temps, outputs } = cse(outs);
    const tNames: Record<string, IrExpr> = { ...names };
    temps.forEach(([n]) => (tNames[n] = { k: 'var', name: n }));
    const stmts: Stmt[] = temps.map(([n, node]) => ({ k: 'let', name: n, type: 'f64', init: Expr.fromNode(node, []).toIr(tNames) }));
    outputs.forEach((o, i) => stmts.push(...store(i, Expr.fromNode(o, []).toIr(tNames))));
    return stmts;
  };
  const n = vars.length;
  const upper: MathNode[] = [];
  const pos: [number, number][] = [];
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      upper.push(hessian[i][j]);
      pos.push([i, j]);
    }
  const th = { name: 'th', type: 'f64[]' as const };
  const pr = { name: 'params', type: 'f64[]' as const };
  const out = { name: 'out', type: 'f64[]' as const, out: true };
  const fns: Fn[] = [
    { name: 'loss', params: [th, pr], ret: 'f64', exported: true, doc: 'L(θ)', body: body([loss], (_, e) => [{ k: 'return', value: e }]) },
    { name: 'grad', params: [th, pr, out], ret: 'void', exported: true, outSize: n, doc: `∇L(θ), ${n} entries`, body: body(gradient, (i, e) => [{ k: 'store', arr: 'out', i: { k: 'int', v: i }, op: '=', value: e }]) },
    {
      name: 'hessian',
      params: [th, pr, out],
      ret: 'void',
      exported: true,
      outSize: n * n,
      doc: `∇²L(θ), ${n}×${n} row-major`,
      body: body(upper, (k, e) => {
        const [i, j] = pos[k];
        const st: Stmt[] = [{ k: 'store', arr: 'out', i: { k: 'int', v: i * n + j }, op: '=', value: e }];
        if (i !== j) st.push({ k: 'store', arr: 'out', i: { k: 'int', v: j * n + i }, op: '=', value: idx('out', i * n + j) });
        return st;
      }),
    },
    {
      name: 'rhs',
      params: [{ name: 't', type: 'f64' }, th, pr, { name: 'dydt', type: 'f64[]', out: true }],
      ret: 'void',
      exported: true,
      outSize: n,
      doc: 'gradient flow: dθ/dt = −∇L(θ)',
      body: [
        { k: 'do', e: { k: 'call', fn: 'grad', args: [{ k: 'var', name: 'th' }, { k: 'var', name: 'params' }, { k: 'var', name: 'dydt' }] } },
        { k: 'for', v: 'i', from: { k: 'int', v: 0 }, to: { k: 'int', v: n }, body: [{ k: 'store', arr: 'dydt', i: { k: 'var', name: 'i' }, op: '=', value: { k: 'neg', a: idx('dydt', { k: 'var', name: 'i' }) } }] },
      ],
    },
  ];
  return {
    header: [
      `Generated by hermode from ${spec.file} — do not edit.`,
      `Regenerate: npx hermode derive ${spec.file}`,
      `Spec hash: ${spec.hash}`,
      `Parameter-space dynamics: θ = (a_1..a_h, b_1..b_h), h = ${h}; gradient flow dθ/dt = −∇L, gradient descent θ ← θ − η∇L.`,
    ],
    prefix: cPrefix(spec.name),
    stateNames: vars.map((v) => v.replace(/^([ab])(\d+)$/, '$1_$2')),
    paramNames,
    defaultParams: paramNames.map((c) => consts[c]),
    sizes: { N_STATE: n, N_PARAMS: paramNames.length },
    records: { meta: { name: spec.name, kind: 'parameter-dynamics', h, source: spec.file, specHash: spec.hash } },
    constants: [],
    functions: fns,
  };
}

function paramTex(spec: ParamSpec, h: number, loss: MathNode, gradient: MathNode[], hessian: MathNode[][], quadratic: { m2: number; phi: number } | null): string {
  const tex = (n: MathNode) => Expr.fromNode(n, []).toTex();
  const lines = [
    `% Generated by hermode from ${spec.file} — do not edit.`,
    `% Regenerate: npx hermode derive ${spec.file}`,
    `% Spec hash: ${spec.hash}`,
    '\\documentclass{article}',
    '\\usepackage{amsmath,amssymb}',
    '\\usepackage[margin=2cm]{geometry}',
    '\\allowdisplaybreaks',
    '\\begin{document}',
    `\\section*{hermode: ${spec.name.replace(/_/g, '\\_')}}`,
    `Parameters $a, b \\in \\mathbb{R}^{${h}}$, loss (gradient and Hessian by symbolic differentiation):`,
    `\\begin{equation*}\nL = ${tex(loss)}\n\\end{equation*}`,
    'Gradient flow $\\dot\\theta = -\\nabla L(\\theta)$; gradient descent $\\theta_{t+1} = \\theta_t - \\eta\\,\\nabla L(\\theta_t)$, with',
  ];
  gradient.forEach((g, i) => lines.push(`\\begin{equation*}\n\\frac{\\partial L}{\\partial ${i < h ? `a_{${i + 1}}` : `b_{${i - h + 1}}`}} = ${tex(g)}\n\\end{equation*}`));
  lines.push(`Hessian entries (first rows):`);
  for (let j = 0; j < Math.min(2 * h, 4); j++)
    lines.push(`\\begin{equation*}\n\\frac{\\partial^2 L}{\\partial a_{1}\\,\\partial ${j < h ? `a_{${j + 1}}` : `b_{${j - h + 1}}`}} = ${tex(hessian[0][j])}\n\\end{equation*}`);
  if (quadratic)
    lines.push(
      `The loss is $\\tfrac12 m_2 (a^\\top b - \\Phi)^2 + c$ with $m_2 = ${fmt17(quadratic.m2)}$, $\\Phi = ${fmt17(quadratic.phi)}$: at a minimum the sharpness is $m_2(\\|a\\|^2 + \\|b\\|^2)$, gradient flow conserves $aa^\\top - bb^\\top$ and ends at $\\lambda_{GF} = m_2\\sqrt{4\\Phi^2 + \\|a_0+b_0\\|^2\\|a_0-b_0\\|^2}$; gradient descent contracts the imbalance by $1 - \\eta^2 m_2^2 \\varepsilon_t^2$ per step.`,
    );
  lines.push('\\end{document}');
  return lines.join('\n') + '\n';
}
