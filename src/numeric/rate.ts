/** Learning rates given on the command line: γ directly or as η̄ (γ = η̄ n_b/d), expressions in d, nb, p, k. */
import { evaluateExpression } from '../symbolic/expr.ts';
import { usageError } from '../errors.ts';

/** Evaluates a learning-rate expression in d, nb, p, k (e.g. "0.032*p*nb*d^-1.5"). */
export function rateExpression(text: string, scope: { d: number; nb: number; p: number; k: number }, field: string): number {
  const v = evaluateExpression(text, { d: scope.d, nb: scope.nb, p: scope.p, k: scope.k }, field);
  if (v < 0) throw usageError(`evaluates to ${v} at d = ${scope.d}, nb = ${scope.nb}: expected a number ≥ 0`, { field, value: text });
  return v;
}

/**
 * γ from the assignment gamma=… or eta_bar=… (γ = η̄ n_b/d), both expressions in d, nb, p, k; the two
 * assignments are removed from `sets` (the rest are model parameters).
 */
export function learningRate(sets: Record<string, string>, scope: { d: number; nb: number; p: number; k: number }): number {
  if (sets.gamma !== undefined && sets.eta_bar !== undefined) throw usageError('give gamma or eta_bar, not both', { field: 'sets' });
  let gamma: number;
  if (sets.gamma !== undefined) gamma = rateExpression(sets.gamma, scope, 'sets.gamma');
  else if (sets.eta_bar !== undefined) gamma = (rateExpression(sets.eta_bar, scope, 'sets.eta_bar') * scope.nb) / scope.d;
  else throw usageError('give the learning rate: gamma=… or eta_bar=… (γ = η̄ n_b/d; expressions in d, nb, p, k)', { field: 'sets' });
  delete sets.gamma;
  delete sets.eta_bar;
  return gamma;
}
