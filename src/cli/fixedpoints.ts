/** `hermode fixed-points`: the fixed points of the overlap ODE reached from a start, their risks and linear stability. */
import { deriveFile } from '../pipeline.ts';
import { findFixedPoints, type FixedPoint } from '../numeric/fixedpoints.ts';
import { defaultOverlaps, readOverlapsFile, parseAssignments, resolveParams, numberValue, integerValue } from '../numeric/setup.ts';
import { num, table } from '../report/format.ts';
import { usageError } from '../errors.ts';
import { out, announceStage } from './print.ts';
import { progressReporter } from './progress.ts';

export interface FixedPointOpts {
  set?: string[];
  init?: string;
  tau: string;
  seed: string;
  m0: string;
  expectations?: string;
  json?: boolean;
  quiet?: boolean;
}

const MAX_TAU = 1e6;

const eig = (e: { re: number; im: number }) => (e.im === 0 ? num(e.re, 4) : `${num(e.re, 4)}${e.im > 0 ? '+' : '−'}${num(Math.abs(e.im), 3)}i`);

export function fixedPointsCommand(file: string, o: FixedPointOpts): void {
  const d = deriveFile(file, o.expectations, announceStage);
  const sets = parseAssignments(o.set);
  const params = resolveParams(d.model, d.layout, sets);
  const tau = numberValue(o.tau, '--tau');
  if (!(tau > 0 && tau <= MAX_TAU)) throw usageError(`must be in (0, ${MAX_TAU}]`, { field: '--tau', value: o.tau });
  const start = o.init ? readOverlapsFile(o.init, d.model) : defaultOverlaps(d.model, integerValue(o.seed, '--seed', 0), numberValue(o.m0, '--m0'));
  const fps = findFixedPoints(d, { params, start, tau, onProgress: progressReporter('fixed points: integrating from the start and its symmetrisation', 'τ', o.quiet) });
  if (o.json) {
    out(
      JSON.stringify(
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
      ),
    );
    return;
  }
  out(`fixed points of ${d.model.name} (${d.plan.label}); time unit τ, eigenvalues of ∂(dy/dτ)/∂y per unit τ`);
  out(
    table(
      ['#', 'seeded by', 'type', 'risk ε', 'unstable', 'neutral', 'λ₊ or slowest rate', 'min eig Ω', '|dy/dτ|'],
      fps.map((f, i) => [i + 1, f.origin, f.type, f.risk, f.unstable, f.neutral, f.leading ? `λ₊ = ${num(f.leading.value, 4)}` : f.slowest !== undefined ? `${num(f.slowest, 4)} (approached like e^{−${num(f.slowest, 3)}τ})` : '', f.omegaMin, f.residual]),
    ),
  );
  fps.forEach((f, i) => describe(i + 1, f, d.layout.stateNames));
}

function describe(i: number, f: FixedPoint, names: string[]): void {
  out(`\n#${i} ${f.type}: ` + names.map((n, j) => `${n} = ${num(f.y[j], 6)}`).join(', '));
  out(`   eigenvalues: ${f.eigenvalues.map(eig).join(', ')}`);
  if (f.leading) {
    const top = Object.entries(f.leading.vector)
      .filter(([, v]) => Math.abs(v) > 1e-3)
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .map(([n, v], j) => `${j === 0 ? (v < 0 ? '−' : '') : v < 0 ? ' − ' : ' + '}${num(Math.abs(v), 3)} ${n}`);
    out(`   leaves along (unit eigenvector of λ₊): ${top.join('')}`);
  }
  if (f.escape && f.leading) {
    const { distance, deltaStar } = f.escape;
    const at = (dim: number) => Math.log(deltaStar * Math.sqrt(dim)) / (f.leading as { value: number }).value;
    out(`   escape: from δ₀ along it, ${distance} away after τ ≈ ln(δ*/δ₀)/λ₊ with δ* = ${num(deltaStar, 4)} (measured from δ₀ = 1e-6); δ₀ = 1/√d: τ ≈ ${[1e3, 1e4, 1e5].map((dim) => `${num(at(dim), 4)} (d = ${dim.toExponential(0).replace('e+', 'e')})`).join(', ')}`);
  }
}
