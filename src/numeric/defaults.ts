/** Defaults shared by the library and the command line's help text (this module imports nothing). */

/** Standard deviation of the default initial M_jr: a random start at d = 1000, M ~ d^{-1/2}. */
export const DEFAULT_M0 = 1 / Math.sqrt(1000);
