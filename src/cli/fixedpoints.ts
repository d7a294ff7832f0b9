/** `hermode fixed-points`: the fixed points of the overlap ODE reached from a start, their risks and linear stability. */
import { deriveFile } from '../pipeline.ts';
import { findFixedPoints, sweepFixedPoints, type FixedPoint, type FixedPointRequest } from '../numeric/fixedpoints.ts';
import type { Derivation } from '../pipeline.ts';
import { defaultOverlaps, readOverlapsFile, parseAssignments, resolveParams, numberValue, integerValue } from '../numeric/setup.ts';
import { num, table } from '../report/format.ts';
import { usageError } from '../errors.ts';
import { out, announceStage } from './print.ts';
import { progressReporter } from './progress.ts';
import { renderSvg } from '../report/plots.ts';
import { writeFilesAtomic } from '../io/files.ts';
import { join } from 'node:path';

export interface FixedPointOpts {
  set?: string[];
  init?: string;
  tau: string;
  seed: string;
  m0: string;
  expectations?: string;
  json?: boolean;
  quiet?: boolean;
  sweep?: string;
  out?: string;
}

const MAX_SWEEP_POINTS = 400;

/** `--sweep name=lo:hi:n` → the parameter's index and its n values. */
function sweepValues(text: string, names: readonly string[]): { index: number; name: string; values: number[] } {
  const m = /^([A-Za-z_][\w]*)=([^:]+):([^:]+):([^:]+)$/.exec(text);
  if (!m) throw usageError('expected name=lo:hi:n (e.g. eta_bar=0.5:4:15)', { field: '--sweep', value: text });
  const index = names.indexOf(m[1]);
  if (index < 0) throw usageError(`unknown parameter ${m[1]}; the derivation's parameters are ${names.join(', ')}`, { field: '--sweep', value: text });
  const [lo, hi] = [numberValue(m[2], '--sweep lo'), numberValue(m[3], '--sweep hi')];
  const n = integerValue(m[4], '--sweep n', 2);
  if (n > MAX_SWEEP_POINTS) throw usageError(`at most ${MAX_SWEEP_POINTS} values`, { field: '--sweep', value: text });
  if (!(hi !== lo)) throw usageError('lo and hi must differ', { field: '--sweep', value: text });
  return { index, name: m[1], values: Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)) };
}

const MAX_TAU = 1e6;

const eig = (e: { re: number; im: number }) => (e.im === 0 ? num(e.re, 4) : `${num(e.re, 4)}${e.im > 0 ? '+' : '−'}${num(Math.abs(e.im), 3)}i`);

export async function fixedPointsCommand(file: string, o: FixedPointOpts): Promise<void> {
  const d = deriveFile(file, o.expectations, announceStage);
  const sets = parseAssignments(o.set);
  const params = resolveParams(d.model, d.layout, sets);
  const tau = numberValue(o.tau, '--tau');
  if (!(tau > 0 && tau <= MAX_TAU)) throw usageError(`must be in (0, ${MAX_TAU}]`, { field: '--tau', value: o.tau });
  const start = o.init ? readOverlapsFile(o.init, d.model) : defaultOverlaps(d.model, integerValue(o.seed, '--seed', 0), numberValue(o.m0, '--m0'));
  const onProgress = progressReporter('fixed points: integrating from the start and its symmetrisation', 'τ', o.quiet);
  if (o.sweep !== undefined) return sweepCommand(d, o, { params, start, tau, onProgress }, sweepValues(o.sweep, d.layout.paramNames));
  const stem = o.out;
  const fps = findFixedPoints(d, { params, start, tau, onProgress });
  const json = JSON.stringify(
    {
      name: d.model.name,
      convention: 'canonical',
      timeUnit: 'tau',
      rates: 'eigenvalues of ∂(dy/dτ)/∂y, per unit τ',
      expectations: d.plan.label,
      params: Object.fromEntries(d.layout.paramNames.map((n, i) => [n, params[i]])),
      stateNames: d.layout.stateNames,
      fixedPoints: fps.map((f) => ({ ...f, y: undefined })),
    },
    null,
    1,
  );
  if (stem) {
    // the eigenvalues in the complex plane, one colour per fixed point
    const rows = fps.flatMap((f, i) => f.eigenvalues.map((e) => ({ point: `#${i + 1} ${f.type}`, re: e.re, im: e.im })));
    const svg = await renderSvg({
      width: 480,
      height: 320,
      title: `${d.model.name}: eigenvalues of ∂(dy/dτ)/∂y at the fixed points (per unit τ)`,
      data: { values: rows },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { x: { datum: 0 } } },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 're', type: 'quantitative', title: 'Re λ' }, y: { field: 'im', type: 'quantitative', title: 'Im λ' }, color: { field: 'point', type: 'nominal', title: 'fixed point' } } },
      ],
    });
    writeFilesAtomic([{ path: join(stem, 'fixed-points.json'), content: json + '\n' }, { path: join(stem, 'eigenvalues.svg'), content: svg }]);
  }
  if (o.json) {
    out(json);
    return;
  }
  out(`fixed points of ${d.model.name} (${d.plan.label}); time unit τ, eigenvalues of ∂(dy/dτ)/∂y per unit τ`);
  out(
    table(
      ['#', 'seeded by', 'type', 'risk ε', 'unstable', 'neutral', 'λ₊ or slowest rate', 'min eig Ω', '|dy/dτ|'],
      fps.map((f, i) => [i + 1, f.origin, f.type, f.risk, f.unstable, f.neutral, f.leading ? `λ₊ = ${num(f.leading.value, 4)}` : f.slowest !== undefined ? `${num(f.slowest, 4)} (approached like e^{−${num(f.slowest, 3)}τ}${f.riskRate !== undefined ? `, the risk like e^{−${num(f.riskRate, 3)}τ}` : ''})` : '', f.omegaMin, f.residual]),
    ),
  );
  fps.forEach((f, i) => describe(i + 1, f, d.layout.stateNames));
}

function describe(i: number, f: FixedPoint, names: string[]): void {
  out(`\n#${i} ${f.type}: ` + names.map((n, j) => `${n} = ${num(f.y[j], 6)}`).join(', '));
  out(`   eigenvalues: ${f.eigenvalues.map(eig).join(', ')}`);
  if (f.leading) {
    const top = (vec: Record<string, number>) =>
      Object.entries(vec)
        .filter(([, v]) => Math.abs(v) > 1e-3)
        .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
        .map(([n, v], j) => `${j === 0 ? (v < 0 ? '−' : '') : v < 0 ? ' − ' : ' + '}${num(Math.abs(v), 3)} ${n}`)
        .join('');
    if (f.leading.vectorImag && f.leading.imag !== undefined)
      out(`   spirals out (λ₊ = ${num(f.leading.value, 4)} ± ${num(f.leading.imag, 4)}i) in the plane of Re v₊ = ${top(f.leading.vector)} and Im v₊ = ${top(f.leading.vectorImag) || '0'}`);
    else out(`   leaves along (unit eigenvector of λ₊): ${top(f.leading.vector)}`);
  }
  if (f.escape && f.leading) {
    const { distance, deltaStar } = f.escape;
    const at = (dim: number) => Math.log(deltaStar * Math.sqrt(dim)) / (f.leading as { value: number }).value;
    out(`   escape: from δ₀ along it, ${distance} away after τ ≈ ln(δ*/δ₀)/λ₊ with δ* = ${num(deltaStar, 4)} (measured from δ₀ = 1e-6); δ₀ = 1/√d: τ ≈ ${[1e3, 1e4, 1e5].map((dim) => `${num(at(dim), 4)} (d = ${dim.toExponential(0).replace('e+', 'e')})`).join(', ')}`);
  }
}

/** The fixed points of the sweep's first value followed along it; where each changes stability or ends. */
async function sweepCommand(d: Derivation, o: FixedPointOpts, req: FixedPointRequest, sw: { index: number; name: string; values: number[] }): Promise<void> {
  const branches = sweepFixedPoints(d, req, sw.index, sw.values);
  const json = JSON.stringify({ name: d.model.name, convention: 'canonical', timeUnit: 'tau', rates: 'largest Re λ of ∂(dy/dτ)/∂y, per unit τ', parameter: sw.name, values: sw.values, stateNames: d.layout.stateNames, branches }, null, 1);
  if (o.out) {
    const rows = branches.flatMap((b, i) => b.points.map((p) => ({ branch: `#${i + 1} (${b.origin})`, value: p.value, maxRe: p.maxRe, type: p.type })));
    const svg = await renderSvg({
      width: 520,
      height: 320,
      title: `${d.model.name}: largest Re λ of each fixed point along ${sw.name} (per unit τ; > 0: unstable)`,
      data: { values: rows },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'value', type: 'quantitative', title: sw.name }, y: { field: 'maxRe', type: 'quantitative', title: 'largest Re λ' }, color: { field: 'branch', type: 'nominal', title: 'branch' } } },
      ],
    });
    writeFilesAtomic([{ path: join(o.out, 'sweep.json'), content: json + '\n' }, { path: join(o.out, 'sweep.svg'), content: svg }]);
  }
  if (o.json) {
    out(json);
    return;
  }
  out(`fixed points of ${d.model.name} along ${sw.name} (${d.plan.label}); largest Re λ per unit τ, each branch followed by continuation from the first value`);
  out(table([sw.name, ...branches.map((b, i) => `#${i + 1} (${b.origin}) type, max Re λ, ε`)], sw.values.map((v) => [v, ...branches.map((b) => {
    const p = b.points.find((x) => x.value === v);
    return p ? `${p.type} ${num(p.maxRe, 3)} ${num(p.risk, 4)}` : '—';
  })])));
  branches.forEach((b, i) => b.changes.forEach((c) => out(`#${i + 1}: ${c.what}`)));
}
