/** node:v8 in the page: the heap a page may use (Chromium reports it; 2 GiB otherwise). */
export function getHeapStatistics(): { heap_size_limit: number } {
  const memory = (globalThis.performance as unknown as { memory?: { jsHeapSizeLimit?: number } } | undefined)?.memory;
  return { heap_size_limit: memory?.jsHeapSizeLimit ?? 2 ** 31 };
}
export default { getHeapStatistics };
