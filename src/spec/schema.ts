/**
 * The derivation file (`derivations/X.yaml`), validated with zod. Field names follow the file; the
 * normalised `Spec` is what every later stage reads.
 */
import { z } from 'zod';

const expression = z.string().min(1);
const positiveInt = z.number().int().min(1);

export const secondLayerSchema = z
  .object({
    train: z.boolean().default(false),
    init: z.array(z.number()).optional(),
  })
  .strict();

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
    loss: z.enum(['mse', 'correlation']).default('mse'),
    dynamics: z.enum(['plain', 'spherical', 'projected']).default('plain'),
    noise: z.number().min(0).default(0),
    expectations: z
      .string()
      .regex(/^(auto|closed|wick|exact|hermite:\d+|quadrature:\d+|quadrature-templates)$/, 'auto | closed | wick | exact | hermite:ORDER | quadrature:NODES | quadrature-templates')
      .default('auto'),
  })
  .strict();

export type SpecInput = z.input<typeof specSchema>;
export type SpecFile = z.output<typeof specSchema>;
