import { math } from '../src/symbolic/mathjs.ts';
const h = 5;
const vars = [...Array.from({ length: h }, (_, i) => `a${i + 1}`), ...Array.from({ length: h }, (_, i) => `b${i + 1}`)];
const dot = Array.from({ length: h }, (_, i) => `a${i + 1}*b${i + 1}`).join(' + ');
const L = math.parse(`1/2*((${dot}) - Phi)^2`);
for (const simplify of [false, true]) {
  const t0 = performance.now();
  const g = vars.map((v) => math.derivative(L, v, { simplify }));
  const H = vars.map((_, i) => vars.map((w, j) => (j >= i ? math.derivative(g[i], w, { simplify }) : null)));
  console.log(simplify, (performance.now() - t0).toFixed(0), 'ms', g[0].toString().length, H[0][5]!.toString());
}
