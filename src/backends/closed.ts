/**
 * `closed`: the closed-form families (THEORY §3.3; one file each in gaussian/families) for a committee
 * whose student and teacher belong to the same family. A template is factor · <family>fn(s_i s_j C_ij),
 * called in place: σ(z) = A f(s z), so σ′(z) = A s f′(s z); a homogeneous family (ReLU) folds s into A.
 */
import { familyOf, type Activation } from '../hermite/activation.ts';
import type { Model } from '../hermite/model.ts';
import { modelTemplates, type ExpectationPlan, type Template, type TemplateImpl } from '../gaussian/plan.ts';
import { CLOSED_FAMILIES, closedFamily, type ClosedFamily } from '../families/index.ts';
import { call, num, type Expr } from '../ir/ir.ts';
import { parseKernel } from '../ir/parse.ts';
import { product } from '../ir/fold.ts';
import { fmt17 } from '../symbolic/coef.ts';
import { usageError, internal } from '../errors.ts';
import type { BackendDef } from './types.ts';

interface ClosedImpl extends TemplateImpl {
  kind: 'closed';
  family: string;
  fn: 'I2' | 'J2' | 'I3' | 'I4';
  scales: number[];
  factor: number;
}

/** The family holding both the student and the committee teacher. */
const sharedFamily = (model: Model): ClosedFamily | undefined => {
  const t = model.target;
  if (t.kind !== 'committee') return undefined;
  const [s, g] = [familyOf(model.student), familyOf(t.g)];
  return s && g && s.family === g.family ? s.family : undefined;
};

function closedPlan(model: Model, fam: ClosedFamily): ExpectationPlan {
  const g = (model.target as Extract<Model['target'], { kind: 'committee' }>).g;
  const sc = (act: Activation) => {
    const x = fam.scale((familyOf(act) as NonNullable<ReturnType<typeof familyOf>>).params);
    return fam.scaling === 'covariance' ? x : { A: x.A * x.s, s: 1 };
  };
  const S = sc(model.student);
  const G = sc(g);
  const fn = (h: 's' | 'g') => (h === 's' ? S : G);
  const templates = modelTemplates(
    model,
    (name, f, hs, tex): Template => {
      const scales = hs.map((h) => (h === 'u' ? 1 : h === 'd' ? S.s : fn(h).s));
      let factor = 1;
      for (const h of hs) {
        if (h === 's' || h === 'g') factor *= fn(h).A;
        if (h === 'd') factor *= S.A * S.s;
      }
      const impl: ClosedImpl = { kind: 'closed', family: fam.name, fn: f, scales, factor };
      return { name, slots: hs.length, tex, impl };
    },
    () => {
      throw internal('closed forms are for committees');
    },
  );
  return { backend: `closed-${fam.name}`, label: `closed forms (${fam.name})`, scheme: 'templates', templates, settings: {}, notes: [] };
}

const planFamily = (plan: ExpectationPlan) => closedFamily(plan.backend.slice('closed-'.length));

export const closedBackend: BackendDef = {
  name: 'closed',
  summary: `closed forms (committees whose student and teacher share a family: ${CLOSED_FAMILIES.map((f) => f.name).join(', ')})`,
  owns: (id) => id.startsWith('closed-'),
  plan(model, _arg, where) {
    const fam = sharedFamily(model);
    if (!fam) throw usageError(`closed forms exist for committees whose student and teacher share a family (${CLOSED_FAMILIES.map((f) => f.name).join(', ')})`, where);
    return closedPlan(model, fam);
  },
  auto(model) {
    const fam = sharedFamily(model);
    return fam ? closedPlan(model, fam) : undefined;
  },
  kernels(ctx) {
    const fam = planFamily(ctx.plan);
    for (const c of fam.constants?.() ?? []) ctx.consts.set(c.name, c);
    return { fns: parseKernel(fam.source), inline: (t, args) => (t.impl.kind === 'closed' ? closedFormCall(t, args) : undefined) };
  },
  tex: {
    intro: (plan) => ` ${planFamily(plan).description}`,
    kernels: (plan) => planFamily(plan).tex,
    template(t) {
      const impl = t.impl as ClosedImpl;
      const factor = impl.factor === 1 ? '' : `${fmt17(impl.factor)}\\,`;
      const scaled = impl.scales.some((s) => s !== 1) ? `\\big|_{C_{ij}\\to s_i s_j C_{ij},\\ s=(${impl.scales.map(fmt17).join(',')})}` : '';
      const baseName = `${impl.fn === 'J2' ? 'J_2' : 'I_' + impl.fn.slice(1)}^{\\mathrm{${impl.family}}}`;
      return { rhs: `${factor}${baseName}(C)${scaled}` };
    },
  },
};

/** A closed-form template at covariance entries `args`: factor · family function at s_i s_j C_ij. */
function closedFormCall(t: Template, args: Expr[]): Expr {
  const impl = t.impl as ClosedImpl;
  const scaled: Expr[] = [];
  let a = 0;
  for (let i = 0; i < t.slots; i++)
    for (let j = i; j < t.slots; j++) {
      scaled.push(product([num(impl.scales[i] * impl.scales[j]), args[a++]]));
    }
  return product([num(impl.factor), call(`${impl.family}${impl.fn}`, ...scaled)]);
}
