/**
 * The playground in a real browser: Debian's Chromium (installed by .ci/run) driven by
 * puppeteer-core. The page is built (scripts/playground.mjs) and served on 127.0.0.1; a link written
 * by hand for a model no preset has gives the CLI's numbers (to the last bits the browser's Math
 * library rounds differently — Chromium's sin, exp, asin… differ from Node's in the last bit), its
 * KaTeX renders without error nodes, a link the page made reproduces the view in a fresh page, bad
 * input shows the CLI's message beside its field and the page keeps working, a model the page cannot
 * afford says so with its cost, a run can be cancelled, and it runs opened from the file system.
 * Screenshots of the main views are kept in test/artifacts/playground/.
 * Without Chromium (a machine without root for .ci/run) it is skipped with a printed reason.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'puppeteer-core';
import { cli, tmp } from './helpers.ts';
import { UNSEEN } from './playground-fixture.ts';
import { num } from '../src/report/format.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log('playground.test.ts: /usr/bin/chromium is absent — the browser tests are skipped (.ci/run installs Debian\'s chromium as root)');

const ARTIFACTS = join('test', 'artifacts', 'playground');
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

interface PageResult {
  name: string;
  backend: string;
  convention: string;
  tau: number[];
  risk: number[];
  M: number[][][];
  Q: number[][][];
  steps?: number[];
  samples?: number[];
  simulation?: { steps: number[]; mean: { risk: number[]; M: number[][][] }; sem: { risk: number[] } };
}

describe.skipIf(!hasChromium)('the playground in headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  let base = '';
  const dir = tmp('hermode-page-');
  const file = join(dir, 'unseen.yaml');
  writeFileSync(file, UNSEEN);

  beforeAll(async () => {
    const { buildPlayground, servePlayground } = await import('../scripts/playground.mjs');
    await buildPlayground();
    server = await servePlayground(0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function open(url: string, context = browser): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    await page.setViewport({ width: 1400, height: 1100 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String((e as Error).message ?? e)));
    await page.goto(url);
    return { page, errors };
  }
  const finished = (page: Page, timeout = 60_000) => page.waitForFunction(() => /^(done|stopped|cancelled)/.test(document.getElementById('status')?.textContent ?? ''), { timeout });
  const resultOf = async (page: Page): Promise<PageResult> => JSON.parse((await page.$eval('#hermode-result', (el) => el.textContent)) as string);
  const text = (page: Page, sel: string) => page.$eval(sel, (el) => (el as HTMLElement).innerText);
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('a hand-written link for a model no preset has: the CLI\'s numbers, its backend, KaTeX without errors, the simulation beside it', async () => {
    const link = `${base}#yaml=${encodeURIComponent(UNSEEN)}&set=eta_bar=0.8,nb=2&tau=6&d=400&sim=1&seeds=3&seed=5`;
    const { page, errors } = await open(link);
    await finished(page);
    expect(await text(page, '#status')).toMatch(/^done/);
    const r = await resultOf(page);
    const ode = JSON.parse((await cli(['integrate', file, '--set', 'eta_bar=0.8', '--nb', '2', '--d', '400', '--tau', '6', '--json'])).stdout);
    expect(r.tau).toEqual(ode.tau);
    expect(r.backend).toBe(ode.meta.expectations);
    expect(r.convention).toContain('time τ = γ·steps');
    expect(r.steps).toEqual(ode.steps);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
    for (const i of [1, Math.floor(r.tau.length / 2), r.tau.length - 1]) {
      expect(rel(r.risk[i], ode.risk[i])).toBeLessThan(1e-12);
      expect(num(r.risk[i], 6)).toBe(num(ode.risk[i], 6));
      for (let j = 0; j < 2; j++) for (let s = 0; s < 2; s++) expect(rel(r.M[i][j][s], ode.M[i][j][s])).toBeLessThan(1e-12);
    }
    // the comparison has the power to see a 1 % wrong learning rate
    const off = JSON.parse((await cli(['integrate', file, '--set', 'eta_bar=0.808', '--nb', '2', '--d', '400', '--tau', '6', '--json'])).stdout);
    expect(rel(r.risk.at(-1) as number, off.risk.at(-1))).toBeGreaterThan(1e-4);
    const start = join(dir, 'start.json');
    writeFileSync(start, JSON.stringify({ M: r.M[0], Q: r.Q[0] }));
    const sim = JSON.parse((await cli(['simulate', file, '--engine', 'reduced', '--init', start, '--set', 'eta_bar=0.8', '--nb', '2', '--d', '400', '--tau', '6', '--seeds', '3', '--seed', '5', '--json'])).stdout);
    const s = r.simulation as NonNullable<PageResult['simulation']>;
    expect(s.steps).toEqual(sim.steps);
    for (let i = 0; i < s.steps.length; i++) {
      expect(rel(s.mean.risk[i], sim.mean.risk[i])).toBeLessThan(1e-10);
      expect(Math.abs(s.sem.risk[i] - sim.sem.risk[i])).toBeLessThan(1e-10 * sim.mean.risk[i]);
    }
    // KaTeX: many formulas, no error node; the plot is an SVG with the simulation's points
    expect(await page.$$eval('#equations .katex', (n) => n.length)).toBeGreaterThan(10);
    expect(await page.$$eval('#equations .katex-error', (n) => n.length)).toBe(0);
    expect(await page.$eval('#plot', (el) => el.innerHTML.startsWith('<svg'))).toBe(true);
    expect(await page.$$eval('#plot svg path', (n) => n.length)).toBeGreaterThan(5);
    // downloads: the generated code and the trajectory
    const downloads = await page.$$eval('.downloads a', (as) => as.map((a) => (a as HTMLAnchorElement).download));
    expect(downloads).toEqual(expect.arrayContaining(['relu-on-erf-playground.ts', 'relu-on-erf-playground.py', 'relu-on-erf-playground.c', 'relu-on-erf-playground.tex', 'relu-on-erf-playground-trajectory.csv', 'relu-on-erf-playground-risk.svg']));
    const csv = await page.evaluate(async () => (await fetch((document.getElementById('dl-csv') as HTMLAnchorElement).href)).text());
    expect(csv.split('\n')[0]).toMatch(/^# /);
    await shot(page, 'unseen-model-with-simulation');
    // switching the axis and the family redraws without a new run
    await page.select('#axis', 'samples');
    await page.select('#show', 'M');
    await page.waitForFunction(() => document.querySelector('#plot svg')?.textContent?.includes('samples'));
    expect(await page.$eval('#plot svg', (el) => el.textContent)).toContain('M_1_2');
    await shot(page, 'overlaps-against-samples');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a link the page made ("copy link") opened in a fresh browser context shows the same numbers', async () => {
    const { page } = await open(`${base}#preset=saad-solla-erf&set=eta_bar=0.5&tau=8`);
    await finished(page);
    const first = await resultOf(page);
    await page.click('#copy-link');
    await page.waitForFunction(() => (document.getElementById('link') as HTMLInputElement).value.includes('#z='));
    const link = await page.$eval('#link', (el) => (el as HTMLInputElement).value);
    await page.close();
    const context = await browser.createBrowserContext();
    const { page: fresh } = await open(link, context as unknown as Browser);
    await finished(fresh);
    const again = await resultOf(fresh);
    expect(again.risk).toEqual(first.risk);
    expect(again.M).toEqual(first.M);
    expect(await fresh.$eval('#param-eta_bar', (el) => (el as HTMLInputElement).value)).toBe('0.5');
    await context.close();
  });

  it('bad input: the CLI\'s message beside the field and its line; the page keeps working', async () => {
    const { page, errors } = await open(`${base}#preset=saad-solla-erf&tau=2`);
    await finished(page);
    const broken = UNSEEN.replace('activation: relu(z)', 'activation: relu(z');
    await page.$eval('#yaml', (el, v) => {
      (el as HTMLTextAreaElement).value = v as string;
      el.dispatchEvent(new Event('input'));
    }, broken);
    await page.waitForFunction(() => !(document.getElementById('yaml-error') as HTMLElement).hidden, { timeout: 10_000 });
    const shown = await text(page, '#yaml-error');
    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, broken);
    const cliLine = (await cli(['derive', badFile, '--out-dir', join(dir, 'none')])).stderr.trim().replace(/^hermode: /, '').replace(badFile, 'derivation.yaml');
    expect(shown).toBe(`line 4: ${cliLine}`);
    // the edited preset is no longer named; a click on the message selects its line in the editor
    expect(await page.$eval('#preset', (el) => (el as HTMLSelectElement).value)).toBe('');
    await page.click('#yaml-error');
    expect(await page.$eval('#yaml', (el) => { const t = el as HTMLTextAreaElement; return t.value.slice(t.selectionStart, t.selectionEnd); })).toBe('  activation: relu(z');
    await shot(page, 'bad-yaml');
    // a bad parameter: the CLI's line for --set
    await page.$eval('#yaml', (el, v) => {
      (el as HTMLTextAreaElement).value = v as string;
      el.dispatchEvent(new Event('input'));
    }, UNSEEN);
    await page.waitForFunction(() => (document.getElementById('yaml-error') as HTMLElement).hidden && document.getElementById('param-eta_bar'), { timeout: 10_000 });
    await page.type('#param-eta_bar', 'fast');
    await page.click('#run');
    await finished(page);
    const cliSet = (await cli(['integrate', file, '--set', 'eta_bar=fast'])).stderr.trim().replace(/^hermode: /, '');
    expect(await text(page, '#run-error')).toBe(cliSet);
    // … and the field it names is marked, with the message on it
    expect(await page.$eval('#param-eta_bar', (el) => [el.classList.contains('field-error'), (el as HTMLElement).title])).toEqual([true, cliSet]);
    // fixed, it runs
    await page.$eval('#param-eta_bar', (el) => ((el as HTMLInputElement).value = '0.8'));
    await page.click('#run');
    await finished(page);
    expect(await text(page, '#status')).toMatch(/^done/);
    expect(await page.$$eval('.field-error', (n) => n.length)).toBe(0);
    expect((await resultOf(page)).name).toBe('relu-on-erf-playground');
    // a link that cannot be read
    await page.goto(`${base}#yaml=x&colour=red`);
    await page.waitForFunction(() => !(document.getElementById('run-error') as HTMLElement).hidden);
    expect(await text(page, '#run-error')).toMatch(/^link colour: unknown key/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a model the page cannot afford says so with its cost at once; a long run can be cancelled and the page runs the next one', async () => {
    const big = UNSEEN.replace(/relu\(z\)/, 'tanh(z)').replace(/width: 2/g, 'width: 3').replace('dynamics: plain', 'dynamics: plain\nexpectations: quadrature:30');
    const t0 = Date.now();
    const { page } = await open(`${base}#yaml=${encodeURIComponent(big)}`);
    await finished(page);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await text(page, '#run-error')).toMatch(/one evaluation of the right-hand side would take about .* beyond the page's 60 s/);
    // a run of many seconds (a quadrature rule over five fields), cancelled while it integrates
    const slow = UNSEEN.replace(/relu\(z\)/, 'tanh(z)').replace('width: 2\n  target', 'width: 3\n  target').replace('dynamics: plain', 'dynamics: plain\nexpectations: quadrature:16');
    await page.goto(`${base}#yaml=${encodeURIComponent(slow)}&tau=200`);
    await page.waitForFunction(() => /integrating/.test(document.getElementById('status')?.textContent ?? ''), { timeout: 30_000 });
    await page.click('#cancel');
    await finished(page, 5_000);
    expect(await text(page, '#status')).toBe('cancelled');
    await page.goto(`${base}#preset=saad-solla-erf&tau=3`);
    await finished(page);
    expect(await text(page, '#status')).toMatch(/^done/);
    await page.close();
  });

  it('opened from the file system (file://), with the katex CSS and fonts beside it', async () => {
    const url = `file://${join(process.cwd(), 'dist', 'playground', 'index.html')}#preset=saad-solla-erf&set=eta_bar=0.5&tau=4`;
    const { page, errors } = await open(url);
    await finished(page);
    expect(await text(page, '#status')).toMatch(/^done/);
    const r = await resultOf(page);
    const ode = JSON.parse((await cli(['integrate', 'saad-solla-erf', '--set', 'eta_bar=0.5', '--tau', '4', '--json'])).stdout);
    expect(Math.abs((r.risk.at(-1) as number) - ode.risk.at(-1))).toBeLessThan(1e-13);
    const fontLoaded = await page.evaluate(async () => (await document.fonts.ready, [...document.fonts].some((f) => f.family.includes('KaTeX') && f.status === 'loaded')));
    expect(fontLoaded).toBe(true);
    await shot(page, 'file-system');
    expect(errors).toEqual([]);
    await page.close();
  });
});
