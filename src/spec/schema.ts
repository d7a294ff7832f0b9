/**
 * The derivation file (`derivations/X.yaml`), validated with zod. Field names follow the file; the
 * normalised `Spec` is what every later stage reads.
 */
import { z } from 'zod';
import { LOSS_NAMES } from '../loss/index.ts';

const expression = z.string().min(1);
const positiveInt = z.number().int().min(1);

export const secondLayerSchema = z
  .object({
    train: z.boolean().default(false),
    init: z.array(z.number()).optional(),
  })
  .strict();

const lrRuleSchema = z
  .object({
    rule: z.enum(['constant', 'lars', 'cblr', 'mclr']),
    gamma0: z.number().positive().optional(),
    trust: z.number().positive().optional(),
    gamma_max: z.number().positive().optional(),
    gauss_newton: z.number().int().min(0).max(1).optional(),
  })
  .strict();

const batchRuleSchema = z
  .object({
    rule: z.enum(['constant', 'adadamp', 'schedule']),
    nb0: positiveInt.optional(),
    nmax: positiveInt.optional(),
    eps_star: z.number().min(0).optional(),
    dwell: positiveInt.optional(),
    n_est: z.number().int().min(0).optional(),
    /** schedule: n_b as an expression in tau or steps */
    nb: z.string().min(1).optional(),
  })
  .strict();

/** learning-rate and batch-size rules for the runs of this derivation (the command line overrides them) */
export const rulesSchema = z.object({ lr: lrRuleSchema.optional(), batch: batchRuleSchema.optional() }).strict();

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
    expectations: z
      .string()
      .regex(/^(auto|closed|wick|exact|hermite:\d+|quadrature:\d+|quadrature-templates|lattice|lattice:\d+)$/, 'auto | closed | wick | exact | hermite:ORDER | quadrature:NODES | quadrature-templates | lattice[:POINTS]')
      .default('auto'),
    rules: rulesSchema.optional(),
  })
  .strict();

export type SpecInput = z.input<typeof specSchema>;
export type SpecFile = z.output<typeof specSchema>;
