/**
 * The registries of learning-rate and batch-size rules. A new rule is a file in `lr/` or `batch/`
 * and a line here; every consumer (option parsing, the derivation file's schema, `--help`, the ODE,
 * the map, both simulators) iterates these lists through `registry.ts`.
 */
import type { LrRuleDef, BatchRuleDef } from './types.ts';
import { constant as constantLr } from './lr/constant.ts';
import { lars } from './lr/lars.ts';
import { cblr } from './lr/cblr.ts';
import { mclr } from './lr/mclr.ts';
import { schedule as scheduleLr } from './lr/schedule.ts';
import { constant as constantBatch } from './batch/constant.ts';
import { adadamp } from './batch/adadamp.ts';
import { schedule } from './batch/schedule.ts';

export const LR_RULE_DEFS: readonly LrRuleDef[] = [constantLr, lars, cblr, mclr, scheduleLr];
export const BATCH_RULE_DEFS: readonly BatchRuleDef[] = [constantBatch, adadamp, schedule];
