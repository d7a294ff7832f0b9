/**
 * The per-step escape test shared by both simulators: given |M_jr| at the current weights, has the
 * chosen entry (or the largest) reached the threshold?
 */
export function escapeChecker(p: number, k: number, esc: { threshold: number; entry: [number, number] | null } | undefined, mEntry: (j: number, r: number) => number): () => boolean {
  if (!esc) return () => false;
  if (esc.entry) {
    const [j0, r0] = esc.entry;
    return () => mEntry(j0, r0) >= esc.threshold;
  }
  return () => {
    for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) if (mEntry(j, r) >= esc.threshold) return true;
    return false;
  };
}
