import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, spawnCli, tmp } from './helpers.ts';

const good = `name: probe
student: {width: 2, activation: "erf(z/sqrt(2))", second_layer: {train: false, init: [1, 1]}}
teacher: {width: 2, target: committee, activation: "erf(z/sqrt(2))"}
`;

function specFile(dir: string, text: string, name = 'x.yaml'): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('the hermode binary, end to end (spawned)', () => {
  it('--version prints package.json’s version; --help lists every command', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const v = spawnCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = spawnCli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['hermite', 'derive', 'latex', 'integrate', 'simulate', 'compare', 'map', 'sweep', 'gdgf', 'example']) expect(h.stdout).toContain(c);
  });

  it('integrates a derivation and prints the same trajectory as the in-process CLI', async () => {
    const args = ['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '20', '--points', '5', '--json'];
    const spawned = spawnCli(args);
    expect(spawned.code).toBe(0);
    const inProcess = await cli(args);
    const strip = (s: string) => {
      const t = JSON.parse(s);
      delete t.meta.integrator.wallMs;
      return t;
    };
    expect(strip(spawned.stdout)).toEqual(strip(inProcess.stdout));
  });

  it('bad input: one line on stderr, exit 2', () => {
    const r = spawnCli(['integrate', 'derivations/saad-solla-erf.yaml', '--tau', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['hermode: --tau = "soon": expected a finite number']);
  });
});

describe('hermode CLI', () => {
  it('lists its commands, and every command has help with an example', async () => {
    const r = (await cli(['--help']));
    expect(r.code).toBe(0);
    for (const c of ['hermite', 'derive', 'latex', 'integrate', 'example']) expect(r.stdout).toContain(c);
    for (const c of ['hermite', 'derive', 'latex', 'integrate']) {
      const h = (await cli([c, '--help']));
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/Examples:\n\s+\$ hermode/);
    }
  });

  it('hermite --json reports coefficients and the information exponent', async () => {
    const r = (await cli(['hermite', 'tanh(z)', '--order', '5', '--json']));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.coefficients).toHaveLength(6);
    expect(j.coefficients[1]).toBeCloseTo(0.6057055, 6);
    expect(j.informationExponent).toBe(1);
    const pair = JSON.parse((await cli(['hermite', 'relu(z)', '--target', 'He3(z)/sqrt(6)', '--json'])).stdout);
    expect(pair.pairExponent).toBeNull();
    expect(pair.warnings[0]).toMatch(/no drift/);
  });

  it('integrate --json prints the documented trajectory with its convention', async () => {
    const r = (await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'eta_bar=1', '--tau', '20', '--points', '5', '--json']));
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.tau).toEqual([0, 5, 10, 15, 20]);
    expect(t.M).toHaveLength(5);
    expect(t.M[0]).toHaveLength(2);
    expect(t.Q[4][0][0]).toBeGreaterThan(0);
    expect(t.a[0]).toEqual([1, 1]);
    expect(t.risk.every((x: number) => Number.isFinite(x))).toBe(true);
    expect(t.meta.convention).toBe('canonical');
    expect(t.meta.timeUnit).toMatch(/tau/);
    expect(t.meta.backend).toBe('closed-erf');
  });

  it('integrate --init starts exactly where the file says', async () => {
    const dir = tmp();
    const init = join(dir, 'init.json');
    writeFileSync(init, JSON.stringify({ Q: [[1, 0.2], [0.2, 0.9]], M: [[0.3, 0.1], [0.05, 0.4]], P: [[1, 0], [0, 1]], a: [1, 1] }));
    const t = JSON.parse((await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--init', init, '--tau', '1', '--points', '2', '--json'])).stdout);
    expect(t.Q[0]).toEqual([[1, 0.2], [0.2, 0.9]]);
    expect(t.M[0]).toEqual([[0.3, 0.1], [0.05, 0.4]]);
  });

  it('latex --html renders offline: the page, KaTeX CSS and fonts beside it', async () => {
    const dir = tmp();
    const html = join(dir, 'eq.html');
    const r = (await cli(['latex', 'derivations/relu-committee.yaml', '--html', html]));
    expect(r.code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('class="katex');
    expect(page).toContain('href="katex/katex.min.css"');
    expect(existsSync(join(dir, 'katex/katex.min.css'))).toBe(true);
    expect(readdirSync(join(dir, 'katex/fonts')).some((f) => f.endsWith('.woff2'))).toBe(true);
    const tex = (await cli(['latex', 'derivations/he3-single-index.yaml'])).stdout;
    expect(tex).toContain('\\begin{document}');
    expect(tex).toContain('\\frac{dM_{jr}}{d\\tau}');
  });

  it('derive --check passes on the committed generated/ files', async () => {
    const r = (await cli(['derive', 'derivations/saad-solla-erf.yaml', 'derivations/tanh-on-he2.yaml', '--check']));
    expect(r.code).toBe(0);
  });
});

describe('bad input: one line naming the culprit, exit code 2, nothing written', () => {
  const bad: [string, string, RegExp][] = [
    ['unknown function', good.replace('erf(z/sqrt(2))"}', 'foo(z)"}'), /x\.yaml: (student|teacher)\.activation = "foo\(z\)": unknown function 'foo'/],
    ['unparsable expression', good.replace('activation: "erf(z/sqrt(2))", second', 'activation: "z +* 2", second'), /student\.activation = "z \+\* 2": cannot parse/],
    ['divergent Gaussian moments', good.replace('activation: "erf(z/sqrt(2))", second', 'activation: "exp(z^2)", second'), /student\.activation = "exp\(z\^2\)": grows too fast: its Gaussian moments diverge/],
    ['not real-valued', good.replace('activation: "erf(z/sqrt(2))", second', 'activation: "sqrt(z)", second'), /student\.activation = "sqrt\(z\)": is not real-valued/],
    ['width < 1', good.replace('width: 2, activation: "erf(z/sqrt(2))", second', 'width: 0, activation: "erf(z/sqrt(2))", second'), /student\.width = 0: /],
    ['init not matching width', good.replace('init: [1, 1]', 'init: [1, 1, 1]'), /student\.second_layer\.init = \[1,1,1\]: has 3 entries but student\.width is 2/],
    ['weights not matching width', good.replace('activation: "erf(z/sqrt(2))"}\n', 'activation: "erf(z/sqrt(2))", weights: [1]}\n'), /teacher\.weights = \[1\]: has 1 entries but teacher\.width is 2/],
    ['missing field', 'name: probe\nteacher: {width: 1, target: "nu1"}\n', /x\.yaml: student: missing required field/],
    ['unknown field', good + 'learning_rate: 3\n', /unknown field\(s\) learning_rate/],
    ['unknown symbol in a target', good.replace('target: committee, activation: "erf(z/sqrt(2))"', 'target: "nu1*nu3"'), /teacher\.target = "nu1\*nu3": unknown symbol 'nu3'/],
    ['trained second layer under correlation loss', good.replace('train: false', 'train: true') + 'loss: correlation\n', /student\.second_layer\.train = true: the correlation loss is unbounded/],
    ['invalid YAML', 'name: [unclosed\n', /x\.yaml: invalid YAML/],
  ];
  for (const [what, text, message] of bad) {
    it(what, async () => {
      const dir = tmp();
      const out = join(dir, 'gen');
      const r = (await cli(['derive', specFile(dir, text), '--out-dir', out]));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a non-positive-semi-definite --init', async () => {
    const dir = tmp();
    const init = join(dir, 'init.json');
    writeFileSync(init, JSON.stringify({ Q: [[1, 0], [0, 1]], M: [[0.9, 0.6], [0, 0]] }));
    const r = (await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--init', init, '--out', join(dir, 't.json')]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/init\.json: Q, M, P: Ω = \[\[Q, M\], \[Mᵀ, P\]\] is not positive semi-definite/);
    expect(existsSync(join(dir, 't.json'))).toBe(false);
  });

  it('an --init of the wrong shape, an unknown parameter, a bad option value', async () => {
    const dir = tmp();
    const init = join(dir, 'init.json');
    writeFileSync(init, JSON.stringify({ Q: [[1]], M: [[0, 0]] }));
    const a = (await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--init', init]));
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/init\.json: Q = \[\[1\]\]: expected a 2×2 array/);
    const b = (await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'zeta=1']));
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--set zeta: unknown parameter \(known: eta_bar, Delta/);
    // a rate given as γ needs the batch (and d) to become η̄ = γd/n_b
    const b2 = (await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--set', 'gamma=1']));
    expect(b2.code).toBe(2);
    expect(b2.stderr).toMatch(/--set gamma = "1": a rate given as gamma needs --nb/);
    const c = (await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--tau', 'soon']));
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--tau = "soon": expected a finite number/);
    const d = (await cli(['hermite', 'z', '--order', '99']));
    expect(d.code).toBe(2);
  });

  it('a learning rate that makes the dynamics blow up: exit 1, no trajectory printed or written', async () => {
    const dir = tmp();
    const f = specFile(dir, 'name: blow\nstudent: {width: 1, activation: "He3(z)/sqrt(6)"}\nteacher: {width: 1, target: committee, activation: "He3(z)/sqrt(6)"}\n');
    const r = (await cli(['integrate', f, '--set', 'eta_bar=0.5', '--tau', '20', '--json', '--out', join(dir, 't.json')]));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/blew up at τ = [\d.e-]+ .*lower eta_bar/);
    expect(r.stderr).not.toMatch(/NaN/);
    expect(existsSync(join(dir, 't.json'))).toBe(false);
  });

  it('a missing file and an unknown option', async () => {
    expect((await cli(['derive', 'derivations/nope.yaml'])).stderr).toMatch(/derivations\/nope\.yaml: cannot read derivation file \(ENOENT\)/);
    expect((await cli(['integrate', 'derivations/saad-solla-erf.yaml', '--frobnicate'])).code).toBe(2);
  });
});


describe('LaTeX for a paper', () => {
  it('latex --fragment is an includable snippet: no preamble, the same equations', async () => {
    const full = await cli(['latex', 'derivations/he3-single-index.yaml']);
    const frag = await cli(['latex', 'derivations/he3-single-index.yaml', '--fragment']);
    expect(frag.code).toBe(0);
    expect(frag.stdout).not.toMatch(/\\documentclass|\\begin\{document\}|\\end\{document\}|\\usepackage/);
    const eqs = (t: string) => t.match(/\\begin\{equation\*\}[\s\S]*?\\end\{equation\*\}/g) ?? [];
    expect(eqs(frag.stdout)).toEqual(eqs(full.stdout));
    expect(eqs(frag.stdout).length).toBeGreaterThan(5);
    const both = await cli(['latex', 'derivations/he3-single-index.yaml', '--fragment', '--html', 'x.html']);
    expect(both.code).toBe(2);
  });
});

describe('numbers on the command line', () => {
  it('a plain decimal reads as the double the expression parser gives, without loading the parser; anything else goes through the parser and its errors', async () => {
    const { evaluateExpression, Expr } = await import('../src/symbolic/expr.ts');
    for (const text of ['0.5', '1e-3', '-2', '+.25', '5.', '3E+2', '0.1', '123456789.123456789', ' 7 '])
      expect(evaluateExpression(text, { d: 1000 }, '--set')).toBe(Expr.parse(`(${text.trim()})`, ['d'], {}).compile()(1000));
    expect(evaluateExpression('d/2', { d: 1000 }, '--set')).toBe(500);
    expect(() => evaluateExpression('1e400', {}, '--set')).toThrow(/evaluates to Infinity/);
    expect(() => evaluateExpression('0.5.1', {}, '--set')).toThrow();
  });
});
