/**
 * A family of activations with closed-form Gaussian expectations (THEORY §3.3). A family is one file
 * in this folder: how it recognises σ(z) = A·f(s z), its four kernels `<name>I2/J2/I3/I4` written
 * once in kernel source (every printer prints them), the LaTeX that documents them, and — registered
 * in families/index.ts — nothing else: the expectation plan, code generation and LaTeX read it from
 * here. Arguments of the kernels are covariance entries c_ij (i ≤ j), upper triangle row-major:
 *   I2 = E[f(u1) f(u2)],  J2 = E[f′(u1) f′(u2)],  I3 = E[f′(u1) u2 f(u3)],  I4 = E[f′(u1) f′(u2) f(u3) f(u4)].
 */
import type { Activation } from '../../hermite/activation.ts';
import type { Const } from '../../ir/ir.ts';

export interface ClosedFamily {
  /** kernel prefix and backend label: closed forms (name) */
  name: string;
  /** σ = A·f(s·z) when the activation belongs to the family */
  scale(act: Activation): { A: number; s: number } | undefined;
  /**
   * how the scale enters: `covariance` — the kernels are evaluated at s_i s_j C_ij and σ′ carries A·s
   * (erf); `none` — f is positively homogeneous of degree one, so s folds into A and σ′ = A·f′ (ReLU)
   */
  scaling: 'covariance' | 'homogeneous';
  /** kernel source defining <name>I2, <name>J2, <name>I3, <name>I4 (and any helpers they call) */
  source: string;
  /** constant arrays the kernels read */
  constants?: () => Const[];
  /** display equations documenting the kernels */
  tex: string[];
  /** one sentence for the LaTeX document */
  description: string;
}
