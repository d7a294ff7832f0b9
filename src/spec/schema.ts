/**
 * The derivation file (`derivations/X.yaml`), validated with zod. Field names follow the file; the
 * normalised `Spec` is what every later stage reads.
 */
import { z } from 'zod';
import { LOSS_NAMES } from '../loss/index.ts';
import { REGULARISERS } from '../regularisers/index.ts';
import { LR_RULE_DEFS, BATCH_RULE_DEFS, ruleParams, type LrRuleDef, type BatchRuleDef, type RuleParam } from '../rules/registry.ts';

const expression = z.string().min(1);
const positiveInt = z.number().int().min(1);

export const secondLayerSchema = z
  .object({
    train: z.boolean().default(false),
    init: z.array(z.number()).optional(),
  })
  .strict();

/** A parameter of a rule as the file gives it: the check its declaration names (src/rules/types.ts). */
const paramSchema = (p: RuleParam) =>
  ({
    positive: z.number().positive(),
    nonneg: z.number().min(0),
    int1: positiveInt,
    int0: z.number().int().min(0),
    flag: z.number().int().min(0).max(1),
  })[p.need].optional();

/** The block of one rule family: `rule:` one of the registry's names, and every parameter its rules declare. */
function ruleBlockSchema(defs: readonly (LrRuleDef | BatchRuleDef)[]) {
  const names = defs.map((d) => d.name) as [string, ...string[]];
  const shape: Record<string, z.ZodTypeAny> = { rule: z.enum(names) };
  for (const p of ruleParams(defs)) shape[p.name] = paramSchema(p);
  for (const d of defs) if ('text' in d && d.text) shape[d.text.field] = expression.optional();
  return z.object(shape).strict();
}

/** learning-rate and batch-size rules for the runs of this derivation (the command line overrides them) */
export const rulesSchema = z.object({ lr: ruleBlockSchema(LR_RULE_DEFS).optional(), batch: ruleBlockSchema(BATCH_RULE_DEFS).optional() }).strict();

export const specSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'letters, digits, ".", "_" or "-"'),
    description: z.string().optional(),
    convention: z.enum(['canonical', 'saad-solla']).default('canonical'),
    student: z
      .object({
        width: positiveInt,
        activation: expression,
        second_layer: secondLayerSchema.default({ train: false }),
      })
      .strict(),
    teacher: z
      .object({
        width: positiveInt,
        target: z.string().min(1).default('committee'),
        activation: expression.optional(),
        weights: z.array(z.number()).optional(),
      })
      .strict(),
    loss: z.enum(LOSS_NAMES).default('mse'),
    dynamics: z.enum(['plain', 'spherical', 'projected']).default('plain'),
    noise: z.number().min(0).default(0),
    /** regularisers (src/regularisers): each an optional field whose value is its parameter's default */
    ...Object.fromEntries(REGULARISERS.map((r) => [r.field, z.number().min(0).optional()])),
    expectations: z
      .string()
      // the backends (src/backends, a later stage) check the name and its argument when planning
      .regex(/^[a-z][a-z-]*(:\d+)?$/, 'auto, or a backend name with an optional :N (hermode derive --help lists them)')
      .default('auto'),
    rules: rulesSchema.optional(),
  })
  .strict();

export type SpecInput = z.input<typeof specSchema>;
export type SpecFile = z.output<typeof specSchema>;
