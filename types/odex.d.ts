// Type declarations for odex 2.x (Hairer's ODEX: Gragg–Bulirsch–Stoer extrapolation with dense
// output). The package ships TypeScript sources that do not compile under `strict`, and no .d.ts;
// hermode loads it with createRequire (src/numeric/odex.ts) and types it with these declarations.

export type OdexDerivative = (x: number, y: number[]) => ArrayLike<number>;

export type OdexOutputFunction = (
  nr: number,
  xold: number,
  x: number,
  y: number[],
  dense?: (component: number, x: number) => number,
) => boolean | void;

/** 0 converged, 1 max steps exceeded, 2 early return (the output function returned false) */
export type OdexOutcome = 0 | 1 | 2;

export interface OdexSolveResult {
  y: number[];
  outcome: OdexOutcome;
  nStep: number;
  xEnd: number;
  nAccept: number;
  nReject: number;
  nEval: number;
}

export interface OdexSolver {
  n: number;
  maxSteps: number;
  initialStepSize: number;
  maxStepSize: number;
  denseOutput: boolean;
  relativeTolerance: number | number[];
  absoluteTolerance: number | number[];
  solve(f: OdexDerivative, x: number, y0: number[], xEnd: number, solOut?: OdexOutputFunction): OdexSolveResult;
  grid(dt: number, out: (x: number, y: number[]) => unknown): OdexOutputFunction;
}

export interface OdexModule {
  Solver: new (n: number) => OdexSolver;
  Outcome: { Converged: 0; MaxStepsExceeded: 1; EarlyReturn: 2 };
}
