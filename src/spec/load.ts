/**
 * Reading a derivation file: YAML → zod validation → semantic checks (widths against init and
 * weights, loss against a trained second layer, target variables) → `Spec`. Every failure is one
 * `HermodeError` naming the file, the field and the offending value.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { specSchema, type SpecFile } from './schema.ts';
import { usageError } from '../errors.ts';

export interface Spec extends SpecFile {
  /** path the spec was read from (for messages). */
  file: string;
  /** sha256 of the canonical JSON of the validated spec (first 16 hex digits). */
  hash: string;
}

export function loadSpecFile(file: string): Spec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read derivation file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { file });
  }
  return parseSpec(text, file);
}

export function parseSpec(text: string, file = '<inline>'): Spec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw usageError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, { file });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw usageError('expected a YAML mapping at the top level', { file });
  const parsed = specSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.join('.');
    let value: unknown = raw;
    for (const key of issue.path) value = value && typeof value === 'object' ? (value as any)[key as any] : undefined;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${(issue as any).keys.join(', ')}`;
    if (value === undefined && issue.code === 'invalid_type') message = 'missing required field';
    throw usageError(message, { file, field: path || undefined, value: issue.code === 'unrecognized_keys' ? undefined : value });
  }
  const spec = parsed.data;
  checkSemantics(spec, file);
  const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  return { ...spec, file, hash };
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
  if (spec.loss === 'correlation' && spec.student.second_layer.train)
    throw usageError('the correlation loss is unbounded in the second layer: it cannot be trained (set train: false)', {
      file,
      field: 'student.second_layer.train',
      value: true,
    });
}
