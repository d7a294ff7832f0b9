/// <reference lib="dom" />
/**
 * The playground page (`npm run bench`, or `node --import tsx bench/playground.ts`): its bundle size
 * and its time to first result, cold — an erf committee (the saad-solla-erf preset, η̄ = 0.5, τ = 10)
 * opened from a link in a new headless Chromium with an empty profile each time (nothing cached),
 * median of 5 — from navigation to the result in the page, with the part spent in the worker deriving
 * and integrating. Beside it, in the same run, the command line doing the same job from a copy of the
 * derivation that generated/ does not hold (derive in process, then integrate; whole process, wall).
 * Wall times only: the browser's work is spread over its processes. Needs /usr/bin/chromium.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { table } from '../src/report/format.ts';
import { buildPlayground, servePlayground } from '../scripts/playground.mjs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log('bench/playground.ts: /usr/bin/chromium is absent (apt-get install chromium) — skipped');
  process.exit(0);
}
const puppeteer = (await import('puppeteer-core')).default;
const load0 = loadavg()[0];
const built = await buildPlayground();
const page = readFileSync(join(built.dir, 'page.js'));
const server = await servePlayground(0);
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/#preset=saad-solla-erf&set=eta_bar=0.5&tau=10`;
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

const firsts: number[] = [];
const workers: number[] = [];
const scripts: number[] = [];
const stamps: Record<string, number[]> = {};
for (let i = 0; i < 5; i++) {
  const profile = mkdtempSync(join(tmpdir(), 'hermode-chromium-'));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, `--user-data-dir=${profile}`] });
  const tab = await browser.newPage();
  const t0 = performance.now();
  await tab.goto(url, { waitUntil: 'domcontentloaded' });
  scripts.push(performance.now() - t0);
  await tab.waitForSelector('#hermode-result', { timeout: 60_000 });
  await tab.waitForFunction(() => performance.getEntriesByName('hermode:plot').length > 0);
  firsts.push(performance.now() - t0);
  const marks = await tab.evaluate(() => ({
    'index.html received': (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd,
    'page.js received': (performance.getEntriesByType('resource').find((r) => r.name.endsWith('page.js')) as PerformanceResourceTiming).responseEnd,
    ...Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name.replace('hermode:', ''), m.startTime])),
  }));
  for (const [k, v] of Object.entries(marks)) (stamps[k] ??= []).push(v as number);
  const said = await tab.$eval('#convention', (el) => el.textContent ?? '');
  workers.push(1000 * Number(/derived and integrated in ([\d.]+) s/.exec(said)?.[1]));
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
server.close();

// Chromium's Math against Node's: the same arguments, counted where the results differ in any bit
const FNS = ['sin', 'exp', 'log', 'asin', 'atan2', 'pow', 'tanh', 'sqrt'] as const;
const probe = (fns: readonly string[]) => {
  const out: Record<string, number[]> = {};
  const M = Math as unknown as Record<string, (...a: number[]) => number>;
  for (const f of fns) {
    const v: number[] = [];
    for (let i = 1; i <= 3000; i++) {
      const x = i * 0.000731 - 1.03;
      v.push(f === 'atan2' ? Math.atan2(x, 0.7) : f === 'pow' ? Math.pow(Math.abs(x) + 0.1, 1.7) : M[f](f === 'log' || f === 'sqrt' ? Math.abs(x) + 0.01 : x));
    }
    out[f] = v;
  }
  return out;
};
const here = probe(FNS);
const mathBrowser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
const there = (await (await mathBrowser.newPage()).evaluate(`(${probe.toString()})(${JSON.stringify(FNS)})`)) as Record<string, number[]>;
await mathBrowser.close();
const differ = FNS.map((f) => `${f} ${here[f].filter((x, i) => x !== there[f][i]).length}`).join(', ');

// the command line, same job: a derivation generated/ does not hold is derived in process, then integrated
const dir = mkdtempSync(join(tmpdir(), 'hermode-bench-page-'));
copyFileSync('derivations/saad-solla-erf.yaml', join(dir, 'copy.yaml'));
if (!existsSync('dist/cli.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const cliWalls: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/hermode.js', 'integrate', join(dir, 'copy.yaml'), '--set', 'eta_bar=0.5', '--tau', '10'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  cliWalls.push(performance.now() - t0);
}
const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load1 = loadavg()[0];
console.log(
  table(
    ['playground (headless Chromium, empty profile each run, median of 5)', 'value'],
    [
      ['page.js (the form and vega; KaTeX CSS and fonts beside it)', `${(page.length / 1e6).toFixed(2)} MB (${(gzipSync(page).length / 1e6).toFixed(2)} MB gzip)`],
      ['worker.js (parser, derivation, odex, simulators; started before page.js)', `${(built.workerBytes / 1e6).toFixed(2)} MB`],
      ['navigation → page script evaluated (DOMContentLoaded)', `${(med(scripts) / 1000).toFixed(2)} s`],
      ...Object.entries(stamps).map(([k, v]) => [`  page clock at ${k}`, `${(med(v) / 1000).toFixed(2)} s`]),
      ['navigation → first result shown and plotted, erf committee p = k = 2, τ = 10', `${(med(firsts) / 1000).toFixed(2)} s`],
      ['  of which the worker deriving and integrating', `${(med(workers) / 1000).toFixed(2)} s`],
      ['the command line, same job (a copy of the file: derive in process + integrate), whole process', `${(med(cliWalls) / 1000).toFixed(2)} s`],
      ["Chromium's Math vs Node's: of 3,000 arguments, results that differ", differ],
      ['load average (1 min) before / after', `${load0.toFixed(1)} / ${load1.toFixed(1)}`],
    ],
    ['l', 'r'],
  ),
);
