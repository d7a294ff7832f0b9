/**
 * Planning through the backends' list (backends/index.ts): a request `auto`, `<name>` or
 * `<name>:<integer>` is parsed once here, the plan opens with the exponent notes (THEORY §3.2), and the
 * request syntax for --help and the derivation file's schema is derived from the list.
 */
import type { Model } from '../hermite/model.ts';
import type { ExpectationPlan } from '../gaussian/plan.ts';
import { exponentWarnings } from '../gaussian/exponents.ts';
import { usageError, internal } from '../errors.ts';
import { durationText } from '../limits.ts';
import { BACKENDS } from './index.ts';
import type { BackendDef } from './types.ts';

/** The backend that made a plan with this id (`closed-erf` belongs to `closed`). */
export function backendOf(id: string): BackendDef {
  const b = BACKENDS.find((x) => x.name === id) ?? BACKENDS.find((x) => x.owns?.(id));
  if (!b) throw internal(`no expectation backend made the plan ${id}`);
  return b;
}

/** A request's syntax for each backend: `wick`, `quadrature:N`, `lattice[:N]`. */
export const requestSyntax = (b: BackendDef): string => (!b.argument ? b.name : b.argument.required ? `${b.name}:${b.argument.meta}` : `${b.name}[:${b.argument.meta}]`);

/** `auto | wick | closed | … | lattice[:N]`, for the option's help and the schema's message. */
export const EXPECTATIONS_SYNTAX = ['auto', ...BACKENDS.map(requestSyntax)].join(' | ');

/** Every request the derivation file accepts. */
export const EXPECTATIONS_PATTERN = new RegExp(
  `^(auto|${BACKENDS.map((b) => (!b.argument ? b.name : b.argument.required ? `${b.name}:\\d+` : `${b.name}(:\\d+)?`)).join('|')})$`,
);

/** Chooses and builds the backend a request names (or auto's choice), its notes opened by the exponent warnings. */
export function planExpectations(model: Model, request = model.spec.expectations): ExpectationPlan {
  const where = { file: model.spec.file, field: 'expectations', value: request };
  let plan: ExpectationPlan | undefined;
  if (request === 'auto') {
    for (const b of BACKENDS) if ((plan = b.auto?.(model, where))) break;
    if (!plan) throw internal('no backend took auto');
  } else {
    const m = /^([a-z-]+)(?::(\d+))?$/.exec(request);
    const b = m ? BACKENDS.find((x) => x.name === m[1]) : undefined;
    if (!m || !b || (m[2] === undefined ? b.argument?.required : !b.argument))
      throw usageError(`unknown expectations backend (${EXPECTATIONS_SYNTAX})`, where);
    plan = b.plan(model, m[2] === undefined ? undefined : Number(m[2]), where);
  }
  plan.notes.unshift(...exponentWarnings(model));
  return plan;
}

/** Whether a backend applies to a model (planning it throws a usage error when it does not). */
export function planApplies(model: Model, request: string): boolean {
  try {
    planExpectations(model, request);
    return true;
  } catch {
    return false;
  }
}

/** Evaluations of the right-hand side a refusal for cost counts on: a short integration (and the derive-time accuracy measurement). */
export const AFFORDABLE_EVALUATIONS = 100;

/**
 * Why a plan cannot be afforded within `limitSeconds` (undefined: it can, or its backend has no
 * estimate): one right-hand side's a-priori seconds (BackendDef.seconds) times AFFORDABLE_EVALUATIONS,
 * beyond the limit. Nothing is evaluated: the refusal comes before the derivation measures anything.
 */
export function unaffordable(model: Model, plan: ExpectationPlan, limitSeconds: number): { seconds: number; message: string } | undefined {
  const seconds = backendOf(plan.backend).seconds?.(plan, model);
  if (seconds === undefined || !(seconds * AFFORDABLE_EVALUATIONS > limitSeconds)) return undefined;
  return { seconds, message: `one evaluation of the right-hand side would take about ${durationText(seconds)} (${plan.label}), and an integration needs ${AFFORDABLE_EVALUATIONS} and more` };
}
