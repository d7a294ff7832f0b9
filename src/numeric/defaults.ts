/** Defaults shared by the library and the command line's help text (this module imports nothing). */

/** Standard deviation of the default initial M_jr: a random start at d = 1000, M ~ d^{-1/2}. */
export const DEFAULT_M0 = 1 / Math.sqrt(1000);

/** The defaults of `hermode integrate`'s options that have one (the command line's help shows them; a leaf module, so --help loads nothing else). */
export const INTEGRATE_DEFAULTS = { seed: '1', m0: String(DEFAULT_M0), rtol: '1e-9', atol: '1e-11', maxSteps: '200000' } as const;
