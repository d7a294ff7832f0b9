/** What the consumers read of the registries (src/rules/index.ts): names, lookups, parameters, help. */
import { usageError } from '../errors.ts';
import type { LrRuleDef, BatchRuleDef, RuleParam } from './types.ts';
import { LR_RULE_DEFS, BATCH_RULE_DEFS } from './index.ts';

export { LR_RULE_DEFS, BATCH_RULE_DEFS };
export type { LrRuleDef, BatchRuleDef, RuleParam, RuleValue, RateProbe, LossProbe, BatchPolicy, Measure } from './types.ts';

export const LR_RULES: readonly string[] = LR_RULE_DEFS.map((r) => r.name);
export const BATCH_RULES: readonly string[] = BATCH_RULE_DEFS.map((r) => r.name);

/** The rule of no rule: a constant rate, a constant batch. */
export const CONSTANT = 'constant';

export function lrRuleNamed(name: string): LrRuleDef {
  const r = LR_RULE_DEFS.find((x) => x.name === name);
  if (!r) throw usageError(`unknown learning-rate rule; expected one of ${LR_RULE_DEFS.map((x) => x.name).join(', ')}`, { field: 'rules.lr', value: name });
  return r;
}

export function batchRuleNamed(name: string): BatchRuleDef {
  const r = BATCH_RULE_DEFS.find((x) => x.name === name);
  if (!r) throw usageError(`unknown batch-size rule; expected one of ${BATCH_RULE_DEFS.map((x) => x.name).join(', ')}`, { field: 'rules.batch', value: name });
  return r;
}

/** Every rule parameter by its `--set` name (a name two rules share is declared once). */
export function ruleParams(defs: readonly { params: RuleParam[] }[]): RuleParam[] {
  const seen = new Map<string, RuleParam>();
  for (const d of defs) for (const p of d.params) if (!seen.has(p.name)) seen.set(p.name, p);
  return [...seen.values()];
}

/** `--set` names the rules take (removed from the model's parameters). */
export const RULE_PARAMS: readonly string[] = ruleParams([...LR_RULE_DEFS, ...BATCH_RULE_DEFS]).map((p) => p.name);

/** One line per rule for `--help`: name, formula, parameters (with defaults). */
export function rulesHelp(defs: readonly (LrRuleDef | BatchRuleDef)[]): string {
  return defs
    .map((d) => `${d.name}: ${d.summary}${d.params.length ? ` [${d.params.map((p) => (p.default !== undefined ? `${p.name}=${p.default}` : p.optional ? `${p.name}?` : p.name)).join(', ')}]` : ''}`)
    .join('; ');
}

