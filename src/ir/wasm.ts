/**
 * Loading a module written by the WebAssembly printer (src/ir/print-wasm.ts): it is compiled and
 * instantiated with the host's `Math`, and each exported function gets a JavaScript wrapper with the
 * TypeScript module's signature — arrays are copied into the module's argument area, the function is
 * called with their byte offsets, and the arrays it writes are copied back. The result has the same
 * shape as the object the TypeScript module exports (records, name tables, functions).
 */
import type { WasmDescription, WasmExport } from './print-wasm.ts';
import { failure } from '../errors.ts';

/** The part of the host's WebAssembly API hermode uses (Node's and browsers' alike; the compiler's libraries here do not declare it). */
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmCompiled {
  readonly __wasmModule: unique symbol;
}
interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmCompiled;
    customSections(m: WasmCompiled, name: string): ArrayBuffer[];
    imports(m: WasmCompiled): { module: string; name: string; kind: string }[];
  };
  Instance: new (m: WasmCompiled, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The description a hermode module carries in its `hermode` custom section. */
export function wasmDescription(mod: WasmCompiled): WasmDescription | undefined {
  const [sec] = WA.Module.customSections(mod, 'hermode');
  return sec ? (JSON.parse(new TextDecoder().decode(sec)) as WasmDescription) : undefined;
}

/**
 * The wrapper of one export, as JavaScript source: copy each array in, call, copy the outputs back.
 * Specialised per signature (no rest arguments, no per-call allocation).
 */
function wrapperSource(e: WasmExport, args: number): string {
  const names = e.params.map((_, i) => `a${i}`);
  const lines = [`return function ${e.name}(${names.join(', ')}) {`, `  let at = ${args};`];
  const call: string[] = [];
  const back: string[] = [];
  e.params.forEach((p, i) => {
    const a = names[i];
    if (p.type === 'f64' || p.type === 'int') {
      call.push(a);
      return;
    }
    const view = p.type === 'f64[]' ? 'F' : 'I';
    const shift = p.type === 'f64[]' ? 3 : 2;
    lines.push(`  const p${i} = at, n${i} = ${a}.length;`, `  at += ((n${i} << ${shift}) + 7) & ~7;`);
    call.push(`p${i}`);
    lines.push(`  if (at > mem.F.byteLength) mem.grow(at);`);
    lines.push(`  { const v = mem.${view}, o = p${i} >> ${shift}; for (let j = 0; j < n${i}; j++) v[o + j] = ${a}[j]; }`);
    if (p.out) back.push(`  { const v = mem.${view}, o = p${i} >> ${shift}; for (let j = 0; j < n${i}; j++) ${a}[j] = v[o + j]; }`);
  });
  lines.push(`  ${e.ret === 'void' ? '' : 'const r = '}fn(${call.join(', ')});`, ...back, ...(e.ret === 'void' ? [] : ['  return r;']), '};');
  return lines.join('\n');
}

/** A hermode WebAssembly module instantiated: its records, name tables and exported functions. */
export function instantiateWasm<T>(bytes: Uint8Array | WasmCompiled): T {
  const mod = bytes instanceof Uint8Array ? new WA.Module(bytes) : bytes;
  const desc = wasmDescription(mod);
  if (!desc) throw failure('not a hermode WebAssembly module (no hermode section)');
  const imports: Record<string, number | ((...x: number[]) => number)> = {};
  for (const i of WA.Module.imports(mod)) {
    const f = (Math as unknown as Record<string, (...x: number[]) => number>)[i.name];
    if (i.module !== 'Math' || typeof f !== 'function') throw failure(`the WebAssembly module imports ${i.module}.${i.name}, which hermode does not provide`);
    imports[i.name] = f;
  }
  const inst = new WA.Instance(mod, { Math: imports });
  const memory = inst.exports.memory as WasmMemory;
  const mem = {
    F: new Float64Array(memory.buffer),
    I: new Int32Array(memory.buffer),
    grow(bytesNeeded: number) {
      memory.grow(Math.ceil((bytesNeeded - memory.buffer.byteLength) / 65536));
      mem.F = new Float64Array(memory.buffer);
      mem.I = new Int32Array(memory.buffer);
    },
  };
  const out: Record<string, unknown> = { ...desc.records, stateNames: desc.stateNames, paramNames: desc.paramNames, defaultParams: desc.defaultParams };
  for (const e of desc.exports) out[e.name] = new Function('fn', 'mem', wrapperSource(e, desc.args))(inst.exports[e.name], mem);
  return out as T;
}
