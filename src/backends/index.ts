/**
 * The expectation backends hermode knows. The order is `auto`'s preference: the first whose `auto`
 * gives a plan is taken — exact ones first, then the numerical ones by cost.
 */
import type { BackendDef } from './types.ts';
import { wickBackend } from './wick.ts';
import { closedBackend } from './closed.ts';
import { exactBackend } from './exact.ts';
import { mixtureBackend } from './mixture.ts';
import { probitBackend } from './probit.ts';
import { splitBackend } from './split.ts';
import { latticeBackend } from './lattice.ts';
import { quadratureTemplatesBackend } from './quadrature-templates.ts';
import { quadratureBackend } from './quadrature.ts';
import { hermiteBackend } from './hermite.ts';

export const BACKENDS: readonly BackendDef[] = [wickBackend, closedBackend, exactBackend, mixtureBackend, probitBackend, splitBackend, latticeBackend, quadratureTemplatesBackend, quadratureBackend, hermiteBackend];
