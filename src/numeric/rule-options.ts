/** The rule options shared by integrate, map, simulate, compare and sweep. */
import { resolveRules, type Rules } from '../rules/spec.ts';
import { lrRuleNamed, batchRuleNamed } from '../rules/registry.ts';
import type { Spec } from '../spec/load.ts';
import { learningRate } from './rate.ts';
import { usageError } from '../errors.ts';

export interface RuleOpts {
  lrRule?: string;
  batchRule?: string;
  batchSchedule?: string;
  lrSchedule?: string;
}

/** The rules of a run (command line over the file's `rules:` block); rule parameters leave `sets`. */
export function rulesOf(o: RuleOpts, sets: Record<string, string>, spec: Spec): Rules {
  return resolveRules(o, sets, spec.rules, { file: spec.file });
}

/** The batch a rule starts from (AdaDamp: n_b0), for γ = η̄ n_b/d and expressions in nb. */
export function startBatch(rules: Rules, nb: number): number {
  return batchRuleNamed(rules.batch.kind).startBatch?.(rules.batch) ?? nb;
}

/**
 * γ from gamma=… or eta_bar=… where the rule needs one (a constant rate; MCLR's first step); a
 * rule that sets the rate itself (LARS, CBLR) refuses them and returns NaN.
 */
export function ruleRate(rules: Rules, sets: Record<string, string>, scope: { d: number; nb: number; p: number; k: number }): number {
  if (rateFromRule(rules, sets)) return NaN;
  return learningRate(sets, { ...scope, nb: startBatch(rules, scope.nb) });
}

/** Whether the rule sets the rate itself (LARS, CBLR); then gamma=… or eta_bar=… is refused. */
export function rateFromRule(rules: Rules, sets: Record<string, string>): boolean {
  const def = lrRuleNamed(rules.lr.kind);
  if (def.given !== 'refused') return false;
  const instead = def.params.some((p) => p.name === 'gamma0') ? 'give its base rate gamma0=… instead' : def.text ? `it comes from ${def.text.option}` : 'drop it';
  for (const name of ['gamma', 'eta_bar'])
    if (sets[name] !== undefined) throw usageError(`the ${rules.lr.kind} rule sets the learning rate itself: ${instead}`, { field: `--set ${name}`, value: sets[name] });
  return true;
}
