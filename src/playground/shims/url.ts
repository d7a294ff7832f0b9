/** node:url in the page. */
export const fileURLToPath = (u: string | URL): string => String(u).replace(/^file:\/\//, '');
export const pathToFileURL = (p: string): URL => new URL(`file://${p}`);
export default { fileURLToPath, pathToFileURL };
