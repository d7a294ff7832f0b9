/**
 * One way to fail (src/errors.ts): every error src/ throws is a HermodeError of kind usage (exit 2),
 * failure (exit 1) or internal (exit 1, a broken invariant, said to be a bug) — no plain `Error` —
 * and what a library user can reach by input is a usage error naming the field.
 */
import { describe, it, expect } from 'vitest';
import { codeLines } from './scan.ts';
import { HermodeError, internal, usageError, failure } from '../src/errors.ts';
import { lrRuleNamed, batchRuleNamed } from '../src/rules/registry.ts';


describe('one failure type', () => {
  it('src/ throws no plain Error (the scan sees one planted)', () => {
    const plain = /\bnew (Range|Type)?Error\(/;
    // the worker bundle's parser stub is the text of code that runs in a worker thread, whose errors the pool reports as failures
    expect(codeLines(plain, ['src/errors.ts']).filter((l) => !l.startsWith('src/simulate/pool.ts') || !l.includes('WORKER_MATH_STUB ='))).toEqual([]);
    expect(plain.test("if (x) throw new Error('planted');")).toBe(true);
  });

  it('the three kinds leave with their exit codes, and an internal error says it is a bug', () => {
    expect(usageError('bad', { field: '--d', value: 0 }).exitCode).toBe(2);
    expect(failure('diverged').exitCode).toBe(1);
    const e = internal('unbound index i');
    expect(e).toBeInstanceOf(HermodeError);
    expect(e.exitCode).toBe(1);
    expect(e.line()).toBe('internal error (a bug in hermode; please report it with the command): unbound index i');
  });

  it('an unknown rule in a stored result (a library user’s input) is a usage error naming the field', () => {
    for (const [f, field] of [[() => lrRuleNamed('sgdr'), 'rules.lr'], [() => batchRuleNamed('linear'), 'rules.batch']] as const) {
      let caught: unknown;
      try {
        f();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(HermodeError);
      expect((caught as HermodeError).kind).toBe('usage');
      expect((caught as HermodeError).line()).toMatch(new RegExp(`^${field.replace('.', '\\.')} = "(sgdr|linear)": unknown .* rule; expected one of constant, `));
    }
  });
});
