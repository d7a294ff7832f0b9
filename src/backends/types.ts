/**
 * An expectation backend (THEORY §3) is one file in this folder implementing `BackendDef`, listed in
 * backends/index.ts — the plan, the code and LaTeX generators, the accuracy notes and `auto` read it
 * from there and branch on no backend's name:
 *
 * - `plan`: whether it applies to a model (a usage error naming why not) and the plan it makes — the
 *   templates it evaluates (scheme `templates`) or none (scheme `whole`: it computes A, B, V, S, ε in
 *   one pass);
 * - `auto`: the plan `expectations: auto` takes from it, or undefined when auto passes it by (the list's
 *   order is auto's preference);
 * - `kernels`: the functions of the generated module that evaluate its templates (or `moments`);
 * - `tex`: what the LaTeX document says about it;
 * - `accuracy` / `along`: a numerical backend's error, at derive time and along a run.
 */
import type { Model } from '../hermite/model.ts';
import type { Spec } from '../spec/load.ts';
import type { ExpectationPlan, Template } from '../gaussian/plan.ts';
import type { Layout } from '../ode/layout.ts';
import type { Const, Expr, Fn } from '../ir/ir.ts';
import type { ErrorWhere } from '../errors.ts';

/** What a backend's code generator is given. */
export interface KernelContext {
  model: Model;
  plan: ExpectationPlan;
  layout: Layout;
  /** the plan's templates, in the equations' order */
  templates: Template[];
  /** constant arrays of the module (a backend adds its own, named uniquely) */
  consts: Map<string, Const>;
}

export interface Kernels {
  fns: Fn[];
  /** scheme `templates`: a template evaluated in place at its covariance entries (closed forms) instead of by a call */
  inline?(t: Template, args: Expr[]): Expr | undefined;
  /** scheme `templates`: templates that share another's function (equal polynomials), name → function name */
  alias?: Map<string, string>;
  /** scheme `whole`: the call that fills MOM (size N_MOMENTS) with at least the risk; default `moments(y, params, MOM)` */
  riskFill?: Expr;
}

/** What the LaTeX document says about a backend. */
export interface BackendTex {
  /** scheme `templates`: the sentence after "Each function takes the covariance C of its arguments …" */
  intro?(plan: ExpectationPlan): string;
  /** display equations documenting the kernels the templates call */
  kernels?(plan: ExpectationPlan): string[];
  /** a template's right-hand side after "name = definition = " (`long`: may be broken over lines), or a remark after the definition */
  template?(t: Template): { rhs: string; long?: boolean } | { remark: string };
  /** scheme `whole`: text and display equations after the moments' definitions by expectation */
  whole?: { text: string; eqs: string[] };
}

/** What a backend's accuracy note may use (the pipeline compiles the modules it asks for). */
export interface AccuracyContext {
  spec: Spec;
  model: Model;
  plan: ExpectationPlan;
  /** moment offsets (A, B, V, S, risk, size) of the model's layout */
  mom: Layout['mom'];
  /** the derivation's own moments at the generic state */
  base: Float64Array;
  /** the moments of model `m` under plan `pl` at the generic state (compiled on demand) */
  momentsOf(m: Model, pl: ExpectationPlan): Float64Array;
  /** plans `m` with another backend request (a usage error when it does not apply) */
  planOf(m: Model, request: string): ExpectationPlan;
  /** the generic state's description, for the note */
  where: string;
}

/** The reference a numerical backend's accuracy along a run compares with. */
export interface AlongReference {
  /** the backend request of the reference */
  request: string;
  /** what the reference is, for the note ("a tensor Gauss–Hermite rule with 25 nodes per field") */
  against: string;
  /** node evaluations per state (bounds how many states are affordable); 0: no budget applies */
  cost: number;
  /** what to do when the error along the run is too large */
  remedy: string;
}

export interface BackendDef {
  /** the request name: `expectations: <name>` or `<name>:<argument>` */
  name: string;
  /** the argument: none, required or optional (`lattice` or `lattice:65536`), and how help names it */
  argument?: { required: boolean; meta: string };
  /** one line for --help and the schema's message */
  summary: string;
  /** the plan for a request (argument parsed as an integer); a usage error when it does not apply */
  plan(model: Model, argument: number | undefined, where: ErrorWhere): ExpectationPlan;
  /** the plan `auto` takes from this backend, or undefined to pass it by */
  auto?(model: Model, where: ErrorWhere): ExpectationPlan | undefined;
  /** whether plan ids belong to this backend beyond its name (`closed-erf`) */
  owns?(id: string): boolean;
  kernels(ctx: KernelContext): Kernels;
  tex: BackendTex;
  /** notes on the accuracy at a generic state, measured at derive time (exact backends have none) */
  accuracy?(ctx: AccuracyContext): string[];
  /** whether `accuracy` measures anything for this plan (default: yes); derive announces a measurement only then */
  measures?(plan: ExpectationPlan): boolean;
  /** the reference of the accuracy along a run, or undefined when none is measured */
  along?(model: Model, plan: ExpectationPlan): AlongReference | undefined;
  /**
   * how its modules are evaluated in process: WebAssembly (the default: compiled from the first call)
   * or JavaScript, for a backend whose innermost loops call transcendental functions — WebAssembly
   * imports them from the host, and each such call costs more than V8's inlined Math call in JavaScript
   */
  evaluate?: 'wasm' | 'js';
  /**
   * an a-priori estimate of the seconds one evaluation of the right-hand side takes on one desktop core
   * (within a factor of about 3), from the plan's own count of nodes or closed forms — for refusing at
   * once what a caller cannot afford (the playground's time limit) before anything is evaluated;
   * undefined where the cost is small whatever the model (the exact backends)
   */
  seconds?(plan: ExpectationPlan, model: Model): number;
}
