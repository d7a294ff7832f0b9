/** `hermode plateau`: plateau lengths in simulation at several d against the escape law of the saddle (1/(2λ₊) per unit ln d). */
import { join } from 'node:path';
import { deriveFile } from '../pipeline.ts';
import { findFixedPoints } from '../numeric/fixedpoints.ts';
import { defaultOverlaps, parseAssignments, resolveParams, numberValue, integerValue } from '../numeric/setup.ts';
import { plateauLengths, plateauHorizon, plateauSeconds, type PlateauResult } from '../studies/plateau.ts';
import { D_BOUND, SEEDS_BOUND, WORKERS_BOUND, durationText, TIME_LIMIT_OVERRIDE } from '../limits.ts';
import { failure, usageError } from '../errors.ts';
import { num, table } from '../report/format.ts';
import { renderSvg } from '../report/plots.ts';
import { writeFilesAtomic } from '../io/files.ts';
import { out, announceStage } from './print.ts';
import { progressReporter } from './progress.ts';
import { timeLimitOf } from '../numeric/outcome.ts';
import type { Engine } from '../simulate/pool.ts';
import { maxOf, minOf } from '../extrema.ts';

export interface PlateauOpts {
  set?: string[];
  d: string;
  nb?: string;
  seeds: string;
  seed: string;
  band: string;
  tau?: string;
  engine: string;
  workers: string;
  fpTau: string;
  expectations?: string;
  json?: boolean;
  out?: string;
  quiet?: boolean;
  timeLimit?: string | false;
}

/** A comma-separated list of integers, each ≥ min and within the bound. */
function integerList(text: string, field: string, min: number, bound: typeof D_BOUND): number[] {
  const xs = text.split(',').map((t) => integerValue(numberValue(t.trim(), field).toString(), field, min, bound));
  if (!xs.length) throw usageError('expected a comma-separated list', { field, value: text });
  return xs;
}

export async function plateauCommand(file: string, o: PlateauOpts): Promise<void> {
  const dims = integerList(o.d, '--d', 10, D_BOUND);
  if (dims.length < 2) throw usageError('give at least two dimensions (the check is a slope in ln d)', { field: '--d', value: o.d });
  if (new Set(dims).size !== dims.length) throw usageError('the dimensions must differ', { field: '--d', value: o.d });
  const dMin = minOf(dims);
  const nbs = o.nb !== undefined ? integerList(o.nb, '--nb', 1, { max: 1e9, why: 'a mini-batch' }) : dims.map((d) => Math.max(1, Math.round(d / dMin)));
  if (nbs.length !== dims.length) throw usageError(`give one n_b per dimension (${dims.length})`, { field: '--nb', value: o.nb });
  const nSeeds = integerValue(o.seeds, '--seeds', 5, SEEDS_BOUND);
  const seed0 = integerValue(o.seed, '--seed', 0);
  const band = numberValue(o.band, '--band');
  if (!(band > 0 && band < 10)) throw usageError('must be in (0, 10)', { field: '--band', value: o.band });
  if (o.engine !== 'reduced' && o.engine !== 'full') throw usageError('expected reduced or full', { field: '--engine', value: o.engine });
  const workers = integerValue(o.workers, '--workers', 1, WORKERS_BOUND);
  const fpTau = numberValue(o.fpTau, '--fp-tau');
  if (!(fpTau > 0 && fpTau <= 1e6)) throw usageError('must be in (0, 1e6]', { field: '--fp-tau', value: o.fpTau });
  const limit = timeLimitOf(o);

  const der = deriveFile(file, o.expectations, announceStage);
  const params = resolveParams(der.model, der.layout, parseAssignments(o.set));
  const fps = findFixedPoints(der, { params, start: defaultOverlaps(der.model, 1), tau: fpTau });
  const saddles = fps.filter((f) => f.type === 'saddle' && f.leading && f.leading.value > 0);
  if (!saddles.length) throw failure(`no saddle with a real unstable eigenvalue among the fixed points found (${fps.map((f) => f.type).join(', ')}): there is no plateau to measure`);
  // the plateau a committee visits: the symmetric point when there is one, else the first saddle
  const saddle = saddles.find((f) => f.origin === 'symmetric') ?? saddles[0];
  const lead = saddle.leading as { value: number };
  const horizons = o.tau !== undefined ? dims.map(() => numberValue(o.tau as string, '--tau')) : dims.map((d) => plateauHorizon(lead.value, saddle.escape?.deltaStar ?? 0.2, d));
  if (horizons.some((h) => !(h > 0 && h <= 1e6))) throw usageError('must be in (0, 1e6]', { field: '--tau', value: o.tau });
  const seeds = Array.from({ length: nSeeds }, (_, i) => seed0 + i);
  const engine = o.engine as Engine;
  const seconds = plateauSeconds({ der, params, dims, nbs, seeds, engine, workers }, horizons);
  if (seconds > limit)
    throw failure(`the simulations would take up to about ${durationText(seconds)} (${nSeeds} seeds at d = ${dims.join(', ')}, to τ = ${horizons.map((h) => num(h, 3)).join(', ')}; runs stop once past the band), beyond the time limit of ${durationText(limit)}: fewer seeds or smaller d make it feasible; ${TIME_LIMIT_OVERRIDE}`, { field: '--seeds', value: nSeeds });
  const bar = progressReporter('plateau: simulating from the saddle', 'steps', o.quiet);
  let res: PlateauResult;
  try {
    res = await plateauLengths({ der, params, saddle, dims, nbs, seeds, band, engine, workers, horizons, onProgress: bar });
  } finally {
    bar.stop();
  }
  const json = JSON.stringify(
    {
      name: der.model.name,
      convention: 'canonical',
      timeUnit: 'tau',
      start: 'the saddle itself (exactly symmetric overlaps): the symmetry is broken by SGD noise alone',
      exit: `first τ at which |w₊·(y − y*)| exceeds the band ${band} (w₊ the left eigenvector of λ₊ with w₊·v₊ = 1: the coordinate along v₊)`,
      expectations: der.plan.label,
      engine,
      params: Object.fromEntries(der.layout.paramNames.map((n, i) => [n, params[i]])),
      saddle: { stateNames: der.layout.stateNames, y: saddle.y, risk: saddle.risk, lambdaPlus: lead.value, deltaStar: res.deltaStar },
      ...res,
    },
    null,
    1,
  );
  if (o.out) {
    const rows = res.perD.map((p) => ({ d: p.d, median: p.median, lo: (p.median as number) - 2 * (p.medianSE ?? 0), hi: (p.median as number) + 2 * (p.medianSE ?? 0) }));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const lnMean = mean(res.perD.map((p) => Math.log(p.d)));
    const medMean = mean(res.perD.map((p) => p.median as number));
    const line = [minOf(dims), maxOf(dims)].map((d) => ({ d, law: medMean + res.predictedSlope * (Math.log(d) - lnMean) }));
    const svg = await renderSvg({
      width: 520,
      height: 320,
      title: `${der.model.name}: median exit from the plateau (τ) against d; line: slope 1/(2λ₊) = ${num(res.predictedSlope, 4)} per ln d`,
      layer: [
        { data: { values: line }, mark: { type: 'line', strokeDash: [5, 4], color: '#888' }, encoding: { x: { field: 'd', type: 'quantitative', scale: { type: 'log' }, title: 'd' }, y: { field: 'law', type: 'quantitative', title: 'median exit τ (±2 SE)' } } },
        { data: { values: rows }, mark: { type: 'rule' }, encoding: { x: { field: 'd', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
        { data: { values: rows }, mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'd', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'median', type: 'quantitative' } } },
      ],
    });
    writeFilesAtomic([{ path: join(o.out, 'plateau.json'), content: json + '\n' }, { path: join(o.out, 'plateau.svg'), content: svg }]);
  }
  if (o.json) {
    out(json);
    return;
  }
  out(`plateau of ${der.model.name} (${der.plan.label}; ${engine} simulator, started on the saddle): time unit τ`);
  out(`saddle: ε = ${num(saddle.risk, 4)}, λ₊ = ${num(lead.value, 4)}; exit = first τ at which the coordinate along v₊, w₊·(y − y*), leaves ±${band}`);
  out(
    table(
      ['d', 'n_b', 'γ', 'seeds', 'left the band', 'median exit τ', '± SE', 'linear-noise theory', 'quartiles', 'theory', 'KS distance (1 % critical)', 'δ* e^{−λ₊τ}·√d'],
      res.perD.map((p) => [
        p.d,
        p.nb,
        p.gamma,
        p.exits.length,
        `${num(100 * p.escapedFraction, 3)} %`,
        p.median ?? '—',
        p.medianSE ?? '—',
        p.predictedMedian ?? '—',
        `${num(p.q1 ?? NaN, 4)} – ${p.q3 === null ? '>' + num(p.horizonTau, 4) : num(p.q3, 4)}`,
        p.predictedQ1 !== undefined ? `${num(p.predictedQ1, 4)} – ${num(p.predictedQ3 as number, 4)}` : '—',
        p.ks ? `${num(p.ks.distance, 3)} (${num(p.ks.critical, 3)})${p.ks.pass ? '' : ' NO'}` : '—',
        p.deltaEffSqrtD ?? '—',
      ]),
    ),
  );
  if (res.noise !== undefined) out(`linear-noise theory (THEORY §2.13): the coordinate along v₊ diffuses at c = √(w₊ᵀDw₊) = ${num(res.noise, 4)}, so x ≈ g·c/√(2λ₊d)·e^{λ₊τ}, g ~ N(0, 1): the exit τ = [ln(band·√(2λ₊d)/c) − ln|g|]/λ₊ (median at |g| = 0.6745), P(τ ≤ t) = 2(1 − Φ(e^{A−λ₊t})); the seeds' exits against it by Kolmogorov–Smirnov`);
  out(`growth per unit ln d: measured ${num(res.measuredSlope, 4)} ± ${num(res.slopeSE, 2)} (bootstrap, ${res.bootstrap} resamples), law 1/(2λ₊) = ${num(res.predictedSlope, 4)}; ratio ${num(res.ratio, 4)} ± ${num(res.ratioSE, 2)}`);
}
