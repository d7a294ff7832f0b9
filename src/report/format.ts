/** Terminal formatting: aligned tables and compact numbers. */
import { maxOf } from '../extrema.ts';
import { roundSteps } from '../numeric/grid.ts';

export function num(x: number, digits = 6): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  // below the normal range a double has lost its digits (a product that underflowed): say so
  if (a < 1e-300) return x > 0 ? '< 1e-300' : '> -1e-300';
  if (a >= 1e-4 && a < 1e6) return Number(x.toPrecision(digits)).toString();
  return x.toExponential(digits - 1);
}

export function table(headers: string[], rows: (string | number)[][], align: ('l' | 'r')[] = []): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? num(c) : c)));
  const widths = headers.map((h, i) => maxOf(cells.map((r) => (r[i] ?? '').length), h.length));
  const pad = (s: string, i: number) => ((align[i] ?? (i === 0 ? 'r' : 'r')) === 'l' ? s.padEnd(widths[i]) : s.padStart(widths[i]));
  const line = (r: string[]) => r.map((c, i) => pad(c, i)).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Evenly spaced row indices (at most `max`, always including the first and last). */
export function sampleRows(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < max; i++) out.add(Math.round((i * (n - 1)) / (max - 1)));
  return [...out];
}

/**
 * Row indices at round times: the multiples of the smallest round step (1, 2, 2.5, 5 × 10ⁿ) that
 * gives at most `max` rows and lies on the saved grid, with the last time always shown; evenly
 * spaced indices (sampleRows) when no round step fits the grid (a log grid, an odd span).
 */
export function roundRows(t: number[], max: number): number[] {
  const n = t.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const t0 = t[0];
  const span = t[n - 1] - t0;
  if (!(span > 0)) return sampleRows(n, max);
  const tol = 1e-9 * span;
  let tries = 0;
  for (const step of roundSteps(span / (max - 1))) {
    if (++tries > 12) break;
    const rows: number[] = [];
    let j = 0;
    let ok = true;
    for (let k = 0; t0 + k * step <= t[n - 1] + tol; k++) {
      const target = t0 + k * step;
      while (j < n && t[j] < target - tol) j++;
      if (j >= n || Math.abs(t[j] - target) > tol) {
        ok = false;
        break;
      }
      rows.push(j);
    }
    if (ok && rows.length >= Math.min(5, max)) {
      if (rows[rows.length - 1] !== n - 1) rows.push(n - 1);
      return rows;
    }
  }
  return sampleRows(n, max);
}
