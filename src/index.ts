/**
 * hermode as a library: derive the overlap ODEs of a two-layer network under online SGD, integrate
 * them, iterate the finite-step map, simulate SGD at finite d and compare theory with simulation.
 *
 *   import { derive, integrate, simulate, compare } from 'hermode';
 *   const d = derive('derivations/saad-solla-erf.yaml');
 *   const traj = integrate(d, { tauEnd: 100, sets: { eta_bar: 1 } });
 *
 * Every function returns data and never prints or exits. Bad input throws a `HermodeError` naming the
 * field and value (`kind` 'usage'); runs that cannot complete either throw one of kind 'failure' or
 * return a trajectory whose `status` says why it stopped (failure as a value).
 */

// derivation: spec → Hermite stage → expectations → generated code and LaTeX
export { deriveFile as derive, deriveSpec, deriveAnyFile, deriveWith, odeModule, jacobianOf, accuracyAlong, type Derivation, type GeneratedFiles, type OdeModule, type RunAccuracy } from './pipeline.ts';
export { parseSpec, loadSpecFile, loadAnySpecFile, type Spec, type ParamSpec, type AnySpec } from './spec/load.ts';
export type { Model, ModelCore } from './hermite/model.ts';
export { LOSSES, lossNamed, residualWeight, type Loss, type LossName } from './loss/index.ts';
export { BACKENDS } from './backends/index.ts';
export { planExpectations, backendOf } from './backends/registry.ts';
export type { BackendDef, Kernels, KernelContext, AccuracyContext, AlongReference } from './backends/types.ts';
export type { ExpectationPlan, Template } from './gaussian/plan.ts';
export { CLOSED_FAMILIES, closedFamily, type ClosedFamily, type FamilyParams } from './families/index.ts';
export type { Layout } from './ode/layout.ts';
export type { GeneratedModel } from './codegen/compile.ts';

// Hermite stage
export { activation, type Activation } from './hermite/activation.ts';
export { piecewiseOf, piecewiseDerivative, type Piecewise } from './hermite/piecewise.ts';
export { SteinEngine, evaluateStein, indicatorTerms, type SteinExpansion, type Factor, type IndicatorTerm } from './gaussian/stein.ts';
export { hermite, leapIndex, hermiteCoefficients, pairExponent, multivariateHermite, lowestDegreePerDirection, type HermiteReport, type MultiHermiteTerm, type LeapIndex } from './hermite/hermite.ts';

// numerics: ODE, finite-step map, states
export { runIntegration as integrate, runMap as finiteStepMap, countSteps, timeGrid, type IntegrateRequest, type MapRequest } from './numeric/run.ts';
export { integrateOde, type EventSpec, type Solution } from './numeric/integrate.ts';
export { defaultOverlaps, validateOverlaps, resolveParams, teacherOverlaps, DEFAULT_M0 } from './numeric/setup.ts';
export { stateOf, overlapsOf, omegaOf, trajectoryCsv, type Trajectory, type Overlaps, type Status } from './numeric/trajectory.ts';

// simulation and comparison
export { simulate, aggregate, learningRate, meanInitial, type SimulateRequest, type SimulationResult } from './simulate/simulate.ts';
export { compare, agreement, seriesOf, checkDescription, DEFAULT_CHECK, type CheckSettings, type CompareOptions, type Comparison, type Agreement, type EntryAgreement, type Series } from './compare/compare.ts';

// studies
export { escapeCriterion, escapeFunction, typicalStart, criticalEtaBar, odeEscape, mapEscape, simEscape, type EscapeCriterion, type EscapeResult, type EscapeSetup } from './studies/escape.ts';
export { fitPowerLaw } from './studies/fit.ts';
export { resolveRules, describeRules, isConstant, CONSTANT_RULES, LR_RULES, BATCH_RULES, type Rules, type LrRule, type BatchRule } from './rules/spec.ts';
export { OverlapRules, RuleStepper, gradientStats, gradientNorm2, gradientGram, derivativeGram, cblrCurvature, mclrMedian, type RuleContext, type RateAt, type GradientStats } from './numeric/rules.ts';
export { constantClock, StepClock, clockRates } from './rules/clock.ts';
export { adadampBatch } from './rules/batch/adadamp.ts';
export { LR_RULE_DEFS, BATCH_RULE_DEFS, lrRuleNamed, batchRuleNamed, type LrRuleDef, type BatchRuleDef, type RuleParam, type RuleValue, type RateProbe, type LossProbe, type BatchPolicy, type Measure } from './rules/registry.ts';
export { diagnose, type DiagnoseRequest, type DiagnoseResult, type DiagnosePoint } from './studies/diagnose.ts';
export { adaptiveTable, adaptiveCases, type AdaptiveRequest, type AdaptiveRow } from './studies/adaptive.ts';
export { runGiant, readoutRisk, GIANT_GAMMA, type GiantRequest, type GiantReport, type GiantCase, type GiantSeries } from './studies/giant.ts';
export { runSweep, type SweepSettings, type SweepPoint, type SweepFit } from './studies/sweep.ts';
export { deriveParamSpec, type ParamDerivation } from './paramdyn/derive.ts';
export { runGdgf, defaultInit, type GdgfRequest, type GdgfReport } from './studies/gdgf.ts';

// output: atomic writes; SVG rendering loads vega only when called
export { writeFileAtomic, writeFilesAtomic } from './io/files.ts';
/** Renders a vega-lite spec to SVG in Node (no browser). */
/** The plots of `hermode giant` (m.svg, risk.svg). */
export async function giantPlots(report: import('./studies/giant.ts').GiantReport): Promise<{ name: string; svg: string }[]> {
  return (await import('./report/giantReport.ts')).giantPlots(report);
}

export async function renderSvg(spec: import('vega-lite').TopLevelSpec): Promise<string> {
  return (await import('./report/plots.ts')).renderSvg(spec);
}
/** The SVG plots of a gdgf report (sharpness, loss, plane). */
export async function diagnosePlots(r: import('./studies/diagnose.ts').DiagnoseResult): Promise<{ name: string; svg: string }[]> {
  return (await import('./report/diagnoseReport.ts')).diagnosePlots(r);
}

export async function gdgfPlots(report: import('./studies/gdgf.ts').GdgfReport): Promise<{ name: string; svg: string }[]> {
  return (await import('./report/gdgfReport.ts')).gdgfPlots(report);
}

// errors
export { HermodeError, usageError, failure, type ErrorKind, type ErrorWhere } from './errors.ts';
