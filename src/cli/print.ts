/**
 * What the command line prints: results on stdout (`out`, a line each), and on stderr the one-line
 * warnings (`warn`, all in the form `hermode: warning: …`) and what a stage is about to do.
 */

/** A line of results on stdout. */
export const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/** A warning on stderr, in the one format every command uses. */
export const warn = (text: string): void => void process.stderr.write(`hermode: warning: ${text}\n`);

/** Says on stderr what a stage is about to do (a derivation's backend before its expensive part). */
export const announceStage = (what: string): void => void process.stderr.write(`hermode: ${what}\n`);
