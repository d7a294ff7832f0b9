/**
 * A regulariser of the first layer that the overlaps close on (THEORY §2.9): its gradient is a
 * linear shrink, ∇R(W) = λ W, so an SGD step is w_j ← (1 − γλ) w_j + γ(…). Rotation invariant, it
 * adds −λ M to dM/dτ and −2λ Q to dQ/dτ, and multiplies the finite-step map's M by (1 − γλ) and Q by
 * (1 − γλ)² (its cross terms by 1 − γλ). A regulariser is a file here and a line in `index.ts`; the
 * derivation file's field, the layout's parameter, the equations, the map, the LaTeX and both
 * simulators read it from the registry.
 */
export interface Regulariser {
  /** the derivation file's field, whose value is the parameter's default */
  readonly field: string;
  /** what it is called in text */
  readonly title: string;
  /** the parameter it adds (set by `--set NAME=…`), its LaTeX and its name in generated code */
  readonly param: { name: string; tex: string; codeName: string };
  /** why a model cannot take it (the field and the reason), or nothing */
  refuses(model: { dynamics: string }): string | undefined;
}
