/** How the command line ends besides an error: a nested command's exit code passed through. */

/** A nested command (a cluster task, a gather) that already reported its failure: exit with its code. */
export class NestedExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
