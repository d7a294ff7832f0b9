/**
 * `hermode backends [FILE]`: the expectation backends (src/backends) with their request syntax, and
 * for a derivation file which of them apply, why the others do not, and which one `auto` takes.
 */
import { BACKENDS } from '../backends/index.ts';
import { planExpectations, requestSyntax } from '../backends/registry.ts';
import { loadSpecFile } from '../spec/load.ts';
import { buildModel } from '../hermite/model.ts';
import { HermodeError } from '../errors.ts';
import { table } from '../report/format.ts';
import { out } from './print.ts';

interface BackendRow {
  backend: string;
  request: string;
  summary: string;
  /** with a file: whether the default request applies, what it plans or why it does not */
  applies?: boolean;
  plan?: string;
  why?: string;
  auto?: boolean;
}

export function backendsCommand(file: string | undefined, o: { json?: boolean }): void {
  const rows: BackendRow[] = BACKENDS.map((b) => ({ backend: b.name, request: requestSyntax(b), summary: b.summary }));
  let autoLabel: string | undefined;
  if (file) {
    const model = buildModel(loadSpecFile(file));
    const auto = planExpectations(model, 'auto');
    autoLabel = auto.label;
    for (const [i, b] of BACKENDS.entries()) {
      // the request without its optional argument; a required one takes the default auto would use
      const request = !b.argument || !b.argument.required ? b.name : undefined;
      const row = rows[i];
      row.auto = auto.backend === b.name || !!b.owns?.(auto.backend);
      if (!request) {
        row.applies = row.auto || undefined;
        row.plan = row.auto ? auto.label : `takes an argument: ${row.request}`;
        continue;
      }
      try {
        row.plan = planExpectations(model, request).label;
        row.applies = true;
      } catch (e) {
        if (!(e instanceof HermodeError) || e.kind === 'internal') throw e;
        row.applies = false;
        row.why = e.message;
      }
    }
  }
  if (o.json) return out(JSON.stringify({ file: file ?? null, auto: autoLabel ?? null, backends: rows }, null, 2));
  if (!file) return out(table(['request', 'backend'], rows.map((r) => [r.request, r.summary]), ['l', 'l']));
  out(`${file}: auto takes ${autoLabel}`);
  out(table(['request', 'applies', 'plan (or why not)'], rows.map((r) => [r.request + (r.auto ? ' (auto)' : ''), r.applies === undefined ? '' : r.applies ? 'yes' : 'no', r.applies === false ? (r.why as string) : (r.plan as string)]), ['l', 'l', 'l']));
}
