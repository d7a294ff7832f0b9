/**
 * Reading a derivation file: YAML → zod validation → semantic checks (widths against init and
 * weights, loss against a trained second layer, target variables) → `Spec`. Every failure is one
 * `HermodeError` naming the file, the field and the offending value.
 */
import { REGULARISERS } from '../regularisers/index.ts';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { specSchema, type SpecFile } from './schema.ts';
import { paramSpecSchema, type ParamSpecFile } from './paramSchema.ts';
import type { ZodType } from 'zod';
import { usageError } from '../errors.ts';
import { resolveDerivationFile, shippedDerivations } from '../package.ts';
import { lossNamed } from '../loss/index.ts';

export interface Spec extends SpecFile {
  /** path the spec was read from (for messages). */
  file: string;
  /** sha256 of the canonical JSON of the validated spec (first 16 hex digits). */
  hash: string;
}

export interface ParamSpec extends ParamSpecFile {
  file: string;
  hash: string;
}

export type AnySpec = { kind: 'overlap'; spec: Spec } | { kind: 'parameter-dynamics'; spec: ParamSpec };

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const names = /[\\/]/.test(file) ? '' : `; a bare name is one of the derivations hermode ships: ${shippedDerivations().join(', ')}`;
    throw usageError(`cannot read derivation file (${(err as NodeJS.ErrnoException).code ?? 'error'})${names}`, { file });
  }
}

function readYaml(text: string, file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw usageError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, { file });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw usageError('expected a YAML mapping at the top level', { file });
  return raw as Record<string, unknown>;
}

export function loadSpecFile(file: string): Spec {
  const path = resolveDerivationFile(file);
  return parseSpec(readText(path), path);
}

/** Any derivation file: overlap models, or `kind: parameter-dynamics`. */
export function loadAnySpecFile(given: string): AnySpec {
  const file = resolveDerivationFile(given);
  const text = readText(file);
  const raw = readYaml(text, file);
  if (raw.kind === 'parameter-dynamics') {
    const spec = validated(paramSpecSchema, raw, file);
    return { kind: 'parameter-dynamics', spec: { ...spec, file, hash: hashOf(spec) } };
  }
  return { kind: 'overlap', spec: parseSpec(text, file) };
}

function hashOf(spec: unknown): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/** zod validation with the one-line error naming file, field and value. */
function validated<T>(schema: ZodType<T>, raw: Record<string, unknown>, file: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    // an unknown field explains a missing one (a misspelling): name it first
    const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
    const path = issue.path.join('.');
    let value: unknown = raw;
    for (const key of issue.path) value = value && typeof value === 'object' ? (value as any)[key as any] : undefined;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      const missing = parsed.error.issues.filter((i) => i.code === 'invalid_type' && i.path.slice(0, -1).join('.') === path).map((i) => String(i.path.at(-1)));
      message = `unknown field(s) ${keys.join(', ')}${missing.length ? ` (missing: ${missing.join(', ')} — misspelled?)` : ''}`;
    }
    if (value === undefined && issue.code === 'invalid_type') message = 'missing required field';
    throw usageError(message, { file, field: path || undefined, value: issue.code === 'unrecognized_keys' ? undefined : value });
  }
  return parsed.data;
}

export function parseSpec(text: string, file = '<inline>'): Spec {
  const raw = readYaml(text, file);
  if (raw.kind !== undefined) throw usageError('unknown derivation kind (overlap models have no kind; parameter-dynamics files say kind: parameter-dynamics)', { file, field: 'kind', value: raw.kind });
  const spec = validated(specSchema, raw, file);
  checkSemantics(spec, file);
  return { ...spec, file, hash: hashOf(spec) };
}

function checkSemantics(spec: SpecFile, file: string): void {
  const p = spec.student.width;
  const k = spec.teacher.width;
  const init = spec.student.second_layer.init;
  if (init && init.length !== p)
    throw usageError(`has ${init.length} entries but student.width is ${p}`, { file, field: 'student.second_layer.init', value: init });
  const w = spec.teacher.weights;
  if (w && w.length !== k)
    throw usageError(`has ${w.length} entries but teacher.width is ${k}`, { file, field: 'teacher.weights', value: w });
  for (const r of REGULARISERS) {
    const why = (spec as unknown as Record<string, unknown>)[r.field] !== undefined ? r.refuses(spec) : undefined;
    if (why) throw usageError(why, { file, field: r.field, value: (spec as unknown as Record<string, unknown>)[r.field] });
  }
  const committee = spec.teacher.target === 'committee';
  if (committee && !spec.teacher.activation)
    throw usageError('target: committee needs teacher.activation', { file, field: 'teacher.activation' });
  if (!committee && spec.teacher.activation)
    throw usageError('teacher.activation is only used with target: committee (a general target is written in nu1..nuk)', {
      file,
      field: 'teacher.activation',
      value: spec.teacher.activation,
    });
  if (!committee && w)
    throw usageError('teacher.weights is only used with target: committee', { file, field: 'teacher.weights', value: w });
  const refusal = lossNamed(spec.loss).refuses({ trainSecondLayer: spec.student.second_layer.train });
  if (refusal) throw usageError(refusal.message, { file, field: refusal.field, value: refusal.value });
}
