/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The playground page: a derivation editor with the shipped derivations as presets, the run's
 * parameters, a Web Worker that derives, integrates and simulates (worker.ts), and the results —
 * the backend and its accuracy note, the equations in KaTeX, the plot (vega, SVG), downloads, the
 * result as JSON in <script id="hermode-result"> — with the whole state in the URL fragment.
 */
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import { decodeFragment, encodeState, type PageState } from './fragment.ts';
import { plotSpec, axesOf, AXES, FAMILIES, type Axis, type Family } from './plot.ts';
import type { PlaygroundResult, PlaygroundSimulation, PageError, Checked } from './session.ts';
import { HermodeError, usageError } from '../errors.ts';

/** Shipped derivations, name → YAML text (written in by the page's build). */
declare const HERMODE_PRESETS: Record<string, string>;
/**
 * The worker: index.html starts it from worker.js before this script loads (over http(s)); opened
 * from the file system, where a worker needs a same-origin URL, from its text in worker-source.js
 * (a Blob URL).
 */
declare global {
  interface Window {
    hermodeWorker?: Worker;
    HERMODE_WORKER_SOURCE?: string;
  }
}

/**
 * vega and vega-lite, evaluated at the first plot rather than when the page loads (the bundler's
 * require of an ES module initialises it on the call): the page's script is ready in a fraction of the
 * time, and the worker gets the run sooner.
 */
declare const require: (id: 'vega' | 'vega-lite') => unknown;
const plotting = (): { vega: typeof Vega; vegaLite: typeof VegaLite } => ({ vega: require('vega') as typeof Vega, vegaLite: require('vega-lite') as typeof VegaLite });

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let worker: Worker | undefined;
let nextId = 1;
let runId = 0;
let checkId = 0;
let result: PlaygroundResult | undefined;
let simulation: PlaygroundSimulation | undefined;
let checked: Checked | undefined;
let lastSvg = '';
let checkTimer: ReturnType<typeof setTimeout> | undefined;

function startWorker(): Worker {
  const early = window.hermodeWorker;
  window.hermodeWorker = undefined;
  const w = early ?? (window.HERMODE_WORKER_SOURCE !== undefined ? new Worker(URL.createObjectURL(new Blob([window.HERMODE_WORKER_SOURCE], { type: 'text/javascript' }))) : new Worker('worker.js'));
  w.onmessage = (e: MessageEvent) => onMessage(e.data);
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    showError('run', { kind: 'internal', message: `internal error (a bug in hermode; please report it with the link): the worker stopped: ${e.message}` });
    restartWorker();
  };
  return w;
}

function restartWorker(): void {
  worker?.terminate();
  worker = startWorker();
}

function send(m: Record<string, unknown>): number {
  const id = nextId++;
  (worker ??= startWorker()).postMessage({ ...m, id });
  return id;
}

function setStatus(text: string, busy = false): void {
  $('status').textContent = text;
  $('status').classList.toggle('busy', busy);
  ($('cancel') as HTMLButtonElement).disabled = !busy;
  ($('run') as HTMLButtonElement).disabled = busy;
}

function showError(where: 'yaml' | 'run', e: PageError | null): void {
  const box = $(where === 'yaml' ? 'yaml-error' : 'run-error');
  box.textContent = e ? (e.line ? `line ${e.line}: ` : '') + e.message : '';
  box.hidden = !e;
  box.dataset.line = e?.line ? String(e.line) : '';
  box.title = e?.line ? 'click: go to the line' : '';
  if (where === 'yaml') {
    $('yaml').classList.toggle('invalid', !!e);
    if (e) $('model-line').textContent = '(not a valid derivation)';
  }
}

/** The form field an error names (the command line's option, as the message spells it), if the page has one. */
function fieldElement(field: string | undefined): HTMLElement | null {
  if (!field) return null;
  const set = /^--set (\w+)$/.exec(field);
  if (set) return document.getElementById(`param-${set[1]}`) ?? $('extra-set');
  const ids: Record<string, string> = { '--tau': 'tau', '--d': 'd', '--nb': 'nb', '--seeds': 'seeds', '--seed': 'seed', '--lr-rule': 'lr', '--batch-rule': 'batch', '--batch-schedule': 'batch-schedule', '--lr-schedule': 'lr-schedule' };
  return ids[field] ? $(ids[field]) : null;
}

/** Marks the field a run's error names (red, the message as its tooltip); clears the marks of the last run. */
function markField(e: PageError | null): void {
  for (const el of document.querySelectorAll<HTMLElement>('.field-error')) {
    el.classList.remove('field-error');
    el.removeAttribute('title');
  }
  const el = e && (e.message.startsWith('init:') ? $('init') : fieldElement(e.field));
  if (el && e) {
    el.classList.add('field-error');
    el.title = e.message;
  }
}

/** Puts the editor's cursor on a 1-based line and selects it (a click on a message with a line). */
function goToLine(line: number): void {
  const editor = $('yaml') as HTMLTextAreaElement;
  const lines = editor.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  const lineHeight = editor.scrollHeight / Math.max(1, lines.length);
  editor.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

/** The state the form shows. */
function formState(): PageState {
  const v = (id: string) => ($(id) as HTMLInputElement).value.trim();
  const sets: string[] = [];
  const inputs = [...document.querySelectorAll<HTMLInputElement>('#params input[data-param]')];
  for (const input of inputs) if (input.value.trim()) sets.push(`${input.dataset.param}=${input.value.trim()}`);
  // a link's parameters whose fields the check of its derivation has not drawn yet
  for (const [name, value] of Object.entries(pendingSets)) if (!inputs.some((i) => i.dataset.param === name)) sets.push(`${name}=${value}`);
  if (v('nb')) sets.push(`nb=${v('nb')}`);
  if (v('extra-set')) sets.push(v('extra-set'));
  const state: PageState = { yaml: ($('yaml') as HTMLTextAreaElement).value, set: sets.join(','), tau: v('tau') || '10' };
  if (v('init')) state.init = v('init');
  if (v('lr')) state.lr = v('lr');
  if (v('batch')) state.batch = v('batch');
  if (v('batch-schedule')) state.batchSchedule = v('batch-schedule');
  if (v('lr-schedule')) state.lrSchedule = v('lr-schedule');
  if (v('d')) state.d = v('d');
  if (($('sim-on') as HTMLInputElement).checked) state.sim = { seeds: v('seeds') || '8', seed: v('seed') || '1' };
  state.axis = v('axis') as Axis;
  state.show = v('show') as Family;
  return state;
}

/** Puts a state into the form (the parameters whose inputs exist after the check are filled then). */
let pendingSets: Record<string, string> = {};
function applyState(s: PageState): void {
  const yaml = s.yaml || (s.preset ? HERMODE_PRESETS[s.preset] : undefined);
  if (yaml === undefined) throw usageError(`not a shipped derivation (known: ${Object.keys(HERMODE_PRESETS).join(', ')})`, { field: 'link preset', value: s.preset });
  ($('yaml') as HTMLTextAreaElement).value = yaml;
  ($('preset') as HTMLSelectElement).value = s.preset && !s.yaml ? s.preset : '';
  pendingSets = {};
  const extra: string[] = [];
  for (const part of s.set ? s.set.split(/,(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)/) : []) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(part);
    if (m && m[1] === 'nb') ($('nb') as HTMLInputElement).value = m[2];
    else if (m) pendingSets[m[1]] = m[2];
    else extra.push(part);
  }
  const put = (id: string, v: string | undefined) => (($(id) as HTMLInputElement).value = v ?? '');
  put('tau', s.tau);
  put('init', s.init);
  for (const id of ['lr', 'batch'] as const) {
    const select = $(id) as HTMLSelectElement;
    select.dataset.wanted = s[id] ?? '';
    if (s[id] && ![...select.options].some((o) => o.value === s[id])) select.append(new Option(s[id] as string, s[id] as string));
    select.value = s[id] ?? '';
  }
  put('batch-schedule', s.batchSchedule);
  put('lr-schedule', s.lrSchedule);
  put('d', s.d);
  ($('sim-on') as HTMLInputElement).checked = !!s.sim;
  put('seeds', s.sim?.seeds ?? '8');
  put('seed', s.sim?.seed ?? '1');
  put('axis', s.axis ?? 'tau');
  put('show', s.show ?? 'risk');
  put('extra-set', extra.join(','));
}

/** The rules' choices, from the worker's first check (the page itself carries no rule code). */
function fillRules(c: Checked): void {
  for (const [id, names] of [['lr', c.rules.lr], ['batch', c.rules.batch]] as const) {
    const select = $(id) as HTMLSelectElement;
    if (select.dataset.filled) continue;
    select.dataset.filled = '1';
    const wanted = select.dataset.wanted ?? '';
    for (const name of names) if (name !== 'constant' && ![...select.options].some((o) => o.value === name)) select.append(new Option(name, name));
    if (wanted) select.value = wanted;
  }
}

function renderParams(c: Checked): void {
  fillRules(c);
  const box = $('params');
  const old: Record<string, string> = { ...pendingSets };
  for (const input of box.querySelectorAll<HTMLInputElement>('input[data-param]')) if (input.value.trim()) old[input.dataset.param as string] ??= input.value.trim();
  box.replaceChildren();
  const extra: string[] = [];
  for (const [name, value] of Object.entries(old)) if (!c.params.some((p) => p.name === name)) extra.push(`${name}=${value}`);
  for (const p of c.params) {
    const label = document.createElement('label');
    label.textContent = p.name;
    const input = document.createElement('input');
    input.dataset.param = p.name;
    input.id = `param-${p.name}`;
    input.placeholder = String(p.value);
    input.value = old[p.name] ?? '';
    input.size = 8;
    label.append(input);
    box.append(label);
  }
  const extraInput = $('extra-set') as HTMLInputElement;
  if (extra.length) extraInput.value = [extraInput.value, ...extra].filter(Boolean).join(',');
  pendingSets = {};
  $('model-line').textContent = `${c.name}: p = ${c.p}, k = ${c.k}`;
}

function scheduleCheck(): void {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => (checkId = send({ type: 'check', yaml: ($('yaml') as HTMLTextAreaElement).value })), 250);
}

async function run(): Promise<void> {
  const state = formState();
  result = undefined;
  simulation = undefined;
  showError('run', null);
  markField(null);
  setStatus('starting…', true);
  runId = send({ type: 'run', input: state });
  history.replaceState(null, '', `#${await encodeState(state)}`);
}

function cancel(): void {
  restartWorker();
  runId = 0;
  setStatus('cancelled');
}

function onMessage(m: { id: number; type: string; [k: string]: unknown }): void {
  // where a page's first second goes (bench/playground.ts reads these marks)
  if (!performance.getEntriesByName('hermode:worker-first-message').length) performance.mark('hermode:worker-first-message');
  if (m.type === 'checked' || (m.type === 'error' && m.during === 'check')) {
    if (m.id !== checkId) return;
    if (m.type === 'checked') {
      checked = m.checked as Checked;
      renderParams(checked);
      showError('yaml', null);
    } else showError('yaml', m.error as PageError);
    return;
  }
  if (m.id !== runId) return;
  if (m.type === 'stage') setStatus(`${m.what}…`, true);
  else if (m.type === 'progress') setStatus(`${m.unit === 'τ' ? 'integrating' : 'simulating'}: ${Number((m.done as number).toPrecision(4))} of ${m.total} ${m.unit}`, true);
  else if (m.type === 'result') {
    result = m.result as PlaygroundResult;
    showResult(m.ms as number);
  } else if (m.type === 'simulation') {
    simulation = m.simulation as PlaygroundSimulation;
    void drawPlot();
    publish();
  } else if (m.type === 'done') setStatus(`done${result ? ` — ${result.name}` : ''}`);
  else if (m.type === 'error') {
    const e = m.error as PageError;
    if (m.during === 'derive' && e.line) showError('yaml', e);
    showError('run', e);
    markField(e);
    setStatus(`stopped (${m.during})`);
  }
}

function showResult(ms: number): void {
  const r = result as PlaygroundResult;
  performance.mark('hermode:result');
  $('results').hidden = false;
  $('backend').textContent = `expectations: ${r.backend}`;
  $('convention').textContent = `convention: ${r.convention} — derived and integrated in ${(ms / 1000).toFixed(2)} s`;
  const notes = $('notes');
  notes.replaceChildren(...r.notes.map((n) => Object.assign(document.createElement('li'), { textContent: n })));
  const warnings = $('warnings');
  warnings.replaceChildren(...r.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: `warning: ${w}` })));
  $('equations').innerHTML = r.equationsHtml;
  const axis = $('axis') as HTMLSelectElement;
  const have = axesOf(r.trajectory);
  for (const o of axis.options) o.disabled = !have.includes(o.value as Axis);
  if (!have.includes(axis.value as Axis)) axis.value = 'tau';
  void drawPlot();
  renderDownloads();
  publish();
}

async function drawPlot(): Promise<void> {
  if (!result) return;
  const spec = plotSpec(result.trajectory, ($('show') as HTMLSelectElement).value as Family, ($('axis') as HTMLSelectElement).value as Axis, simulation, result.name);
  const { vega, vegaLite } = plotting();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  lastSvg = await view.toSVG();
  view.finalize();
  $('plot').innerHTML = lastSvg;
  if (!performance.getEntriesByName('hermode:plot').length) performance.mark('hermode:plot');
  setDownload('dl-svg', `${result.name}-${($('show') as HTMLSelectElement).value}.svg`, lastSvg, 'image/svg+xml');
}

function setDownload(id: string, name: string, text: string, type: string): void {
  const a = $(id) as HTMLAnchorElement;
  if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
}

function renderDownloads(): void {
  const r = result as PlaygroundResult;
  const box = $('code-downloads');
  box.replaceChildren();
  for (const [name, text] of Object.entries(r.files)) {
    const a = document.createElement('a');
    a.id = `dl-${name.split('.').pop()}`;
    a.textContent = name;
    box.append(a, ' ');
    setDownload(a.id, name, text, 'text/plain');
  }
  setDownload('dl-json', `${r.name}-trajectory.json`, JSON.stringify(r.trajectory) + '\n', 'application/json');
  setDownload('dl-csv', `${r.name}-trajectory.csv`, r.csv, 'text/csv');
}

/** The result as a script or a test reads it: what the plot shows, with its backend and convention. */
function publish(): void {
  const r = result as PlaygroundResult;
  const t = r.trajectory;
  const json = {
    name: r.name,
    backend: r.backend,
    convention: r.convention,
    tau: t.tau,
    ...(t.alpha ? { alpha: t.alpha } : {}),
    ...(t.steps ? { steps: t.steps, samples: t.samples } : {}),
    risk: t.risk,
    M: t.M,
    Q: t.Q,
    a: t.a,
    params: (t.meta as { params?: unknown }).params,
    ...(simulation ? { simulation } : {}),
  };
  let el = document.getElementById('hermode-result');
  if (!el) {
    el = Object.assign(document.createElement('script'), { type: 'application/json', id: 'hermode-result' });
    document.body.append(el);
  }
  el.textContent = JSON.stringify(json).replace(/</g, '\\u003c');
}

async function copyLink(): Promise<void> {
  const frag = await encodeState(formState());
  const url = `${location.href.split('#')[0]}#${frag}`;
  history.replaceState(null, '', `#${frag}`);
  ($('link') as HTMLInputElement).value = url;
  try {
    await navigator.clipboard.writeText(url);
    $('link-note').textContent = 'copied';
  } catch {
    $('link-note').textContent = 'select and copy';
  }
}

async function openFragment(): Promise<void> {
  let state: PageState | null;
  try {
    state = await decodeFragment(location.hash);
  } catch (err) {
    showError('run', { kind: 'usage', message: err instanceof HermodeError ? err.line() : String(err) });
    return;
  }
  if (!state) return;
  try {
    applyState(state);
  } catch (err) {
    showError('run', { kind: 'usage', message: err instanceof HermodeError ? err.line() : String(err) });
    return;
  }
  scheduleCheck();
  await run();
}

function fillSelects(): void {
  const preset = $('preset') as HTMLSelectElement;
  for (const name of Object.keys(HERMODE_PRESETS).sort()) preset.append(new Option(name, name));
  const axis = $('axis') as HTMLSelectElement;
  for (const [k, v] of Object.entries(AXES)) axis.append(new Option(v, k));
  const show = $('show') as HTMLSelectElement;
  for (const [k, v] of Object.entries(FAMILIES)) show.append(new Option(v, k));
}

function main(): void {
  performance.mark('hermode:page-script');
  fillSelects();
  const guard = (f: () => unknown) => () => {
    try {
      const p = f();
      if (p instanceof Promise) p.catch((err) => showError('run', { kind: 'internal', message: String(err) }));
    } catch (err) {
      showError('run', { kind: 'internal', message: String(err) });
    }
  };
  $('preset').addEventListener('change', guard(() => {
    const name = ($('preset') as HTMLSelectElement).value;
    if (name) ($('yaml') as HTMLTextAreaElement).value = HERMODE_PRESETS[name];
    scheduleCheck();
  }));
  $('yaml').addEventListener('input', guard(() => {
    // an edited preset is no longer the preset
    const preset = $('preset') as HTMLSelectElement;
    if (preset.value && HERMODE_PRESETS[preset.value] !== ($('yaml') as HTMLTextAreaElement).value) preset.value = '';
    scheduleCheck();
  }));
  for (const id of ['yaml-error', 'run-error'])
    $(id).addEventListener('click', guard(() => {
      const line = Number($(id).dataset.line);
      if (line > 0) goToLine(line);
    }));
  $('run').addEventListener('click', guard(run));
  $('cancel').addEventListener('click', guard(cancel));
  $('copy-link').addEventListener('click', guard(copyLink));
  $('axis').addEventListener('change', guard(drawPlot));
  $('show').addEventListener('change', guard(drawPlot));
  // a link pasted into the address bar of an open page (the page's own updates use replaceState, which fires no hashchange)
  window.addEventListener('hashchange', guard(openFragment));
  setStatus('ready');
  // vega is evaluated while the worker derives (the page's thread is idle then), not at the first plot
  setTimeout(plotting, 0);
  if (location.hash.length > 1) void openFragment();
  else {
    ($('preset') as HTMLSelectElement).value = 'saad-solla-erf';
    ($('yaml') as HTMLTextAreaElement).value = HERMODE_PRESETS['saad-solla-erf'] ?? Object.values(HERMODE_PRESETS)[0];
    ($('axis') as HTMLSelectElement).value = 'tau';
    scheduleCheck();
  }
}
main();
