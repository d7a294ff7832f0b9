/** The theory-versus-simulation check's settings and their measured defaults (imports nothing). */

export interface CheckSettings {
  /** family-wise level α of the check (default 1e-3) */
  alpha: number;
  /** bias allowance b = c1/d + c2·γ */
  c1: number;
  c2: number;
}

/**
 * Default bias constants, measured (`npm run bench:check -- --calibrate`, README): from warm starts,
 * 4,000-seed means of the erf and ReLU committees (d = 125…500, γ = 0.002…0.1, τ ≤ 10) deviate from
 * the ODE by at most 0.053/d + 0.022·γ beyond two standard errors (the 1/d part is at the resolution
 * of the data; the γ part is resolved at n_b = 10 and 25); the defaults take about twice that.
 */
export const DEFAULT_CHECK: CheckSettings = { alpha: 1e-3, c1: 0.1, c2: 0.05 };

