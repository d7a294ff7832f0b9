/** `hermode gdgf`: gradient descent against gradient flow on a parameter-dynamics derivation. */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadAnySpecFile } from '../spec/load.ts';
import { deriveParamSpec } from '../paramdyn/derive.ts';
import { runGdgf, defaultInit } from '../studies/gdgf.ts';
import { usageError } from '../errors.ts';
import { numberValue, integerValue } from '../numeric/setup.ts';
import { num, table } from '../report/format.ts';
import { out } from './print.ts';
import { writeReportDir } from './report.ts';

export interface GdgfOpts {
  h?: string;
  phi?: string;
  eta: string;
  seed: string;
  initScale: string;
  init?: string;
  json?: boolean;
  out?: string;
  maxSteps: string;
  tol: string;
}


export async function gdgfCommand(file: string, o: GdgfOpts): Promise<void> {
  const any = loadAnySpecFile(file);
  if (any.kind !== 'parameter-dynamics') throw usageError('gdgf needs a derivation of kind parameter-dynamics', { file, field: 'kind' });
  const h = o.h !== undefined ? numberValue(o.h, '--h') : undefined;
  if (h !== undefined && (!Number.isInteger(h) || h < 1 || h > 64)) throw usageError('must be an integer between 1 and 64', { field: '--h', value: o.h });
  const consts: Record<string, number> = {};
  if (o.phi !== undefined) {
    if (!('Phi' in any.spec.constants)) throw usageError('this loss has no constant Phi', { file, field: '--phi' });
    consts.Phi = numberValue(o.phi, '--phi');
  }
  const der = deriveParamSpec(any.spec, h, consts);
  const etas = o.eta.split(',').map((s) => numberValue(s.trim(), '--eta'));
  if (etas.some((e) => !(e > 0))) throw usageError('step sizes must be > 0', { field: '--eta', value: o.eta });
  let a0: number[];
  let b0: number[];
  let initSource: string;
  if (o.init) {
    let raw: any;
    try {
      raw = JSON.parse(readFileSync(o.init, 'utf8'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw usageError(e.code ? `cannot read (${e.code})` : `invalid JSON: ${e.message}`, { file: o.init });
    }
    for (const k of ['a', 'b'])
      if (!Array.isArray(raw?.[k]) || raw[k].length !== der.h || !raw[k].every((x: unknown) => typeof x === 'number' && Number.isFinite(x)))
        throw usageError(`expected ${der.h} finite numbers`, { file: o.init, field: k, value: raw?.[k] });
    a0 = raw.a;
    b0 = raw.b;
    initSource = `file ${o.init}`;
  } else {
    const s = numberValue(o.initScale, '--init-scale');
    const init = defaultInit(der.h, integerValue(o.seed, '--seed', 0));
    a0 = init.a0.map((x) => s * x);
    b0 = init.b0.map((x) => s * x);
    initSource = `a0, b0 ~ N(0, ${s}²) from seed ${o.seed}`;
  }
  const params = der.paramNames.map((c) => ({ ...any.spec.constants, ...consts })[c]);
  const maxSteps = numberValue(o.maxSteps, '--max-steps');
  const report = runGdgf(der, { etas, a0, b0, params, tol: numberValue(o.tol, '--tol'), maxSteps, tauMax: 1e5 });
  const result = { name: any.spec.name, source: file, init: initSource, params: Object.fromEntries(der.paramNames.map((c, i) => [c, params[i]])), ...report };
  if (o.out) {
    const { gdgfPlots, gdgfReportHtml } = await import('../report/gdgfReport.ts');
    const plots = await gdgfPlots(report);
    await writeReportDir(o.out, [...plots.map((p) => ({ name: p.name, content: p.svg })), { name: 'gdgf.json', content: JSON.stringify(result) + '\n' }, { name: 'report.html', content: gdgfReportHtml(any.spec.name, report, plots) }]);
  }
  if (o.json) {
    out(JSON.stringify({ ...result, runs: result.runs.map((r) => ({ ...r, trace: undefined })) }));
    return;
  }
  const f = (x: number | null, d = 6) => (x === null ? '—' : num(x, d));
  out(`${any.spec.name}: h = ${report.h}, loss ½m₂(aᵀb − Φ)², m₂ = ${f(report.m2)}, Φ = ${f(report.phi)}; start ${initSource}`);
  out(`λ_GF = ${f(report.lambdaGF, 10)}; stable minima need ηλ∞ < 2, none for η > ${f(report.stabilityLimit)}; edge of stability: ${report.edgeOfStability ? `${f(report.edgeOfStability[0], 5)} < η < ${f(report.edgeOfStability[1], 5)}` : 'empty'}`);
  out(
    table(
      ['run', 'status', 'final loss', 'steps|τ', 'rate', '|1−ηλ∞|', 'sharpness', 'formula', '‖θ‖', '‖D_T‖/‖D_0‖', 'predicted', 'regime'],
      report.runs.map((r) => [
        r.method === 'flow' ? 'flow' : `η=${r.eta}`,
        r.status,
        f(r.finalLoss, 3),
        r.method === 'flow' ? `τ=${f(r.tau, 4)}` : f(r.steps),
        f(r.rateMeasured),
        f(r.ratePredicted),
        f(r.sharpness, 9),
        f(r.sharpnessFormula, 9),
        f(r.parameterNorm, 5),
        f(r.imbalanceRatio),
        f(r.imbalanceRatioPredicted),
        r.regime,
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  const bad = report.runs.filter((r) => r.status !== 'converged');
  for (const r of bad)
    out(
      `η = ${r.eta}: ${r.status === 'diverged' ? `diverged after ${r.steps} steps` : `not converged within ${maxSteps} steps`}${report.stabilityLimit !== null && (r.eta ?? 0) > report.stabilityLimit ? ' — no minimum is stable for η > 1/(m₂|Φ|)' : ''}`,
    );
  if (o.out) out(`wrote ${join(o.out, 'report.html')}, sharpness.svg, loss.svg, plane.svg, gdgf.json`);
}
