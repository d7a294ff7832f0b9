/** `hermode integrate`: a derivation's ODE from an initial state, on a time grid. */
import type { Derivation } from '../pipeline.ts';
import { integrateOde, type EventSpec } from '../numeric/integrate.ts';
import { overlapsOf, stateOf, type Trajectory, type Overlaps } from '../numeric/trajectory.ts';
import { resolveParams, teacherOverlaps } from '../numeric/setup.ts';
import { usageError } from '../errors.ts';

export interface IntegrateRequest {
  tauEnd: number;
  points: number;
  logGrid: boolean;
  init: Overlaps;
  initSource: string;
  sets: Record<string, string>;
  rtol: number;
  atol: number;
  events?: EventSpec[];
  /** explicit time grid (overrides tauEnd/points/logGrid) */
  grid?: number[];
}

export function timeGrid(tauEnd: number, points: number, log: boolean): number[] {
  if (!(tauEnd > 0)) throw usageError('must be > 0', { field: '--tau', value: tauEnd });
  if (!Number.isInteger(points) || points < 2) throw usageError('must be an integer ≥ 2', { field: '--points', value: points });
  if (!log) return Array.from({ length: points }, (_, i) => (tauEnd * i) / (points - 1));
  // 0, then log-spaced from tauEnd·1e-4 to tauEnd
  const lo = Math.log(tauEnd * 1e-4);
  const hi = Math.log(tauEnd);
  return [0, ...Array.from({ length: points - 1 }, (_, i) => Math.exp(lo + ((hi - lo) * i) / (points - 2)))];
}

export function runIntegration(d: Derivation, req: IntegrateRequest): Trajectory {
  const L = d.layout;
  const params = resolveParams(d.model, L, req.sets, req.init.P);
  const P = teacherOverlaps(params, L);
  if (!L.trained) req.init.a.forEach((v, j) => (params[L.aParam + j] = v));
  const y0 = stateOf(req.init, L);
  const grid = req.grid ?? timeGrid(req.tauEnd, req.points, req.logGrid);
  const sol = integrateOde(d.compiled, L, y0, params, {
    grid,
    rtol: req.rtol,
    atol: req.atol,
    P,
    aFixed: L.trained ? [] : req.init.a,
    events: req.events,
  });
  const etaBar = params[L.etaBar];
  const traj: Trajectory = {
    tau: sol.tau,
    M: [],
    Q: [],
    a: [],
    risk: [],
    status: sol.status,
    message: sol.message,
    events: sol.events.map((e) => ({ name: e.name, tau: e.tau })),
    meta: {},
  };
  if (etaBar > 0) traj.alpha = sol.tau.map((t) => t / etaBar);
  for (const y of sol.y) {
    const o = overlapsOf(y, L, req.init.a);
    traj.M.push(o.M);
    traj.Q.push(o.Q);
    traj.a.push(o.a);
    traj.risk.push(d.compiled.risk(y, params));
  }
  traj.meta = {
    name: d.model.name,
    source: d.model.spec.file,
    specHash: d.model.spec.hash,
    convention: 'canonical',
    fileConvention: d.model.convention,
    timeUnit: 'tau = gamma * steps',
    alphaUnit: 'alpha = samples / d = tau / eta_bar',
    kind: 'ode',
    backend: d.plan.backend,
    expectations: d.plan.label,
    loss: d.model.loss,
    dynamics: d.model.dynamics,
    p: d.model.p,
    k: d.model.k,
    params: Object.fromEntries(L.paramNames.map((n, i) => [n, params[i]])),
    init: req.initSource,
    P,
    integrator: { method: 'odex (Gragg–Bulirsch–Stoer), dense output', rtol: req.rtol, atol: req.atol, ...sol.stats },
    status: sol.status,
  };
  return traj;
}

export function trajectoryCsv(t: Trajectory): string {
  const p = t.Q[0]?.length ?? 0;
  const k = t.M[0]?.[0]?.length ?? 0;
  const head = ['tau', ...(t.alpha ? ['alpha'] : []), ...(t.steps ? ['steps', 'samples'] : []), 'risk'];
  for (let j = 0; j < p; j++) for (let r = 0; r < k; r++) head.push(`M_${j + 1}_${r + 1}`);
  for (let j = 0; j < p; j++) for (let l = j; l < p; l++) head.push(`Q_${j + 1}_${l + 1}`);
  for (let j = 0; j < p; j++) head.push(`a_${j + 1}`);
  const rows = t.tau.map((tau, i) => {
    const r: number[] = [tau];
    if (t.alpha) r.push(t.alpha[i]);
    if (t.steps && t.samples) r.push(t.steps[i], t.samples[i]);
    r.push(t.risk[i]);
    for (let j = 0; j < p; j++) for (let q = 0; q < k; q++) r.push(t.M[i][j][q]);
    for (let j = 0; j < p; j++) for (let l = j; l < p; l++) r.push(t.Q[i][j][l]);
    for (let j = 0; j < p; j++) r.push(t.a[i][j]);
    return r.join(',');
  });
  return [`# ${JSON.stringify({ convention: t.meta.convention, timeUnit: t.meta.timeUnit, name: t.meta.name })}`, head.join(','), ...rows].join('\n') + '\n';
}
