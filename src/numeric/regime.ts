/** The ODE needs γ = η̄ n_b/d ≪ 1; beyond that the finite-step map is the right tool (THEORY §2.3, §5 item 3). */
export function largeStepWarning(gamma: number, nb: number, d: number): string | null {
  if (gamma < 0.1 && nb < d) return null;
  return `γ = η̄ n_b/d = ${Number(gamma.toPrecision(4))} with n_b = ${nb}, d = ${d} is not small: the ODE drops the O(γ) squared-mean term G, so it is wrong in this regime — use \`hermode map\``;
}
