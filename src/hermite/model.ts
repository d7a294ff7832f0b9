/**
 * The model a derivation describes, in the canonical convention (THEORY §1.1): activations parsed
 * and classified, the target as a committee of one scalar function or a general function of
 * ν1..νk, second-layer and teacher weights mapped from the file's convention (§1.2).
 */
import { REGULARISERS, type Regulariser } from '../regularisers/index.ts';
import type { Spec } from '../spec/load.ts';
import { activation, type Activation } from './activation.ts';
import { Expr } from '../symbolic/expr.ts';
import type { Poly } from '../symbolic/poly.ts';
import { usageError } from '../errors.ts';
import type { LossName } from '../loss/index.ts';

export type Target =
  | { kind: 'committee'; g: Activation; /** y = (1/k) Σ_r w_r g(ν_r) */ weights: number[] }
  | { kind: 'general'; expr: Expr; f: (...nu: number[]) => number; poly?: Poly };

/** What a model is besides its functions: sizes, loss, dynamics, convention, noise, second layer. */
export interface ModelCore {
  spec: Spec;
  name: string;
  p: number;
  k: number;
  loss: LossName;
  dynamics: 'plain' | 'spherical' | 'projected';
  convention: 'canonical' | 'saad-solla';
  noise: number;
  trainSecondLayer: boolean;
  /** canonical second layer a (f = (1/p) Σ a_j σ(λ_j)). */
  a0: number[];
  /** the regularisers the file names, with their parameters' defaults (src/regularisers) */
  regularisers: { reg: Regulariser; value: number }[];
}

export interface Model extends ModelCore {
  student: Activation;
  target: Target;
}

/** The value a derivation file gives a regulariser's field. */
export const regulariserValue = (spec: Spec, r: Regulariser): number | undefined => (spec as unknown as Record<string, number | undefined>)[r.field];

/** The model's core, read from the spec alone (no expression is parsed). */
export function modelCore(spec: Spec): ModelCore {
  const p = spec.student.width;
  const saad = spec.convention === 'saad-solla';
  // Saad–Solla: f = Σ v_j σ → a = p v
  const init = spec.student.second_layer.init ?? new Array(p).fill(1);
  return {
    spec,
    name: spec.name,
    p,
    k: spec.teacher.width,
    loss: spec.loss,
    dynamics: spec.dynamics,
    convention: spec.convention,
    noise: spec.noise,
    trainSecondLayer: spec.student.second_layer.train,
    a0: init.map((v) => (saad ? p * v : v)),
    regularisers: REGULARISERS.filter((r) => regulariserValue(spec, r) !== undefined).map((reg) => ({ reg, value: regulariserValue(spec, reg) as number })),
  };
}

/** The noiseless label g*(ν): (1/k) Σ_r w_r g(ν_r) for a committee, the target's expression otherwise. */
export function targetValue(model: Model, nu: number[]): number {
  const t = model.target;
  if (t.kind !== 'committee') return t.f(...nu);
  let y = 0;
  for (let r = 0; r < model.k; r++) y += (t.weights[r] * t.g.f(nu[r])) / model.k;
  return y;
}

/**
 * The student at the local fields u = (λ_1..λ_p, …): σ(λ_j) into `sig`, σ′(λ_j) into `dsig`, and the
 * output f = (1/p) Σ_j a_j σ(λ_j) returned.
 */
export function studentAt(model: Model, u: ArrayLike<number>, a: ArrayLike<number>, sig: { [j: number]: number }, dsig: { [j: number]: number }): number {
  let f = 0;
  for (let j = 0; j < model.p; j++) {
    sig[j] = model.student.f(u[j]);
    dsig[j] = model.student.df(u[j]);
    f += (a[j] * sig[j]) / model.p;
  }
  return f;
}

export function targetVariables(k: number): string[] {
  return Array.from({ length: k }, (_, r) => `nu${r + 1}`);
}

export function buildModel(spec: Spec): Model {
  const file = spec.file;
  const core = modelCore(spec);
  const k = core.k;
  const student = activation(spec.student.activation, { file, field: 'student.activation' });
  const saad = spec.convention === 'saad-solla';
  // Saad–Solla: y = Σ v*_r g → w = k v*
  let target: Target;
  if (spec.teacher.target === 'committee') {
    const g = activation(spec.teacher.activation as string, { file, field: 'teacher.activation' });
    const w = spec.teacher.weights ?? new Array(k).fill(1);
    target = { kind: 'committee', g, weights: w.map((v) => (saad ? k * v : v)) };
  } else {
    const where = { file, field: 'teacher.target' };
    const vars = targetVariables(k);
    const expr = Expr.parse(spec.teacher.target, vars, where);
    const f = expr.compile();
    checkTargetWellPosed(f, k, spec.teacher.target, where);
    target = { kind: 'general', expr, f, poly: expr.toPoly() };
  }
  return { ...core, student, target };
}

/** Real-valued on a grid of directions and with finite Gaussian fourth moments (growth test). */
function checkTargetWellPosed(f: (...x: number[]) => number, k: number, text: string, where: { file: string; field: string }): void {
  const dirs: number[][] = [];
  for (let r = 0; r < k; r++) dirs.push(Array.from({ length: k }, (_, t) => (t === r ? 1 : 0)));
  dirs.push(new Array(k).fill(1 / Math.sqrt(k)));
  dirs.push(Array.from({ length: k }, (_, t) => (t % 2 ? -1 : 1) / Math.sqrt(k)));
  for (const d of dirs) {
    for (let i = -100; i <= 100; i++) {
      const v = f(...d.map((x) => (x * i) / 10));
      if (Number.isNaN(v)) throw usageError(`is not real-valued at ν = (${d.map((x) => (x * i) / 10).join(', ')})`, { ...where, value: text });
    }
    for (const s of [20, 25, 30]) {
      const v = Math.abs(f(...d.map((x) => x * s)));
      if (!Number.isFinite(v) || 4 * Math.log(v) - (s * s) / 2 > -20)
        throw usageError('grows too fast: its Gaussian moments diverge', { ...where, value: text });
    }
  }
}
