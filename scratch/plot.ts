import { familyPlot } from '../src/report/plots.ts';
const tau = [0, 1, 2, 3];
const svg = await familyPlot([{ entry: 'M_11', family: 'M', ode: [0, 0.1, 0.2, 0.3], mean: [0, 0.11, 0.19, 0.31], sem: [0, 0.01, 0.01, 0.02] }], tau, 'M');
console.log(svg.length, svg.slice(0, 200));
