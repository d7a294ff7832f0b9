/** JavaScript sources of σ, σ′ and the target for the simulation kernel (compiled once per worker). */
import type { Model } from '../spec/model.ts';
import { helperSource, type Expr } from '../symbolic/expr.ts';
import { fmt17 } from '../symbolic/coef.ts';

function fnSource(param: string, body: (helpers: Set<string>) => string): string {
  const helpers = new Set<string>();
  const b = body(helpers);
  return `(function () {\n${helperSource(helpers, false)}\nreturn function (${param}) { return ${b}; };\n})()`;
}

export function kernelSources(model: Model): { sigmaSrc: string; dsigmaSrc: string; targetSrc: string } {
  const one = (e: Expr) => fnSource('x', (h) => e.toJs({ z: 'x' }, h));
  let targetSrc: string;
  const t = model.target;
  if (t.kind === 'committee') {
    const g = t.g.expr;
    targetSrc = fnSource('nu', (h) =>
      t.weights.map((w, r) => `${fmt17(w / model.k)} * ${g.toJs({ z: `nu[${r}]` }, h)}`).join(' + '),
    );
  } else {
    const names = Object.fromEntries(Array.from({ length: model.k }, (_, r) => [`nu${r + 1}`, `nu[${r}]`]));
    targetSrc = fnSource('nu', (h) => t.expr.toJs(names, h));
  }
  return { sigmaSrc: one(model.student.expr), dsigmaSrc: one(model.student.dexpr), targetSrc };
}
