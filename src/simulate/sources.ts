/**
 * JavaScript sources of σ, σ′ and the target for the simulation kernel (compiled once per worker):
 * the model's expressions in hermode's language-neutral code, printed by the untyped TypeScript
 * printer, so the simulator evaluates exactly what the generated files compute.
 */
import type { Model } from '../hermite/model.ts';
import { add, idx, mul, num, v, type Expr as IrExpr } from '../ir/ir.ts';
import { functionSource } from '../ir/js.ts';

const fnSource = (param: string, type: 'f64' | 'f64[]', body: IrExpr) => functionSource({ name: param, type }, body);

export function kernelSources(model: Model): { sigmaSrc: string; dsigmaSrc: string; targetSrc: string } {
  const one = (e: Model['student']['expr']) => fnSource('x', 'f64', e.toIr({ z: v('x') }));
  const t = model.target;
  let target: IrExpr;
  if (t.kind === 'committee') {
    const g = t.g.expr;
    target = t.weights.map((w, r) => mul(num(w / model.k), g.toIr({ z: idx('nu', r) }))).reduce(add);
  } else target = t.expr.toIr(Object.fromEntries(Array.from({ length: model.k }, (_, r) => [`nu${r + 1}`, idx('nu', r)])));
  return { sigmaSrc: one(model.student.expr), dsigmaSrc: one(model.student.dexpr), targetSrc: fnSource('nu', 'f64[]', target) };
}
