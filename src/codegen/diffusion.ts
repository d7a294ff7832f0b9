/**
 * The diffusion matrix of the linear-noise approximation as generated code (THEORY §2.13):
 * `diffusion(t, y, params, D)` with D[i·n + c] the covariance per unit τ, scaled by d, of one step's
 * increments of state entries i and c — D = η̄ Cov(w), w = u + η̄v per sample, u the part of an increment
 * linear in γ and v its squared part:
 *   u_{M_jr} = (a_j/p)σ′_j e ν_r,  u_{Q_jl} = (a_j/p)σ′_j e λ_l + (a_l/p)σ′_l e λ_j,  u_{a_j} = κσ_j e/p,
 *   v_{Q_jl} = (a_j a_l/p²)σ′_jσ′_l e²,
 * with e = e₀ + √Δ ξ (the label noise in closed form: E[e²] = e₀² + Δ, E[e³] = e₀³ + 3e₀Δ,
 * E[e⁴] = e₀⁴ + 6e₀²Δ + 3Δ²) and the fields by tensor Gauss–Hermite over all p + k of them (u = L g,
 * LLᵀ = Ω; nodes per field from diffusionNodes). Printed in every language beside the right-hand side
 * (`derive --diffusion`), and the in-process fluctuations integrate with it.
 */
import type { Module, Fn } from '../ir/ir.ts';
import type { Model } from '../hermite/model.ts';
import type { Layout } from '../ode/layout.ts';
import { parseKernel } from '../ir/parse.ts';
import { residualWeight } from '../loss/index.ts';
import { f64Literal, gaussHermiteTables, symSqrtSource, targetFunction } from '../backends/support.ts';
import { internal, usageError } from '../errors.ts';
import { maxOf } from '../extrema.ts';

/** Gauss–Hermite nodes per field for D: the most with nodes^(p+k) ≤ 10⁴ (at least 4, at most 24). */
export function diffusionNodes(fields: number): number {
  let n = 4;
  while (n < 24 && (n + 1) ** fields <= 1e4) n++;
  return n;
}

/** The module with `diffusion(t, y, params, D)` (n×n, row-major, n = N_STATE) and its helpers (long: most of it is the kernel's source text, one template). */
export function withDiffusion(m: Module, model: Model, L: Layout, nodes = diffusionNodes(model.p + model.k)): Module {
  const { p, k } = model;
  const nf = p + k;
  const ns = L.stateNames.length;
  const nq = (p * (p + 1)) / 2;
  if (m.functions.some((f) => f.name === 'diffusion')) throw internal('the module already has a diffusion function');
  if (model.dynamics !== 'plain') throw usageError(`the diffusion matrix is derived for plain SGD (this derivation is ${model.dynamics}: the normalisation's own noise is not in D yet)`, { file: model.spec.file, field: '--diffusion' });
  const consts = new Map(m.constants.map((c) => [c.name, c]));
  const logw = gaussHermiteTables(nodes, 'DF', consts, `log-weights of the ${nodes}-node Gauss–Hermite rule of the diffusion matrix`);
  const cut = nf * maxOf(logw) + Math.log(1e-300);
  const rw = residualWeight(model);
  const aOf = L.trained ? `y[${L.a} + j]` : `params[${L.aParam} + j]`;
  const helpers: Fn[] = [
    { name: 'dfSigma', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: model.student.expr.toIr({ z: { k: 'var', name: 'x' } }) }], doc: `σ(x) = ${model.student.expr.text} (of the diffusion matrix)` },
    { name: 'dfDsigma', params: [{ name: 'x', type: 'f64' }], ret: 'f64', body: [{ k: 'return', value: model.student.dexpr.toIr({ z: { k: 'var', name: 'x' } }) }], doc: 'σ′(x) (of the diffusion matrix)' },
    targetFunction(model, 'dfTarget'),
    ...parseKernel(symSqrtSource(nf, 'dfSymSqrt')),
  ];
  const src = `
export function diffusion(t: f64, y: f64[], params: f64[], D: f64[]): void {
  let O: f64[${nf * nf}];
  omega(y, params, O);
  let QL: f64[${nf * nf}];
  dfSymSqrt(O, QL);
  let QU: f64[${nf}];
  let QI: int[${nf}];
  let AS: f64[${p}];
  let SIG: f64[${p}];
  let DSIG: f64[${p}];
  let AL: f64[${ns}];
  let BE: f64[${ns}];
  let MU: f64[${ns}];
  let MV: f64[${ns}];
  let SUU: f64[${ns * ns}];
  let SUV: f64[${ns * ns}];
  let SVV: f64[${ns * ns}];
  let eta = params[${L.etaBar}];
  let Delta = params[${L.delta}];
  let kappa = ${L.trained ? `params[${L.kappa}]` : '0.0'};
  for (let j = 0; j < ${p}; j++) AS[j] = ${aOf};
  for (let i = 0; i < ${ns}; i++) {
    MU[i] = 0.0;
    MV[i] = 0.0;
  }
  for (let i = 0; i < ${ns * ns}; i++) {
    SUU[i] = 0.0;
    SUV[i] = 0.0;
    SVV[i] = 0.0;
  }
  for (let i = 0; i < ${nf}; i++) QI[i] = 0;
  for (let node = 0; node < ${nodes ** nf}; node++) {
    let lw = 0.0;
    for (let i = 0; i < ${nf}; i++) lw += DF_LOGW[QI[i]];
    if (lw > ${f64Literal(cut)}) {
      let w = exp(lw);
      for (let i = 0; i < ${nf}; i++) {
        let u = 0.0;
        for (let m = 0; m < ${nf}; m++) u += QL[i * ${nf} + m] * DF_X[QI[m]];
        QU[i] = u;
      }
      let f = 0.0;
      for (let j = 0; j < ${p}; j++) {
        SIG[j] = dfSigma(QU[j]);
        DSIG[j] = dfDsigma(QU[j]);
        f += AS[j] * SIG[j];
      }
      f = f * ${f64Literal(1 / p)};
      let e0 = dfTarget(QU) - ${f64Literal(rw)} * f;
      let e2 = e0 * e0 + Delta;
      let e3 = e0 * e0 * e0 + 3.0 * e0 * Delta;
      let e4 = e0 * e0 * e0 * e0 + 6.0 * e0 * e0 * Delta + 3.0 * Delta * Delta;
      for (let i = 0; i < ${ns}; i++) {
        AL[i] = 0.0;
        BE[i] = 0.0;
      }
      for (let j = 0; j < ${p}; j++) {
        for (let r = 0; r < ${k}; r++) AL[${L.M} + j * ${k} + r] = AS[j] * ${f64Literal(1 / p)} * DSIG[j] * QU[${p} + r];
      }
      let q: int = 0;
      for (let j = 0; j < ${p}; j++) {
        for (let l = j; l < ${p}; l++) {
          AL[${L.Q} + q] = AS[j] * ${f64Literal(1 / p)} * DSIG[j] * QU[l] + AS[l] * ${f64Literal(1 / p)} * DSIG[l] * QU[j];
          BE[${L.Q} + q] = AS[j] * AS[l] * ${f64Literal(1 / (p * p))} * DSIG[j] * DSIG[l];
          q = q + 1;
        }
      }
${L.trained ? `      for (let j = 0; j < ${p}; j++) AL[${L.a} + j] = kappa * SIG[j] * ${f64Literal(1 / p)};\n` : ''}      for (let i = 0; i < ${ns}; i++) {
        MU[i] += w * AL[i] * e0;
        MV[i] += w * BE[i] * e2;
        for (let c = 0; c < ${ns}; c++) SUU[i * ${ns} + c] += w * AL[i] * AL[c] * e2;
        for (let c = ${L.Q}; c < ${L.Q + nq}; c++) SUV[i * ${ns} + c] += w * AL[i] * BE[c] * e3;
      }
      for (let i = ${L.Q}; i < ${L.Q + nq}; i++) {
        for (let c = ${L.Q}; c < ${L.Q + nq}; c++) SVV[i * ${ns} + c] += w * BE[i] * BE[c] * e4;
      }
    }
    for (let m = 0; m < ${nf}; m++) {
      QI[m] += 1;
      if (QI[m] < ${nodes}) break;
      QI[m] = 0;
    }
  }
  for (let i = 0; i < ${ns}; i++) {
    for (let c = 0; c < ${ns}; c++) {
      let cuu = SUU[i * ${ns} + c] - MU[i] * MU[c];
      let cuv = SUV[i * ${ns} + c] - MU[i] * MV[c];
      let cvu = SUV[c * ${ns} + i] - MU[c] * MV[i];
      let cvv = SVV[i * ${ns} + c] - MV[i] * MV[c];
      D[i * ${ns} + c] = eta * (cuu + eta * (cuv + cvu) + eta * eta * cvv);
    }
  }
}
`;
  const [fn] = parseKernel(src);
  const diffusion: Fn = { ...fn, params: fn.params.map((q) => (q.name === 'D' ? { ...q, out: true } : q)), exported: true, outSize: ns * ns, doc: `D[i·N_STATE + c]: the diffusion matrix of the linear-noise approximation per unit τ, scaled by d (THEORY §2.13), by tensor Gauss–Hermite with ${nodes} nodes per field` };
  return { ...m, constants: [...consts.values()], functions: [...m.functions, ...helpers, diffusion] };
}
