/**
 * Progress of long runs on stderr: nothing for the first 2 s; then a bar with the time left on a
 * terminal, and otherwise (logs, CI, a pipe) one line every 5 s — so no run is ever silent.
 */
import cliProgress from 'cli-progress';

/** Report `done` of `total`; `detail` (what was just finished) is shown beside the bar or the line. */
export type Progress = ((done: number, total: number, detail?: string) => void) & { stop: () => void };

export function progressReporter(what: string, unit: string, quiet = false, now: () => number = Date.now): Progress {
  const t0 = now();
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = t0;
  const tty = !!process.stderr.isTTY;
  const f = ((done: number, total: number, detail?: string) => {
    if (quiet) return;
    const t = now();
    if (t - t0 < 2000) return;
    if (tty) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: `${what} |{bar}| {percentage}% | {value}/{total} ${unit} | {eta_formatted} left{detail}`, hideCursor: true, formatValue: (v: number) => String(Number(v.toPrecision(6))) },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done, { detail: '' });
      }
      bar.update(done, { detail: detail ? ` | ${detail}` : '' });
    } else if (t - lastLine >= 5000) {
      lastLine = t;
      const frac = total > 0 ? done / total : 0;
      const left = frac > 0 ? ((t - t0) / 1000) * (1 / frac - 1) : NaN;
      process.stderr.write(`hermode: ${what}: ${(100 * frac).toFixed(0)} % (${Number(done.toPrecision(6))} of ${Number(total.toPrecision(6))} ${unit})${Number.isFinite(left) ? `, about ${Math.ceil(left)} s left` : ''}${detail ? ` (${detail})` : ''}\n`);
    }
  }) as Progress;
  f.stop = () => bar?.stop();
  return f;
}
