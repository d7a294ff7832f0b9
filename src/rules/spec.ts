/**
 * Learning-rate and batch-size rules (THEORY §4.5–§4.7) as data: what the command line (`--lr-rule`,
 * `--batch-rule`, `--batch-schedule`, rule parameters by `--set`) or a derivation file's `rules:` block
 * asks for, validated once against the rules' declared parameters (src/rules/index.ts). The overlap
 * level (src/numeric/rules.ts) and the simulators (src/rules/runtime.ts) read this value; neither
 * parses options.
 *
 * The second layer, when trained, moves at γ_a = κ·γ_t (κ = `kappa`, the derivation's ratio).
 */
import { usageError } from '../errors.ts';
import type { RuleValue, RuleParam, BatchRuleDef, LrRuleDef } from './types.ts';
import { LR_RULES, BATCH_RULES, RULE_PARAMS, CONSTANT, LR_RULE_DEFS, BATCH_RULE_DEFS, lrRuleNamed, batchRuleNamed } from './registry.ts';

export type LrRule = RuleValue;
export type BatchRule = RuleValue;

export interface Rules {
  lr: LrRule;
  batch: BatchRule;
}

export { LR_RULES, BATCH_RULES, RULE_PARAMS };

export const CONSTANT_RULES: Rules = { lr: { kind: CONSTANT }, batch: { kind: CONSTANT } };

export function isConstant(r: Rules | undefined): boolean {
  return !r || (r.lr.kind === CONSTANT && r.batch.kind === CONSTANT);
}

/** The `rules:` block of a derivation file (validated by the schema built from the rules' parameters; names as in the file). */
export interface RulesBlock {
  lr?: Record<string, unknown>;
  batch?: Record<string, unknown>;
}

export interface RuleOptions {
  lrRule?: string;
  batchRule?: string;
  batchSchedule?: string;
  lrSchedule?: string;
}

const NEED_TEXT: Record<RuleParam['need'], string> = {
  positive: 'must be a finite number > 0',
  nonneg: 'must be ≥ 0',
  int1: 'must be an integer ≥ 1',
  int0: 'must be an integer ≥ 0',
  flag: 'must be 0 or 1',
};

function satisfies(v: number, need: RuleParam['need']): boolean {
  if (!Number.isFinite(v)) return false;
  switch (need) {
    case 'positive':
      return v > 0;
    case 'nonneg':
      return v >= 0;
    case 'int1':
      return Number.isInteger(v) && v >= 1;
    case 'int0':
      return Number.isInteger(v) && v >= 0;
    case 'flag':
      return v === 0 || v === 1;
  }
}

/**
 * The rules of a run: the command line over the derivation file's block over constant. Rule
 * parameters are taken out of `sets` (what remains are model parameters). Every failure is a usage
 * error naming the option and value.
 */
export function resolveRules(o: RuleOptions, sets: Record<string, string>, block?: RulesBlock, where: { file?: string } = {}): Rules {
  const taken: Record<string, string> = {};
  for (const name of RULE_PARAMS)
    if (sets[name] !== undefined) {
      taken[name] = sets[name];
      delete sets[name];
    }
  const lrKind = o.lrRule ?? (o.lrSchedule !== undefined ? LR_RULE_DEFS.find((d) => d.text?.option === '--lr-schedule')?.name : undefined) ?? (block?.lr?.rule as string | undefined) ?? CONSTANT;
  if (!LR_RULES.includes(lrKind)) throw usageError(`unknown learning-rate rule; expected one of ${LR_RULES.join(', ')}`, { field: '--lr-rule', value: lrKind });
  const batchKind = o.batchRule ?? (o.batchSchedule !== undefined ? BATCH_RULE_DEFS.find((d) => d.text?.option === '--batch-schedule')?.name : undefined) ?? (block?.batch?.rule as string | undefined) ?? CONSTANT;
  if (!BATCH_RULES.includes(batchKind)) throw usageError(`unknown batch-size rule; expected one of ${BATCH_RULES.join(', ')}`, { field: '--batch-rule', value: batchKind });
  const lrDef = lrRuleNamed(lrKind);
  const batchDef = batchRuleNamed(batchKind);
  if (o.batchSchedule !== undefined && !batchDef.text)
    throw usageError(`--batch-schedule needs --batch-rule schedule (or no --batch-rule)`, { field: '--batch-rule', value: batchKind });
  if (o.lrSchedule !== undefined && !lrDef.text) throw usageError(`--lr-schedule needs --lr-rule schedule (or no --lr-rule)`, { field: '--lr-rule', value: lrKind });
  const mine = new Set([...lrDef.params, ...batchDef.params].map((p) => p.name));
  for (const n of Object.keys(taken))
    if (!mine.has(n)) {
      const ofLr = LR_RULE_DEFS.some((d) => d.params.some((p) => p.name === n));
      throw usageError(`is a parameter of another rule; the ${ofLr ? `${lrKind} learning-rate` : `${batchKind} batch-size`} rule does not take it`, { field: `--set ${n}`, value: taken[n] });
    }
  const lr = values(lrDef, `${lrKind} learning-rate`, taken, block?.lr, where);
  const batch = values(batchDef, `${batchKind} batch-size`, taken, block?.batch, where);
  const fieldOf = (name: string) => (taken[name] !== undefined ? `--set ${name}` : `rules.${name}`);
  if (batchDef.text) {
    const textField = takeText(batch, batchDef.text, o.batchSchedule, block?.batch, 'batch', `the ${batchKind} batch-size rule`, where);
    batchDef.check?.(batch, () => textField);
  } else batchDef.check?.(batch, fieldOf);
  if (lrDef.text) takeText(lr, lrDef.text, o.lrSchedule, block?.lr, 'lr', `the ${lrKind} learning-rate rule`, where);
  return { lr, batch };
}

/** A rule's text parameter (a schedule's expression) from its option or the file's block, into the value; returns the field it came from. */
function takeText(v: RuleValue, text: NonNullable<BatchRuleDef['text']>, given: string | undefined, block: Record<string, unknown> | undefined, kind: 'lr' | 'batch', title: string, where: { file?: string }): string {
  const value = given ?? (block?.[text.field] as string | undefined);
  if (value === undefined) throw usageError(`${title} needs ${text.option} "${text.doc}"`, { ...where, field: text.option });
  (v as Record<string, unknown>)[text.key] = value;
  return given !== undefined ? text.option : `rules.${kind}.${text.field}`;
}

/** The values of one rule's parameters: `--set` over the file's block over the declared default. */
function values(def: LrRuleDef | BatchRuleDef, title: string, taken: Record<string, string>, block: Record<string, unknown> | undefined, where: { file?: string }): RuleValue {
  const v: Record<string, number | boolean | string> = { kind: def.name };
  for (const p of def.params) {
    let x: number;
    let field = `--set ${p.name}`;
    const text = taken[p.name];
    if (text !== undefined) x = Number(text);
    else if (typeof block?.[p.name] === 'number') {
      x = block[p.name] as number;
      field = `rules.${p.name}`;
    } else if (p.default !== undefined) x = p.default;
    else if (p.optional) continue;
    else throw usageError(`the ${title} rule needs it`, { ...where, field });
    if (!satisfies(x, p.need)) throw usageError(NEED_TEXT[p.need], { ...where, field, value: text ?? x });
    v[p.key] = p.need === 'flag' ? x === 1 : x;
  }
  return v as RuleValue;
}

/** One line naming the rules, for tables and report headers. */
export function describeRules(r: Rules): string {
  return `${lrRuleNamed(r.lr.kind).describe(r.lr)}; ${batchRuleNamed(r.batch.kind).describe(r.batch)}`;
}
