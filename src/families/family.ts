/**
 * A family of activations with closed-form Gaussian expectations (THEORY §3.3). A family is one file
 * in this folder, registered in families/index.ts, and nothing else: activation parsing recognises its
 * members from their values (whatever way the user wrote them), the Hermite stage takes their
 * coefficients and E[σ′²] from here, the `closed` backend its four kernels `<name>I2/J2/I3/I4` written
 * once in kernel source (every printer prints them) and the LaTeX that documents them. Arguments of the
 * kernels are covariance entries c_ij (i ≤ j), upper triangle row-major:
 *   I2 = E[f(u1) f(u2)],  J2 = E[f′(u1) f′(u2)],  I3 = E[f′(u1) u2 f(u3)],  I4 = E[f′(u1) f′(u2) f(u3) f(u4)].
 */
import type { Const } from '../ir/ir.ts';
import type { Poly } from '../symbolic/poly.ts';

/** A member's parameters (erf: A, b of A·erf(b z); ReLU: s of s·ReLU(z)). */
export type FamilyParams = Readonly<Record<string, number>>;

export interface ClosedFamily {
  /** kernel prefix and backend label: closed forms (name) */
  name: string;
  /** the parameters of the member f is (from its values on a probe grid, to round-off), or undefined */
  recognise(f: (x: number) => number): FamilyParams | undefined;
  /** σ = A·f(s·z) for the member */
  scale(params: FamilyParams): { A: number; s: number };
  /**
   * how the scale enters: `covariance` — the kernels are evaluated at s_i s_j C_ij and σ′ carries A·s
   * (erf); `homogeneous` — f is positively homogeneous of degree one, so s folds into A and σ′ = A·f′ (ReLU)
   */
  scaling: 'covariance' | 'homogeneous';
  /** the Hermite coefficients c_0 … c_order of the member, c_k = E[σ He_k]/k!, in closed form */
  hermite(params: FamilyParams, order: number): number[];
  /** E[σ′(z)²] for z ~ N(0, 1), in closed form */
  derivativeSquare(params: FamilyParams): number;
  /** the parameters of x ↦ σ(r x) (a field of variance r²) */
  rescale(params: FamilyParams, r: number): FamilyParams;
  /** the two polynomial pieces (z < 0, z > 0) when members are piecewise polynomial (the exact evaluator applies) */
  pieces?(params: FamilyParams): { minus: Poly; plus: Poly; continuous: boolean };
  /** kernel source defining <name>I2, <name>J2, <name>I3, <name>I4 (and any helpers they call) */
  source: string;
  /** constant arrays the kernels read */
  constants?: () => Const[];
  /** display equations documenting the kernels */
  tex: string[];
  /** one sentence for the LaTeX document */
  description: string;
}

/** The probe points members are recognised on. */
export const PROBE = [-3.1, -1.7, -0.9, -0.35, -0.05, 0.05, 0.4, 0.8, 1.3, 2.2, 2.9, 4.4];

/** k! as a double. */
export function factorial(k: number): number {
  let r = 1;
  for (let i = 2; i <= k; i++) r *= i;
  return r;
}
