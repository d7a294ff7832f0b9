/**
 * Backends are files (src/backends): a backend declares its request syntax, when it applies, its plan,
 * its kernels, its LaTeX, its accuracy note and the reference of its accuracy along a run once, and
 * the derivation file, `--expectations`, `hermode backends`, `auto`, code generation, the LaTeX
 * document and the accuracy along a run read it through the registry. Shown by planting one backend
 * with one registry line — `evenquad:N`, a tensor rule with 2N nodes per field that borrows the
 * whole-field quadrature's kernels — and holding every consumer to it.
 */
import { describe, it, expect, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

vi.mock('../src/backends/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/backends/index.ts')>();
  const { usageError } = await import('../src/errors.ts');
  const { maxAbsDiff } = await import('../src/extrema.ts');
  type Def = (typeof original.BACKENDS)[number];
  const quadrature = original.BACKENDS.find((b) => b.name === 'quadrature') as Def;
  const plan = (nodes: number) => ({ backend: 'evenquad', label: `planted even rule, ${nodes} nodes per field`, scheme: 'whole' as const, templates: {}, settings: { nodes }, notes: [] as string[] });
  const EVENQUAD: Def = {
    name: 'evenquad',
    argument: { required: true, meta: 'N' },
    summary: 'tensor Gauss–Hermite with 2N nodes per field (planted)',
    plan(_model, n, where) {
      if ((n as number) < 1 || (n as number) > 40) throw usageError('evenquad takes 1 ≤ N ≤ 40', where);
      return plan(2 * (n as number));
    },
    // auto takes it for smooth non-polynomial students over at most three fields
    auto: (model) => (model.student.family.kind === 'general' && model.p + model.k <= 3 ? plan(20) : undefined),
    kernels: (ctx) => quadrature.kernels(ctx),
    tex: { whole: { text: 'Planted: the moments by an even tensor rule over all fields.', eqs: ['\\mathbb{E}[1] = 1'] } },
    accuracy: (ctx) => [`planted accuracy ${maxAbsDiff(ctx.base, ctx.momentsOf(ctx.model, plan(ctx.plan.settings.nodes + 2))).toExponential(1)}`],
    along: (model, pl) => ({ request: `quadrature:${pl.settings.nodes + 5}`, against: 'the planted reference', cost: (pl.settings.nodes + 5) ** (model.p + model.k), remedy: 'raise N' }),
  };
  // one registry line more: before the whole-field quadrature, so auto meets it first
  return { BACKENDS: [...original.BACKENDS.slice(0, -2), EVENQUAD, ...original.BACKENDS.slice(-2)] };
});

const { deriveFile, odeModule } = await import('../src/pipeline.ts');
const { runIntegration } = await import('../src/numeric/run.ts');
const { cli, deriveYaml, tmp, randomOverlaps } = await import('./helpers.ts');
const { stateOf } = await import('../src/numeric/trajectory.ts');
const { codeLines } = await import('./scan.ts');

const TANH = `name: planted
student: {width: 2, activation: "tanh(z)", second_layer: {train: true, init: [1, 1]}}
teacher: {width: 1, target: "He2(nu1)/sqrt(2)"}
`;

const SIN = TANH.replace('tanh(z)', 'sin(z)').replace('planted', 'planted-sin');

describe('a backend is a file and a registry line', () => {
  it('no consumer branches on a backend: outside src/backends no plan id, template kind or family is compared', () => {
    const branch = /backend\s*[!=]==\s*'|startsWith\('closed-'\)|impl\.kind\s*[!=]==|(fam|family)\.kind\s*[!=]==\s*'(erf|relu)'/;
    expect(codeLines(branch, ['src/backends/'])).toEqual([]);
    // the branches it looks for (each was in the code before the registry)
    for (const line of ["if (der.plan.backend === 'quadrature') return x;", "plan.backend.startsWith('closed-')", "if (t.impl.kind === 'poly')", "fam.kind === 'relu' ? 1 : 0"]) expect(branch.test(line), line).toBe(true);
  });

  it('the planted backend plans, generates and documents a derivation: its moments are the whole-field rule’s with 2N nodes', () => {
    const planted = deriveYaml(`${TANH}expectations: evenquad:4\n`);
    const reference = deriveYaml(`${TANH}expectations: quadrature:8\n`);
    expect(planted.plan.backend).toBe('evenquad');
    expect(planted.plan.label).toBe('planted even rule, 8 nodes per field');
    for (let seed = 1; seed <= 3; seed++) {
      const ov = randomOverlaps(2, 1, seed);
      const y = stateOf({ ...ov, a: [0.8, 1.1] }, planted.layout);
      const a = new Float64Array(planted.layout.mom.size);
      const b = new Float64Array(planted.layout.mom.size);
      planted.compiled.moments(y, planted.layout.defaultParams, a);
      reference.compiled.moments(y, reference.layout.defaultParams, b);
      expect([...a]).toEqual([...b]);
      // and not the 10-node rule's: the argument reaches the kernels
      const other = deriveYaml(`${TANH}expectations: evenquad:5\n`);
      other.compiled.moments(y, other.layout.defaultParams, b);
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeGreaterThan(1e-8);
    }
    // the exponent notes first (tanh on He2: no pair exponent), then the planted accuracy note
    expect(planted.plan.notes[0]).toMatch(/no k ≤ 12 has c_k\(σ\) c_k\(g\) ≠ 0/);
    expect(planted.plan.notes.some((n) => /^planted accuracy \d\.\de[-+]\d+$/.test(n))).toBe(true);
    expect(planted.tex).toContain('Planted: the moments by an even tensor rule over all fields.');
    expect(planted.tex).toContain('\\mathbb{E}[1] = 1');
    expect(planted.ts).toContain('Convention: canonical (η̄ = γd/n_b, τ = γ·steps); expectations: planted even rule, 8 nodes per field.');
  });

  it('auto takes it in the registry’s order, and only where its auto says so', () => {
    // a smooth student no exact backend writes (sin has no Φ representation: tanh-on-he2 goes to probit)
    expect(deriveYaml(SIN).plan).toMatchObject({ backend: 'evenquad', settings: { nodes: 20 } });
    expect(deriveFile('derivations/tanh-on-he2.yaml').plan.backend).toBe('probit');
    expect(deriveFile('derivations/saad-solla-erf.yaml').plan.backend).toBe('closed-erf');
    expect(deriveFile('derivations/relu-committee.yaml').plan.backend).toBe('closed-relu');
  });

  it('the accuracy along a run uses its reference', () => {
    const d = odeModule('derivations/tanh-on-he2.yaml', 'evenquad:3');
    const t = runIntegration(d, { tauEnd: 2, points: 20, sets: { eta_bar: '0.5' } });
    expect(t.meta.accuracy).toMatchObject({ method: expect.stringMatching(/against the planted reference at \d+ of the saved states/) });
    expect((t.meta.warnings as string[]).some((w) => /along the run .* raise N$/.test(w))).toBe(true);
  });

  it('the CLI lists it, takes it from a file and --expectations, and refuses its bad arguments in one line', async () => {
    const list = await cli(['backends']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/evenquad:N\s+tensor Gauss–Hermite with 2N nodes per field \(planted\)/);
    const dir = tmp();
    const sinFile = join(dir, 'sin.yaml');
    writeFileSync(sinFile, SIN);
    const forFile = await cli(['backends', sinFile, '--json']);
    const rows = JSON.parse(forFile.stdout).backends as { backend: string; auto?: boolean }[];
    expect(rows.filter((r) => r.auto).map((r) => r.backend)).toEqual(['evenquad']);
    const file = join(dir, 'planted.yaml');
    writeFileSync(file, `${TANH}expectations: evenquad:2\n`);
    const run = await cli(['integrate', file, '--tau', '1', '--points', '5', '--set', 'eta_bar=0.5', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).meta.expectations).toBe('planted even rule, 4 nodes per field');
    for (const [value, message] of [
      ['evenquad:0', /expectations = "evenquad:0": evenquad takes 1 ≤ N ≤ 40/],
      ['evenquad', /expectations = "evenquad": unknown expectations backend \(auto \| wick \| .*evenquad:N \| quadrature:N/],
      ['nonesuch:3', /unknown expectations backend/],
    ] as const) {
      const out = await cli(['derive', file, '--expectations', value, '--out-dir', dir]);
      expect(out.code, out.stderr).toBe(2);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stderr).toMatch(message);
    }
  });
});
