/** The defaults of the simulation options (`simulate`, `compare`; the command line's help shows them; a leaf module, so --help loads nothing else). */
export const SIM_DEFAULTS = { d: '1000', nb: '1', seeds: '8', seed: '1', engine: 'full', teacher: 'orthonormal' } as const;
