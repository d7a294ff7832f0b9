/**
 * Sweeps over dimension d, batch size n_b(d) and loss: escape steps and samples per point from the
 * ODE, the finite-step map or the simulators, log–log fits of steps against n_b and of samples
 * against d with 95 % confidence intervals of the exponents. Completed points are kept on disk and
 * skipped when the sweep is run again with the same settings.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Derivation } from '../pipeline.ts';
import { deriveWith } from '../pipeline.ts';
import type { Spec } from '../spec/load.ts';
import { evaluateExpression } from '../symbolic/expr.ts';
import { usageError } from '../errors.ts';
import { resolveParams } from '../numeric/setup.ts';
import { stateOf, type Overlaps } from '../numeric/trajectory.ts';
import { writeFileAtomic } from '../io/files.ts';
import { identity } from '../linalg.ts';
import { odeEscape, mapEscape, simEscape, typicalStart, criticalEtaBar, type EscapeCriterion, type EscapeResult } from './escape.ts';
import { fitPowerLaw, type LineFit } from './fit.ts';
import type { Engine } from '../simulate/pool.ts';
import type { Rules } from '../rules/spec.ts';
import { lossNamed, type LossName } from '../loss/index.ts';

export type Method = 'ode' | 'map' | 'sim';

export interface SweepSettings {
  ds: number[];
  nbs: string[];
  losses: LossName[];
  methods: Method[];
  seeds: number;
  seed: number;
  criterion: EscapeCriterion;
  /** γ or η̄ as an expression in d, nb, p, k and crit (the critical η̄ at the start); null when a learning-rate rule sets γ_t */
  rate: { kind: 'gamma' | 'eta_bar'; text: string } | null;
  /** a learning-rate rule (the batch size is the sweep's axis) */
  rules?: Rules;
  horizon: string;
  engine: 'full' | 'reduced' | 'auto';
  sets: Record<string, string>;
  init: Overlaps | null;
}

export interface SweepPoint extends EscapeResult {
  d: number;
  nbLabel: string;
  nb: number;
  loss: string;
  /** the constant rate (null under a learning-rate rule) */
  gamma: number | null;
  etaBar: number | null;
  etaBarCrit: number | null;
  engine?: string;
}

export interface SweepFit {
  kind: 'steps-vs-nb' | 'samples-vs-d';
  group: string;
  loss: string;
  method: string;
  fit: LineFit;
}

export function settingsHash(spec: Spec, s: SweepSettings): string {
  return createHash('sha256').update(JSON.stringify({ spec: spec.hash, ...s })).digest('hex').slice(0, 16);
}

export interface SweepProgress {
  (done: number, total: number, point: SweepPoint, cached: boolean): void;
}

/** The points of a sweep in order, with the key of each point's file (points/<key>.json). */
export function sweepGrid(spec: Spec, s: SweepSettings): { d: number; nbLabel: string; nb: number; loss: LossName; method: Method; key: string }[] {
  const p = spec.student.width;
  const k = spec.teacher.width;
  const grid: ReturnType<typeof sweepGrid> = [];
  for (const d of s.ds)
    for (const nbLabel of s.nbs) {
      const nb = Math.max(1, Math.round(evaluateExpression(nbLabel, { d, p, k }, 'nb')));
      for (const loss of s.losses) for (const method of s.methods) grid.push({ d, nbLabel, nb, loss, method, key: `d${d}-nb${nb}-${loss}-${method}` });
    }
  return grid;
}

/**
 * Runs the sweep's points (all, or only the one at index `only`: a task of a cluster run), reusing
 * the points already in outDir/points.
 */
export async function runSweep(spec: Spec, s: SweepSettings, outDir: string | null, workers: number, progress?: SweepProgress, only?: number): Promise<{ points: SweepPoint[]; fits: SweepFit[] }> {
  const ders = new Map<string, Derivation>();
  for (const loss of s.losses) {
    const refusal = lossNamed(loss).refuses({ trainSecondLayer: spec.student.second_layer.train });
    if (refusal) throw usageError(`${refusal.message} (sweeping ${loss})`, { file: spec.file, field: '--loss', value: loss });
    ders.set(loss, deriveWith(spec, { loss }));
  }
  const all = sweepGrid(spec, s);
  const grid = only === undefined ? all : [all[only]];
  const points: SweepPoint[] = [];
  let done = 0;
  for (const g of grid) {
    const der = ders.get(g.loss) as Derivation;
    const nb = g.nb;
    const key = g.key;
    const file = outDir ? join(outDir, 'points', `${key}.json`) : null;
    if (file && existsSync(file)) {
      const pt = JSON.parse(readFileSync(file, 'utf8')) as SweepPoint;
      points.push(pt);
      progress?.(++done, grid.length, pt, true);
      continue;
    }
    const params = resolveParams(der.model, der.layout, s.sets, s.init?.P);
    const P = s.init?.P ?? identity(der.model.k);
    const start = s.init ?? typicalStart(der, g.d, P);
    if (!der.layout.trained) start.a.forEach((v, j) => (params[der.layout.aParam + j] = v));
    const crit = criticalEtaBar(der, stateOf(start, der.layout), params, s.criterion);
    const scope = { d: g.d, nb, p: der.model.p, k: der.model.k, crit: crit ?? NaN };
    let gamma = NaN;
    if (s.rate) {
      const rate = evaluateExpression(s.rate.text, scope, `--set ${s.rate.kind}`);
      if (!(rate > 0)) throw usageError(`must be > 0 (got ${rate} at d = ${g.d}, nb = ${nb}${crit === null ? '; crit is undefined for this model and start' : ''})`, { field: `--set ${s.rate.kind}`, value: s.rate.text });
      gamma = s.rate.kind === 'gamma' ? rate : (rate * nb) / g.d;
    }
    const etaBar = (gamma * g.d) / nb;
    params[der.layout.etaBar] = Number.isFinite(etaBar) ? etaBar : 0;
    const horizonSteps = Math.max(1, Math.round(evaluateExpression(s.horizon, { d: g.d, nb, p: der.model.p, k: der.model.k }, 'maxSteps')));
    const setup = { der, d: g.d, nb, gamma, params, start, criterion: s.criterion, horizonSteps, rules: s.rules };
    let res: EscapeResult;
    let engine: string | undefined;
    if (g.method === 'ode') res = odeEscape(setup);
    else if (g.method === 'map') res = mapEscape(setup);
    else {
      const eng: Engine = s.engine === 'auto' ? (g.d * Math.max(1, der.model.p) > 20000 ? 'reduced' : 'full') : s.engine;
      engine = eng;
      res = await simEscape(setup, Array.from({ length: s.seeds }, (_, i) => s.seed + i), eng, workers, s.init);
    }
    const pt: SweepPoint = { ...res, d: g.d, nbLabel: g.nbLabel, nb, loss: g.loss, gamma: Number.isFinite(gamma) ? gamma : null, etaBar: Number.isFinite(etaBar) ? etaBar : null, etaBarCrit: crit, ...(engine ? { engine } : {}) };
    if (file) writeFileAtomic(file, JSON.stringify(pt) + '\n');
    points.push(pt);
    progress?.(++done, grid.length, pt, false);
  }
  return { points, fits: fits(points) };
}

function fits(points: SweepPoint[]): SweepFit[] {
  const out: SweepFit[] = [];
  const groups = new Map<string, SweepPoint[]>();
  const add = (key: string, p: SweepPoint) => groups.set(key, [...(groups.get(key) ?? []), p]);
  for (const p of points) {
    if (p.steps === null || !Number.isFinite(p.steps)) continue;
    add(`steps-vs-nb|d=${p.d}|${p.loss}|${p.method}`, p);
    add(`samples-vs-d|nb=${p.nbLabel}|${p.loss}|${p.method}`, p);
  }
  for (const [key, ps] of groups) {
    const [kind, group, loss, method] = key.split('|');
    const xs = kind === 'steps-vs-nb' ? ps.map((p) => p.nb) : ps.map((p) => p.d);
    if (new Set(xs).size < 2) continue;
    const ys = kind === 'steps-vs-nb' ? ps.map((p) => p.steps as number) : ps.map((p) => p.samples as number);
    out.push({ kind: kind as SweepFit['kind'], group, loss, method, fit: fitPowerLaw(xs, ys) });
  }
  return out;
}

export function sweepCsv(points: SweepPoint[]): string {
  const head = ['d', 'nb_label', 'nb', 'loss', 'method', 'engine', 'gamma', 'eta_bar', 'eta_bar_crit', 'escape_steps_median', 'q1', 'q3', 'samples', 'tau', 'escaped_fraction', 'runs', 'horizon_steps'];
  const v = (x: unknown) => (x === null || x === undefined ? '' : String(x));
  return [head.join(','), ...points.map((p) => [p.d, p.nbLabel, p.nb, p.loss, p.method, p.engine, p.gamma, p.etaBar, p.etaBarCrit, p.steps, p.stepsQ1, p.stepsQ3, p.samples, p.tau, p.escapedFraction, p.runs, p.horizonSteps].map(v).join(','))].join('\n') + '\n';
}
