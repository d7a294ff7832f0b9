/**
 * A loss whose per-sample gradient in the student's output is −e with a residual linear in f,
 *   e = y − w·f   (y the label, f the student's output, w the loss's `studentWeight`),
 * so that the per-sample gradient of the weights is −e ∇f, the drift and variance terms of THEORY
 * §2.3 are the expectations of σ′ e and σ′σ′ e², and the loss's Hessian in the weights is
 * w ∇f∇fᵀ − e ∇²f (its Gauss–Newton part carries the factor w). MSE is w = 1, the correlation loss
 * w = 0; every stage reads these numbers, none branches on a name.
 */
export interface Loss {
  /** the name in derivation files (`loss:`) and on the command line (`sweep --loss`) */
  readonly name: string;
  /** what it is called in text: "mean-squared error" */
  readonly title: string;
  /** w in e = y − w·f */
  readonly studentWeight: number;
  /** the loss of one sample in LaTeX */
  readonly tex: string;
  /** why a model cannot be trained with it (the field of the derivation file and the reason), or nothing */
  refuses(model: { trainSecondLayer: boolean }): { field: string; value: unknown; message: string } | undefined;
}
