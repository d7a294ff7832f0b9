/**
 * Errors that reach the user. A `HermodeError` carries everything the CLI needs to print one line
 * naming the culprit (file, field, value) and to choose the exit code: `usage` (2) for bad input,
 * `failure` (1) for a computation that could not complete (blow-up, non-convergence), `internal` (1)
 * for an invariant of hermode's own code that broke (a bug: the line says so and asks for a report).
 */
export type ErrorKind = 'usage' | 'failure' | 'internal';

export interface ErrorWhere {
  file?: string;
  field?: string;
  value?: unknown;
}

export class HermodeError extends Error {
  readonly kind: ErrorKind;
  readonly where: ErrorWhere;
  constructor(kind: ErrorKind, message: string, where: ErrorWhere = {}) {
    super(message);
    this.kind = kind;
    this.where = where;
  }

  /** One line: `file: field = value: message`. */
  line(): string {
    const parts: string[] = [];
    if (this.where.file) parts.push(this.where.file);
    if (this.where.field) {
      const v = this.where.value;
      const shown = v === undefined ? '' : ` = ${typeof v === 'string' ? JSON.stringify(v) : safeJson(v)}`;
      parts.push(`${this.where.field}${shown}`);
    }
    const line = parts.length ? `${parts.join(': ')}: ${this.message}` : this.message;
    return this.kind === 'internal' ? `internal error (a bug in hermode; please report it with the command): ${line}` : line;
  }

  get exitCode(): number {
    return this.kind === 'usage' ? 2 : 1;
  }
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return String(v);
  }
}

export const usageError = (message: string, where: ErrorWhere = {}): HermodeError =>
  new HermodeError('usage', message, where);
export const failure = (message: string, where: ErrorWhere = {}): HermodeError =>
  new HermodeError('failure', message, where);
/** An invariant of hermode's own code that broke; no input should reach it. */
export const internal = (message: string): HermodeError => new HermodeError('internal', message);
