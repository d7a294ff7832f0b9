/**
 * Parameters and initial overlaps for a run. Parameters come from the generated defaults, then
 * `--set name=value` (with the Saad–Solla aliases eta → eta_bar and eta_v → kappa = p²η_v/η, THEORY
 * §1.2). Initial overlaps come from a JSON file {"Q", "M", "P", "a"} or from the documented default:
 * Q = I, M_jr ~ N(0, m0²) drawn from a seed (m0 = 1/√1000: a random start at d = 1000), P = I and
 * the derivation's second layer. Every input is checked: shapes, finiteness and Ω ⪰ 0.
 */
import { readFileSync } from 'node:fs';
import type { ModelCore as Model } from '../hermite/model.ts';
import type { Layout } from '../ode/layout.ts';
import { pIndex } from '../ode/layout.ts';
import { usageError } from '../errors.ts';
import { Rng } from '../random/rng.ts';
import { symmetricEigenvalues, identity } from '../linalg.ts';
import { omegaOf, type Overlaps } from './trajectory.ts';

import { DEFAULT_M0 } from './defaults.ts';
import { maxAbsOf } from '../extrema.ts';
import { beyondBound, type Bound } from '../limits.ts';

export { DEFAULT_M0 };

/** An integer ≥ `min` given as text (seeds, counts, dimensions); a usage error names the field otherwise. */
/** An integer typed by the user, at least `min` and — for a size — at most `max` (the bound says why). */
export function integerValue(text: string, field: string, min: number, bound?: Bound): number {
  const v = numberValue(text, field);
  if (!Number.isInteger(v) || v < min) throw usageError(`must be an integer ≥ ${min}`, { field, value: text });
  if (bound && v > bound.max) throw usageError(beyondBound(bound), { field, value: text });
  return v;
}

/** Parses `name=value` assignments into a map (value kept as text). */
export function parseAssignments(list: string[] | undefined, option = '--set'): Record<string, string> {
  const out: Record<string, string> = {};
  // `--set a=1,b=2` is two assignments (a comma starts a new one only where `name=` follows)
  for (const item of (list ?? []).flatMap((x) => x.split(/,(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)/))) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/.exec(item);
    if (!m) throw usageError(`expected name=value, got ${JSON.stringify(item)}`, { field: option });
    out[m[1]] = m[2].trim();
  }
  return out;
}

export function numberValue(text: string, field: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw usageError('expected a finite number', { field, value: text });
  return v;
}

/** The option a parameter assignment's field (`sets.eta_bar`, as the library names it) was typed as: `--set eta_bar`; other fields as they are. */
export function assignmentOption(field: string): string {
  return field === 'sets' || field.startsWith('sets.') ? `--set${field.slice(4).replace('.', ' ')}` : field;
}

/** Parameter vector from defaults and assignments (unknown names are refused, listing the known). */
export function resolveParams(model: Model, L: Layout, sets: Record<string, string>, P?: number[][]): number[] {
  const params = L.defaultParams.slice();
  const saad = model.convention === 'saad-solla';
  const assigned: Record<string, number> = {};
  for (const [name, text] of Object.entries(sets)) assigned[name] = numberValue(text, `sets.${name}`);
  if ('eta' in assigned) {
    if (!saad) throw usageError('eta is the Saad–Solla learning rate; in the canonical convention set eta_bar (= γd/n_b)', { field: 'sets.eta' });
    assigned.eta_bar = assigned.eta;
    delete assigned.eta;
  }
  if ('eta_v' in assigned) {
    if (!saad || !L.trained) throw usageError('eta_v needs convention saad-solla and a trained second layer (else set kappa)', { field: 'sets.eta_v' });
    const eta = assigned.eta_bar ?? params[L.etaBar];
    assigned.kappa = (model.p * model.p * assigned.eta_v) / eta;
    delete assigned.eta_v;
  }
  for (const [name, v] of Object.entries(assigned)) {
    const i = L.paramNames.indexOf(name);
    if (i < 0) throw usageError(`unknown parameter (known: ${L.paramNames.join(', ')}${saad ? ', eta, eta_v' : ''})`, { field: `--set ${name}` });
    if ((name === 'eta_bar' || name === 'Delta' || name === 'kappa' || name in L.regParams) && v < 0) throw usageError('must be ≥ 0', { field: `--set ${name}`, value: v });
    params[i] = v;
  }
  if (P) for (let r = 0; r < model.k; r++) for (let t = r; t < model.k; t++) params[L.P + pIndex(model.k, r, t)] = P[r][t];
  return params;
}

/** A parameter vector as `--set` assignments by name, without η̄ and P (which come from the rate and the start). */
export function paramSets(L: Layout, params: number[]): Record<string, number> {
  return Object.fromEntries(L.paramNames.map((n, i) => [n, params[i]] as const).filter(([n]) => n !== 'eta_bar' && !n.startsWith('P_')));
}

/** Teacher overlaps P from the parameter vector. */
export function teacherOverlaps(params: number[], L: Layout): number[][] {
  return Array.from({ length: L.k }, (_, r) => Array.from({ length: L.k }, (_, t) => params[L.P + pIndex(L.k, Math.min(r, t), Math.max(r, t))]));
}

export function defaultOverlaps(model: Model, seed: number, m0 = DEFAULT_M0): Overlaps {
  const rng = new Rng(seed, 0x1417);
  const { p, k } = model;
  return {
    Q: identity(p),
    M: Array.from({ length: p }, () => Array.from({ length: k }, () => m0 * rng.normal())),
    P: identity(k),
    a: model.a0.slice(),
  };
}

/** Reads and validates an initial-overlap file. Missing P or a fall back to I and the derivation's a. */
export function readOverlapsFile(file: string, model: Model): Overlaps {
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw usageError(e.code ? `cannot read (${e.code})` : `invalid JSON: ${e.message}`, { file });
  }
  return validateOverlaps(raw, model, file);
}

export function validateOverlaps(raw: any, model: Model, file = '<init>'): Overlaps {
  const { p, k } = model;
  const matrix = (name: string, rows: number, cols: number, fallback?: number[][]): number[][] => {
    const v = raw?.[name];
    if (v === undefined && fallback) return fallback;
    const ok = Array.isArray(v) && v.length === rows && v.every((r: unknown) => Array.isArray(r) && r.length === cols && r.every((x) => typeof x === 'number' && Number.isFinite(x)));
    if (!ok) throw usageError(`expected a ${rows}×${cols} array of finite numbers`, { file, field: name, value: v });
    return v as number[][];
  };
  if (raw === null || typeof raw !== 'object') throw usageError('expected a JSON object {"Q": …, "M": …, "P": …, "a": …}', { file });
  const Q = matrix('Q', p, p);
  const M = matrix('M', p, k);
  const P = matrix('P', k, k, identity(k));
  let a = model.a0.slice();
  if (raw.a !== undefined) {
    if (!Array.isArray(raw.a) || raw.a.length !== p || !raw.a.every((x: unknown) => typeof x === 'number' && Number.isFinite(x)))
      throw usageError(`expected ${p} finite numbers`, { file, field: 'a', value: raw.a });
    a = raw.a;
  }
  for (const [name, S] of [['Q', Q], ['P', P]] as const)
    for (let i = 0; i < S.length; i++)
      for (let j = 0; j < i; j++)
        if (Math.abs(S[i][j] - S[j][i]) > 1e-12 * (1 + Math.abs(S[i][j]))) throw usageError('is not symmetric', { file, field: name, value: S });
  const omega = omegaOf(M, Q, P);
  const ev = symmetricEigenvalues(omega);
  const scale = maxAbsOf(omega.map((r, i) => r[i]), 1);
  if (ev[0] < -1e-10 * scale)
    throw usageError(`Ω = [[Q, M], [Mᵀ, P]] is not positive semi-definite (smallest eigenvalue ${ev[0].toPrecision(4)})`, { file, field: 'Q, M, P' });
  return { Q, M, P, a };
}
