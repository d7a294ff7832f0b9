/** `hermode hermite`: Hermite coefficients, exponents and leap indices of an activation or a target. */
import { activation, type Activation } from '../hermite/activation.ts';
import { hermiteCoefficients, pairExponent, multivariateHermite, lowestDegreePerDirection, rescaledActivation, leapIndex } from '../hermite/hermite.ts';
import { Expr } from '../symbolic/expr.ts';
import { usageError } from '../errors.ts';
import { numberValue } from '../numeric/setup.ts';
import { num, table } from '../report/format.ts';
import { maxOf } from '../extrema.ts';
import { out, warn } from './print.ts';

export function hermiteCommand(text: string, o: { order: string; target?: string; json?: boolean; variance?: string; leap?: boolean }): void {
  const q = numberValue(o.variance ?? '1', '--variance');
  if (!(q > 0)) throw usageError('must be > 0', { field: '--variance', value: o.variance });
  const order = Number(o.order);
  if (!Number.isInteger(order) || order < 0 || order > 30) throw usageError('must be an integer between 0 and 30', { field: '--order', value: o.order });
  const nuVars = (text.match(/\bnu(\d+)\b/g) ?? []).map((s) => Number(s.slice(2)));
  if (nuVars.length && !/\bz\b/.test(text)) {
    const k = maxOf(nuVars);
    const vars = Array.from({ length: k }, (_, r) => `nu${r + 1}`);
    const expr = Expr.parse(text, vars, { field: 'expression' });
    const poly = expr.toPoly();
    if (!poly) throw usageError(`${o.leap ? 'the leap index' : 'multivariate expansions'} need${o.leap ? 's' : ''} a polynomial in nu1..nuk`, { field: 'expression', value: text });
    const terms = multivariateHermite(poly);
    const lowest = lowestDegreePerDirection(terms, k);
    const leap = o.leap ? leapIndex(terms, k) : undefined;
    const termName = (t: (typeof terms)[number]) => t.alpha.map((a, r) => (a ? `He${a}(nu${r + 1})` : '')).filter(Boolean).join('·') || '1';
    if (o.json) {
      const leapJson = leap ? { leap: { index: leap.leap, order: leap.order.map((i) => ({ term: termName(terms[i]), alpha: terms[i].alpha, newDegrees: leap.steps[leap.order.indexOf(i)] })) } } : {};
      out(JSON.stringify({ expression: text, variables: vars, terms, lowestDegreePerDirection: lowest, ...leapJson }, null, 2));
      return;
    }
    out(`${text} = Σ c_α Π He_{α_r}(ν_r)   (probabilists' Hermite; exact)`);
    out(table(['term', 'c_α', 'exact'], terms.map((t) => [t.alpha.map((a, r) => (a ? `He${a}(nu${r + 1})` : '')).filter(Boolean).join('·') || '1', t.coefficient, t.exact]), ['l', 'r', 'l']));
    out(`lowest degree per direction: ${lowest.map((l, r) => `nu${r + 1}: ${l ?? '—'}`).join(', ')}`);
    if (leap)
      out(`leap index ${leap.leap} (THEORY §4.3, in this basis): ${leap.order.map((i, n) => `${termName(terms[i])} (+${leap.steps[n]})`).join(' → ')}`);
    return;
  }
  if (o.leap) throw usageError('--leap needs a polynomial target in nu1..nuk, e.g. "nu1 + nu1*nu2"', { field: 'expression', value: text });
  const act0 = activation(text, { field: 'expression' });
  const act = q === 1 ? act0 : rescaledActivation(act0, q);
  const rep = hermiteCoefficients(act, order);
  let pair: number | null | undefined;
  let targetRep: ReturnType<typeof hermiteCoefficients> | undefined;
  if (o.target) {
    const g = activation(o.target, { field: '--target' });
    targetRep = hermiteCoefficients(q === 1 ? g : rescaledActivation(g, q), order);
    pair = pairExponent(rep, targetRep);
  }
  const warnings: string[] = [];
  if (o.target && pair === null) warnings.push(`no k ≤ ${order} has c_k(σ) c_k(g) ≠ 0: the student gets no drift toward this target (infinite pair exponent)`);
  else if (o.target && targetRep && pair != null && targetRep.informationExponent != null && pair > targetRep.informationExponent)
    warnings.push(`the pair exponent ${pair} exceeds the target's information exponent ${targetRep.informationExponent}: the student misses the target's leading Hermite component`);
  if (o.json) {
    out(
      JSON.stringify(
        {
          expression: text,
          family: familyName(act),
          variance: q,
          method: rep.method,
          accuracy: rep.accuracy,
          coefficients: rep.coefficients,
          ...(rep.exact ? { exact: rep.exact } : {}),
          meanSquare: rep.meanSquare,
          derivativeSquare: rep.derivativeSquare,
          informationExponent: rep.informationExponent,
          ...(o.target ? { target: o.target, targetCoefficients: targetRep?.coefficients, targetInformationExponent: targetRep?.informationExponent, pairExponent: pair } : {}),
          warnings,
        },
        null,
        2,
      ),
    );
    return;
  }
  out(`f(z) = ${text}   [${familyName(act)}; coefficients ${rep.method}${rep.method === 'quadrature' ? `, estimated error ${rep.accuracy.toExponential(1)}` : ''}]`);
  out(q === 1 ? `c_k = E[f(x) He_k(x)]/k!, x ~ N(0,1), probabilists' Hermite` : `c_k of x ↦ f(√q x), q = ${q}: E[f(√q x) He_k(x)]/k!, x ~ N(0,1), probabilists' Hermite`);
  const rows = rep.coefficients.map((c, k) => [String(k), c, ...(rep.exact ? [rep.exact[k]] : []), ...(targetRep ? [targetRep.coefficients[k]] : [])]);
  out(table(['k', 'c_k', ...(rep.exact ? ['exact'] : []), ...(targetRep ? ['c_k(g)'] : [])], rows, ['r', 'r', 'l', 'r']));
  out(`E[f²] = ${num(rep.meanSquare, 8)}   E[f′²] = ${num(rep.derivativeSquare, 8)}`);
  out(`information exponent: ${rep.informationExponent ?? `none up to order ${order}`}`);
  if (o.target) out(`pair exponent with g = ${o.target}: ${pair ?? `none up to order ${order}`}`);
  for (const w of warnings) warn(w);
}

/** polynomial, general, or the closed-form family's name (erf, relu). */
const familyName = (act: Activation): string => (act.family.kind === 'closed' ? act.family.name : act.family.kind);
