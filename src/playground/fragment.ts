/**
 * The page's whole state in the URL fragment, so that a link reproduces a view. Two forms:
 *   compressed  #z=<base64url of the deflate-raw of the state's JSON> (what "copy link" makes);
 *   plain       #yaml=<URL-encoded derivation>&set=eta_bar=0.5,nb=1&tau=10&init=<URL-encoded JSON>
 *               (also preset=<shipped derivation>, lr, batch, batch-schedule, lr-schedule, d, sim=1, seeds, seed, axis,
 *               show), for links written by hand.
 * Unknown keys and malformed values are refused with a message naming them (the page shows it).
 */
import { usageError } from '../errors.ts';
import type { Axis, Family } from './plot.ts';
import type { PlaygroundInput } from './session.ts';

/** What the page's form holds: the texts of a run (session.ts) and what is shown of it. */
export interface PageState extends PlaygroundInput {
  /** the derivation's text, or empty with `preset` naming a shipped one */
  yaml: string;
  preset?: string;
  set: string;
  tau: string;
  axis?: Axis;
  show?: Family;
}

const PLAIN_KEYS = ['yaml', 'preset', 'set', 'tau', 'init', 'lr', 'batch', 'batch-schedule', 'lr-schedule', 'd', 'sim', 'seeds', 'seed', 'axis', 'show'] as const;
const AXIS_VALUES = ['tau', 'alpha', 'steps', 'samples'];
const FAMILY_VALUES = ['risk', 'M', 'Q', 'a'];

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function through(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** The compressed fragment of a state (without the leading #). */
export async function encodeState(state: PageState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return `z=${toBase64Url(await through(json, new CompressionStream('deflate-raw')))}`;
}

/** The state a fragment (with or without its #) stands for; null for an empty fragment. */
export async function decodeFragment(fragment: string): Promise<PageState | null> {
  const text = fragment.replace(/^#/, '');
  if (!text) return null;
  if (text.startsWith('z=')) {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(await through(fromBase64Url(text.slice(2)), new DecompressionStream('deflate-raw'))));
    } catch {
      throw usageError('is not a link made by the page (it does not decompress to a state)', { field: 'link #z' });
    }
    return checkedState(raw as Record<string, unknown>);
  }
  const raw: Record<string, unknown> = {};
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    let value: string;
    try {
      value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, '%20'));
    } catch {
      throw usageError('is not URL-encoded text', { field: `link ${key}` });
    }
    if (!(PLAIN_KEYS as readonly string[]).includes(key)) throw usageError(`unknown key (known: ${PLAIN_KEYS.join(', ')})`, { field: `link ${key}` });
    raw[key] = value;
  }
  const sim = raw.sim !== undefined || raw.seeds !== undefined ? { seeds: String(raw.seeds ?? '8'), seed: String(raw.seed ?? '1') } : undefined;
  delete raw.seeds;
  delete raw.seed;
  if (raw.sim !== undefined && !['1', 'true', 'yes', ''].includes(String(raw.sim))) throw usageError('expected 1 (simulate) or no sim key', { field: 'link sim', value: raw.sim });
  delete raw.sim;
  return checkedState({ ...raw, ...(sim ? { sim } : {}) });
}

function checkedState(raw: Record<string, unknown>): PageState {
  if (raw === null || typeof raw !== 'object') throw usageError('expected a state object', { field: 'link' });
  const str = (k: string): string | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw usageError('expected text', { field: `link ${k}`, value: v });
    return v;
  };
  const yaml = str('yaml') ?? '';
  const preset = str('preset');
  if (!yaml && !preset) throw usageError('a link needs the derivation: yaml=<URL-encoded YAML> or preset=<name>', { field: 'link yaml' });
  const axis = str('axis');
  if (axis !== undefined && !AXIS_VALUES.includes(axis)) throw usageError(`expected one of ${AXIS_VALUES.join(', ')}`, { field: 'link axis', value: axis });
  const show = str('show');
  if (show !== undefined && !FAMILY_VALUES.includes(show)) throw usageError(`expected one of ${FAMILY_VALUES.join(', ')}`, { field: 'link show', value: show });
  const simRaw = raw.sim as { seeds?: unknown; seed?: unknown } | undefined;
  const sim = simRaw ? { seeds: String(simRaw.seeds ?? '8'), seed: String(simRaw.seed ?? '1') } : undefined;
  const state: PageState = { yaml, set: str('set') ?? '', tau: str('tau') ?? '10' };
  for (const k of ['preset', 'init', 'lr', 'batch', 'd'] as const) {
    const v = str(k);
    if (v !== undefined && v !== '') state[k] = v;
  }
  // the plain form's key is the option's name, the compressed form's the state's field
  const batchSchedule = str('batch-schedule') ?? str('batchSchedule');
  if (batchSchedule) state.batchSchedule = batchSchedule;
  const lrSchedule = str('lr-schedule') ?? str('lrSchedule');
  if (lrSchedule) state.lrSchedule = lrSchedule;
  if (sim) state.sim = sim;
  if (axis) state.axis = axis as Axis;
  if (show) state.show = show as Family;
  return state;
}

/** The plain, hand-writable fragment of a state (without the leading #). */
export function plainFragment(state: PageState): string {
  const parts: string[] = [];
  const put = (k: string, v: string | undefined) => v !== undefined && v !== '' && parts.push(`${k}=${encodeURIComponent(v)}`);
  if (state.yaml) put('yaml', state.yaml);
  else put('preset', state.preset);
  put('set', state.set);
  put('tau', state.tau);
  put('init', state.init);
  put('lr', state.lr);
  put('batch', state.batch);
  put('batch-schedule', state.batchSchedule);
  put('lr-schedule', state.lrSchedule);
  put('d', state.d);
  if (state.sim) parts.push('sim=1', `seeds=${encodeURIComponent(state.sim.seeds)}`, `seed=${encodeURIComponent(state.sim.seed)}`);
  put('axis', state.axis);
  put('show', state.show);
  return parts.join('&');
}
