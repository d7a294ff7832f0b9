/**
 * Derivation files of kind `parameter-dynamics`: dynamics in parameter space of a small model given
 * by its loss. Used for the depth-2 scalar linear network f(x) = (aᵀb) x (THEORY §4.4).
 */
import { z } from 'zod';

export const paramSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'letters, digits, ".", "_" or "-"'),
    kind: z.literal('parameter-dynamics'),
    description: z.string().optional(),
    /** h: a, b ∈ ℝ^h */
    width: z.number().int().min(1).max(64).default(5),
    /** the loss in dot(a,b), sumsq(a), sumsq(b), the constants, and (with data) x, y */
    loss: z.string().min(1).default('1/2*(dot(a,b) - Phi)^2'),
    constants: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.number()).default({ Phi: 1 }),
    /** optional scalar data set (x_i, y_i): the loss becomes (1/2n) Σ (dot(a,b) x_i − y_i)² unless `loss` uses x, y */
    data: z.array(z.tuple([z.number(), z.number()])).min(1).optional(),
  })
  .strict();

export type ParamSpecFile = z.output<typeof paramSpecSchema>;
