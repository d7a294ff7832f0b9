/**
 * The command-line program: every subcommand's arguments, options and help, and nothing else. Each
 * action imports its implementation when it runs, so `hermode --help` or `hermode hermite` loads
 * neither the simulators nor the plotting and KaTeX stacks.
 */
import { LR_RULE_DEFS, BATCH_RULE_DEFS, rulesHelp } from '../rules/registry.ts';
import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import type { IntegrateOpts } from './integrate.ts';
import type { SimOpts } from './simulate.ts';
import type { GdgfOpts } from './gdgf.ts';
import type { GiantOpts } from './giant.ts';
import type { DiagnoseOpts } from './diagnose.ts';
import { DEFAULT_M0 } from '../numeric/defaults.ts';
import { INTEGRATE_DEFAULTS } from '../numeric/defaults.ts';
import { SIM_DEFAULTS } from '../simulate/defaults.ts';
import { DEFAULT_CHECK } from '../compare/defaults.ts';
import { DEFAULT_TIME_LIMIT_S } from '../limits.ts';
import { LOSS_NAMES } from '../loss/index.ts';


const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * The hermode program with every subcommand registered (not yet parsed). `output` is set before the
 * subcommands are added, so that they inherit it; commander's own error text is not printed (main
 * turns a CommanderError into hermode's one line).
 */
export function buildProgram(version: string, output: { writeOut: (s: string) => void; writeErr: (s: string) => void } = { writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) }): Command {
  const program = new Command();
  program.configureOutput({ ...output, outputError: () => undefined });
  program
    .name('hermode')
    .description('Overlap ODEs for two-layer networks trained by online SGD on Gaussian inputs: derive equations and code (TypeScript, LaTeX, Python, C), integrate, iterate the finite-step map, simulate, compare (also under learning-rate and batch-size rules), diagnose large batches, sweep (locally or on Slurm: gather, status), giant steps.')
    .version(version)
    .exitOverride();
  registerCommands(program);
  return program;
}

function registerCommands(program: Command): void {
  program
    .command('hermite')
    .description('Hermite coefficients c_k = E[f He_k]/k!, E[f′²] and the information exponent of an activation')
    .argument('<expr>', 'activation in z (e.g. "tanh(z)"), or a polynomial target in nu1..nuk')
    .option('--order <K>', 'highest coefficient', '8')
    .option('--target <g>', 'a target activation in z: also report the pair exponent (first k with c_k(σ)c_k(g) ≠ 0)')
    .option('--variance <q>', 'coefficients of x ↦ f(√q x): the field has variance q (default 1)', '1')
    .option('--leap', 'for a polynomial target in nu1..nuk: its leap index and an ordering of the terms that attains it')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  $ hermode hermite "erf(z/sqrt(2))" --order 7\n  $ hermode hermite "relu(z)" --target "He3(z)/sqrt(6)"\n  $ hermode hermite "nu1 + nu1*nu2" --json\n  $ hermode hermite "nu1 + nu1*He2(nu2)" --leap')
    .action(async (expr: string, o: { order: string; target?: string; json?: boolean; variance: string; leap?: boolean }) => (await import('./hermite.ts')).hermiteCommand(expr, o));

  program
    .command('derive')
    .description('derive the overlap ODEs of derivation files and write them as code and LaTeX: generated/X.ts, X.py, X.c + X.h, X.tex')
    .argument('<files...>', 'derivation files (derivations/X.yaml)')
    .option('--out-dir <dir>', 'where to write', 'generated')
    .option('--expectations <backend>', 'override the file: auto or a backend (hermode backends lists them, and which apply to a file)')
    .option('--lang <list>', 'output languages, comma-separated: ts, tex, py, c, wasm (default: all five)')
    .option('--check', 'write nothing; exit 1 if the files in --out-dir are missing or differ from a fresh derivation')
    .option('--jacobian', 'also print jacobian(t, y, params, J) = ∂(dy/dτ)/∂y (forward-mode derivative of rhs) in every language')
    .option('--diffusion', 'also print diffusion(t, y, params, D): the diffusion matrix of the linear-noise approximation per unit τ, scaled by d (THEORY §2.13), in every language')
    .addHelpText('after', '\nExamples:\n  $ hermode derive derivations/saad-solla-erf.yaml\n  $ hermode derive derivations/relu-committee.yaml --lang py,c --out-dir mycode\n  $ hermode derive derivations/*.yaml --check')
    .action(async (files: string[], o: { outDir: string; expectations?: string; check?: boolean; lang?: string; jacobian?: boolean; diffusion?: boolean }) => (await import('./derive.ts')).deriveCommand(files, o));

  program
    .command('backends')
    .description('the expectation backends (how the Gaussian expectations are evaluated); with a file, which apply to it and which one auto takes')
    .argument('[file]', 'derivation file')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  $ hermode backends\n  $ hermode backends derivations/tanh-on-he2.yaml')
    .action(async (file: string | undefined, o: { json?: boolean }) => (await import('./backends.ts')).backendsCommand(file, o));

  program
    .command('latex')
    .description('the derived equations as LaTeX on stdout, or a standalone KaTeX-rendered HTML page')
    .argument('<file>', 'derivation file')
    .option('--html <file>', 'write an HTML page (KaTeX CSS and fonts are copied beside it, so it renders offline)')
    .option('--fragment', 'an includable snippet (no preamble, \\paragraph headings) to \\input into a paper')
    .addHelpText('after', '\nExamples:\n  $ hermode latex derivations/relu-committee.yaml > relu.tex\n  $ hermode latex derivations/relu-committee.yaml --html out/relu.html')
    .action(async (file: string, o: { html?: string; fragment?: boolean }) => (await import('./derive.ts')).latexCommand(file, o));

  program
    .command('fixed-points')
    .description('the fixed points of the overlap ODE reached from a start and from its symmetrisation (Newton with the generated Jacobian): state, risk, every eigenvalue, type, the leading unstable direction of a saddle, the slowest rate of a stable point')
    .argument('<file>', 'derivation file')
    .option('--set <name=value>', 'parameter (eta_bar, kappa, Delta, a_j, P_r_t, lambda); repeatable', collect)
    .option('--init <file>', 'start, JSON {"Q": [[..]], "M": [[..]], "P": [[..]], "a": [..]} (default: Q = I, small random M)')
    .option('--tau <T>', 'how long the ODE runs from each start before Newton', '2000')
    .option('--seed <S>', 'seed of the default initial M', '1')
    .option('--m0 <x>', 'standard deviation of the default initial M_jr', String(DEFAULT_M0))
    .option('--expectations <backend>', 'override the file: auto or a backend')
    .option('--json', 'machine-readable output (convention, time unit, every eigenvalue)')
    .option('--quiet', 'no progress report (otherwise shown for runs longer than 2 s)')
    .option('--sweep <name=lo:hi:n>', 'follow the fixed points of the first value along a parameter (continuation): where each changes stability or ends')
    .option('--out <dir>', 'also write fixed-points.json and eigenvalues.svg (with --sweep: sweep.json and sweep.svg)')
    .addHelpText('after', '\nExamples:\n  $ hermode fixed-points derivations/saad-solla-erf.yaml --set eta_bar=0.5\n  $ hermode fixed-points noisy.yaml --sweep eta_bar=0.5:5:10\n  $ hermode fixed-points derivations/relu-committee.yaml --json')
    .action(async (file: string, o: { set?: string[]; init?: string; tau: string; seed: string; m0: string; expectations?: string; json?: boolean; quiet?: boolean; sweep?: string; out?: string }) => (await import('./fixedpoints.ts')).fixedPointsCommand(file, o));

  program
    .command('plateau')
    .description('plateau lengths in simulation at several d, started on the saddle (the symmetric plateau of a committee), against the escape law: the median exit grows by 1/(2λ₊) per unit ln d')
    .argument('<file>', 'derivation file')
    .option('--set <name=value>', 'parameter (eta_bar, kappa, Delta, a_j, P_r_t, lambda); repeatable', collect)
    .option('--d <list>', 'input dimensions, comma-separated', '1000,10000,100000')
    .option('--nb <list>', 'mini-batch size at each d (default: d/min d, so that γ = η̄ n_b/d is the same at every d)')
    .option('--seeds <n>', 'seeds per dimension', '100')
    .option('--seed <s>', 'first seed', '1')
    .option('--band <x>', 'a run has left the plateau when its coordinate along the unstable direction, |w₊·(y − y*)|, exceeds this', '0.1')
    .option('--tau <T>', 'horizon of each run (default: 3 × the escape law from δ₀ = d^{-1/2} + 5/λ₊; runs stop once past the band)')
    .option('--engine <e>', 'reduced (exact in law, cost independent of d) or full', 'reduced')
    .option('--workers <n>', 'worker threads (results do not depend on it)', '2')
    .option('--fp-tau <T>', 'how long the ODE runs before Newton finds the saddle', '2000')
    .option('--expectations <backend>', 'override the file: auto or a backend')
    .option('--json', 'machine-readable output (every seed’s exit time, the slope and its standard error)')
    .option('--out <dir>', 'also write plateau.json and plateau.svg')
    .option('--quiet', 'no progress bar')
    .option('--time-limit <s>', 'refuse a study predicted to take longer than this many seconds (exit 1, saying why)', String(DEFAULT_TIME_LIMIT_S))
    .option('--no-time-limit', 'run however long it takes')
    .addHelpText('after', '\nExamples:\n  $ hermode plateau derivations/saad-solla-erf.yaml --set eta_bar=3 --d 1000,10000,100000 --seeds 200\n  $ hermode plateau derivations/saad-solla-erf.yaml --set eta_bar=3 --d 300,3000 --seeds 100 --json')
    .action(async (file: string, o: import('./plateau.ts').PlateauOpts) => (await import('./plateau.ts')).plateauCommand(file, o));

  addRuleOptions(program
    .command('integrate'))
    .description('integrate the overlap ODEs (odex, dense output) and print the trajectory')
    .argument('<file>', 'derivation file')
    .option('--set <name=value>', 'parameter (eta_bar, kappa, Delta, a_j, P_r_t, lambda of weight decay; Saad–Solla files also eta, eta_v); repeatable', collect)
    .option('--tau <T>', 'final time τ = γ·steps (default 10)')
    .option('--alpha <A>', 'final time as samples/d (α = τ/η̄), instead of --tau')
    .option('--points <N>', 'grid points (default: about 61 at round times)')
    .option('--log-grid', 'log-spaced grid (plus τ = 0)')
    .option('--init <file>', 'initial overlaps, JSON {"Q": [[..]], "M": [[..]], "P": [[..]], "a": [..]}')
    .option('--seed <S>', 'seed of the default initial M', INTEGRATE_DEFAULTS.seed)
    .option('--m0 <x>', 'standard deviation of the default initial M_jr', INTEGRATE_DEFAULTS.m0)
    .option('--rtol <x>', 'relative tolerance', INTEGRATE_DEFAULTS.rtol)
    .option('--atol <x>', 'absolute tolerance', INTEGRATE_DEFAULTS.atol)
    .option('--expectations <backend>', 'override the file: auto or a backend (hermode backends lists them, and which apply to a file)')
    .option('--threshold <x>', 'escape time: stop at the first τ with |M| ≥ x, located on the dense output')
    .option('--entry <e>', 'escape entry: max (default) or M_j_r')
    .option('--init-from-sim', 'start from the mean initial overlaps of `simulate` with the same --d, --seeds, --seed, --teacher, --engine')
    .option('--d <d>', 'input dimension (with --nb: reports steps and samples, and warns when γ = η̄ n_b/d is not small); used by --init-from-sim', '1000')
    .option('--nb <n>', 'mini-batch size n_b (with --d)')
    .option('--seeds <n>', 'with --init-from-sim: number of seeds', '8')
    .option('--teacher <t>', 'with --init-from-sim: orthonormal | random', 'orthonormal')
    .option('--engine <e>', 'with --init-from-sim: full | reduced', 'full')
    .option('--max-steps <n>', 'odex step budget; a run that exhausts it prints the trajectory so far and exits 1', '200000')
    .option('--fluctuations', 'also the standard deviation of every entry and of the risk for one run at dimension --d (linear-noise approximation, THEORY §2.13; `std` in --json)')
    .option('--fluctuation-nodes <n>', 'with --fluctuations: Gauss–Hermite nodes per field of the diffusion matrix (default: the most with n^(p+k) ≤ 10⁴; its accuracy along the run is measured against twice as many)')
    .option('--random-start', "with --fluctuations: runs from the simulators' random start w_j = g_j/√d (Σ(0) = 1 for M_jr, 2 for Q_jj, 1 for Q_jl, per d) instead of from the given overlaps exactly")
    .option('--integrator <i>', 'odex (explicit extrapolation) or implicit (linearly implicit Euler extrapolated, the generated Jacobian at each step: 3× faster on a committee integrated far past convergence, slower through a plateau; THEORY §2.12)', 'odex')
    .option('--quiet', 'no progress report (otherwise shown for runs longer than 2 s)')
    .option('--time-limit <s>', 'stop (exit 1, saying why) when the integration is predicted to take longer than this many seconds', String(DEFAULT_TIME_LIMIT_S))
    .option('--no-time-limit', 'integrate however long it takes')
    .option('--json', 'print the trajectory as JSON')
    .option('--csv', 'print the trajectory as CSV (a first # line names the convention; pandas: comment="#")')
    .option('--plain-csv', 'with --csv or a .csv --out: no # line, for readers that take a header and rows only')
    .option('--out <file>', 'also write the trajectory (JSON, or CSV when the name ends in .csv)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hermode integrate derivations/saad-solla-erf.yaml --set eta_bar=1 --tau 60\n  $ hermode integrate derivations/he3-single-index.yaml --set eta_bar=0.01 --tau 200 --log-grid --json\n\nDefault start: Q = I, M_jr ~ N(0, m0²) from --seed, P = I, a from the derivation.',
    )
    .addHelpText('after', '\nRules: with --lr-rule or --batch-rule, η̄(τ) = γ_t d/n_b(τ) is evaluated from the state and steps and samples are integrated beside the overlaps (--d required):\n  $ hermode integrate derivations/saad-solla-erf.yaml --lr-rule lars --set gamma0=0.01 --d 1000 --nb 10 --tau 50\n  $ hermode integrate derivations/erf-adaptive.yaml --batch-rule adadamp --set gamma=0.02,nb0=4,nmax=4000 --d 500 --tau 40')
    .action(async (file: string, o: IntegrateOpts) => (await import('./integrate.ts')).integrateCommand(file, o));


  registerSimulationCommands(program);
  registerGdgf(program);
  registerStudyCommands(program);

  program
    .command('example')
    .description('the flagship example: derive the Saad–Solla erf committee, integrate it, print a table, write the LaTeX and an HTML page')
    .option('--out-dir <dir>', 'where to write the HTML page', 'out/example')
    .action(async (o: { outDir: string }) => (await import('./example.ts')).exampleCommand(o));
}


/** Learning-rate and batch-size rules (integrate, map, simulate, compare). */
function addRuleOptions(cmd: Command): Command {
  return cmd
    .option('--discard <q>', 'discard small-loss samples: only samples with ½e² > q enter the gradient (THEORY §4.7; the ODE by quadrature, accuracy stated)')
    .option('--discard-nodes <n>', 'with --discard: Gauss–Hermite nodes per field of the ODE’s weighted moments (default: n^(p+k) ≤ 3·10⁴)')
    .option('--lr-rule <r>', `learning-rate rule (parameters by --set name=value; THEORY §4.6) — ${rulesHelp(LR_RULE_DEFS)}`)
    .option('--batch-rule <r>', `batch-size rule (parameters by --set name=value; THEORY §4.5) — ${rulesHelp(BATCH_RULE_DEFS)}`)
    .option('--batch-schedule <expr>', 'n_b as an expression in tau or steps (and d, p, k), e.g. "4*2^floor(steps/200)"; implies --batch-rule schedule')
    .option('--lr-schedule <expr>', 'η̄ as an expression in tau or steps (and d, p, k), γ_t = η̄ n_b/d, e.g. "0.5/(1 + tau/20)"; implies --lr-rule schedule');
}

/** --slurm and the sbatch settings (sweep, simulate). */
function addSlurmOptions(cmd: Command, unit: string): Command {
  return cmd
    .option('--slurm', `submit to a Slurm cluster as a job array (one ${unit} per task) into the run directory --out, with a gather job after it`)
    .option('--partition <p>', 'Slurm partition')
    .option('--time <t>', 'Slurm time limit per task (HH:MM:SS)')
    .option('--cpus-per-task <c>', 'CPUs per task (also the worker threads of a task)')
    .option('--mem <m>', 'memory per task (e.g. 4G)')
    .option('--array-max <n>', 'at most this many tasks at once (--array=…%n)', '100')
    .option('--dry-run', 'write the run directory and print the sbatch commands without submitting');
}

function addSimOptions(cmd: Command): Command {
  return addRuleOptions(cmd)
    .option('--d <d>', 'input dimension', SIM_DEFAULTS.d)
    .option('--nb <n>', 'mini-batch size n_b', SIM_DEFAULTS.nb)
    .option('--set <name=value>', 'gamma or eta_bar (γ = η̄ n_b/d; expressions in d, nb, p, k allowed), kappa, Delta, a_j, P_r_t, lambda (weight decay); repeatable', collect)
    .option('--seeds <n>', 'number of seeds (seed, seed+1, …), or a range A-B', SIM_DEFAULTS.seeds)
    .option('--seed <s>', 'first seed', SIM_DEFAULTS.seed)
    .option('--workers <n>', 'worker threads (results do not depend on it)', String(Math.min(2, availableParallelism())))
    .option('--points <n>', 'recorded points (default: about 61 at round step counts)')
    .option('--log-grid', 'log-spaced recording steps')
    .option('--engine <e>', 'full (d-dimensional) or reduced (exact in law, cost independent of d)', SIM_DEFAULTS.engine)
    .option('--teacher <t>', 'orthonormal (P = I) or random (Gaussian rows, P ≈ I)', SIM_DEFAULTS.teacher)
    .option('--init <file>', 'start from exactly these overlaps (JSON {"Q","M","P","a"}); default w_j = g_j/√d (Q ≈ I, M ~ d^-1/2)')
    .option('--time-limit <s>', 'refuse a simulation (and, in compare, an ODE) predicted to take longer than this many seconds (exit 1, saying why)', String(DEFAULT_TIME_LIMIT_S))
    .option('--no-time-limit', 'run however long it takes')
    .option('--quiet', 'no progress bar');
}

function registerSimulationCommands(program: Command): void {
  addSlurmOptions(
    addSimOptions(
      program
        .command('simulate')
        .description('online SGD at finite d: overlaps and risk per seed, their mean and standard error')
        .argument('<file>', 'derivation file'),
    ),
    'chunk of seeds',
  )
    .option('--steps <n>', 'SGD steps (or --tau)')
    .option('--tau <T>', 'final τ = γ·steps (instead of --steps)')
    .option('--save-init <file>', 'write the mean initial overlaps (for integrate --init)')
    .option('--threshold <x>', 'escape time per seed: the first step with |M| ≥ x (median, quartiles, fraction escaped)')
    .option('--entry <e>', 'escape entry: max (default) or M_j_r')
    .option('--json', 'print the result as JSON')
    .option('--csv', 'print the seed mean as CSV')
    .option('--out <file>', 'also write the result (JSON, or CSV of the mean when the name ends in .csv); with --slurm, the run directory')
    .option('--chunk <n>', 'seeds per Slurm task', '8')
    .addOption(new Option('--seed-results <dir>', 'write each seed’s raw result here (a cluster task)').hideHelp())
    .addOption(new Option('--from-seed-results <dir>', 'read the seeds’ raw results instead of running them (gather)').hideHelp())
    .addHelpText(
      'after',
      '\nExamples:\n  $ hermode simulate derivations/saad-solla-erf.yaml --d 1000 --nb 1 --set gamma=0.001 --steps 60000 --seeds 8\n  $ hermode simulate derivations/saad-solla-erf.yaml --d 1000 --set eta_bar=1 --tau 20 --seeds 1-1000 --slurm --out runs/sim --time 00:20:00\n  $ hermode simulate derivations/he3-single-index.yaml --engine reduced --d 1000000 --set eta_bar=0.01 --tau 50 --json',
    )
    .action(async (file: string, o: SimOpts & { steps?: string; tau?: string; saveInit?: string; json?: boolean; csv?: boolean; out?: string; threshold?: string; entry?: string }) => (await import('./simulate.ts')).simulateCommand(file, o));

  addSimOptions(
    program
      .command('compare')
      .description('theory against simulation: ODE from the simulations’ mean start, agreement table, SVG plots and an HTML report')
      .argument('<file>', 'derivation file'),
  )
    .option('--tau <T>', 'final τ', '20')
    .option('--steps <n>', 'SGD steps (instead of --tau)')
    .option('--ode-set <name=value>', 'override an ODE parameter only (e.g. eta_bar=0 drops the variance term)', collect)
    .option('--alpha <α>', 'family-wise level of the check: the probability that a correct ODE fails it', String(DEFAULT_CHECK.alpha))
    .option('--c1 <c>', 'finite-d bias allowance b = c1/d + c2·γ: the 1/d constant', String(DEFAULT_CHECK.c1))
    .option('--c2 <c>', 'finite-d bias allowance: the γ constant', String(DEFAULT_CHECK.c2))
    .option('--out <dir>', 'write trajectories.json, SVG plots and report.html here')
    .option('--fluctuation-nodes <n>', 'with --fluctuations: Gauss–Hermite nodes per field of the diffusion matrix')
    .option('--fluctuations', "also the seeds' spread (their standard deviation) against the linear-noise prediction for one run, entry by entry, and ± that prediction on the report's plots (THEORY §2.13; Σ(0) of the random start without --init)")
    .option('--check', 'exit 1 when any entry leaves q·SEM + b, q the Student-t quantile at level α (Bonferroni over times × entries), b = c1/d + c2·γ (regression-test mode), or when no overlap moved enough for the check to see anything (inconclusive)')
    .option('--json', 'print the agreement table as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hermode compare derivations/saad-solla-erf.yaml --d 1000 --nb 1 --set eta_bar=1 --tau 60 --seeds 32 --out out/cmp\n  $ hermode compare derivations/relu-committee.yaml --init warm.json --check',
    )
    .action(async (file: string, o: SimOpts & { tau: string; steps?: string; odeSet?: string[]; alpha: string; c1: string; c2: string; out?: string; check?: boolean; json?: boolean; timeLimit: string | false }) =>
      (await import('./compare.ts')).compareCommand(file, o),
    );
}

function registerStudyCommands(program: Command): void {
  addRuleOptions(program
    .command('map'))
    .description('iterate the finite-step overlap map (mean dynamics at finite γ, with the squared mean gradient G): the right tool when n_b ≳ d/η̄')
    .argument('<file>', 'derivation file')
    .option('--d <d>', 'input dimension', '1000')
    .option('--nb <n>', 'mini-batch size', '1')
    .option('--set <name=value>', 'gamma or eta_bar (expressions in d, nb, p, k), kappa, Delta, a_j, P_r_t', collect)
    .option('--steps <T>', 'steps', '100')
    .option('--init <file>', 'initial overlaps (JSON); default: the typical random start Q = I, M_jr = d^-1/2')
    .option('--threshold <x>', 'stop at escape: the first step with |M| ≥ x')
    .option('--entry <e>', 'escape entry: max (default) or M_j_r')
    .option('--points <n>', 'rows in the table (the JSON has every step)', '21')
    .option('--quiet', 'no progress report (otherwise shown for runs longer than 2 s)')
    .option('--json', 'print the trajectory (one entry per step, step 0 included) as JSON')
    .option('--csv', 'print it as CSV')
    .option('--out <file>', 'also write the trajectory')
    .addHelpText('after', '\nExamples:\n  $ hermode map derivations/he3-single-index.yaml --d 256 --nb 65536 --set gamma=2 --steps 20\n  $ hermode map derivations/saad-solla-erf.yaml --d 1000 --nb 2000 --set gamma=0.5 --steps 50 --json')
    .action(async (file: string, o: Record<string, any>) => (await import('./map.ts')).mapCommand(file, o));

  const sweep = program
    .command('sweep')
    .description('escape steps and samples over a grid of d, n_b(d) and loss (ODE, map or simulation), with fitted exponents, plots and a report; resumable')
    .argument('<file>', 'derivation file')
    .requiredOption('--d <list>', 'dimensions, e.g. 256,1024,4096')
    .option('--nb <list>', 'batch sizes as expressions in d, e.g. "1,d^0.5,d,d^1.5"', '1')
    .option('--loss <list>', `comma-separated: ${LOSS_NAMES.join(', ')}`, 'mse')
    .option('--method <list>', 'ode,map,sim', 'ode')
    .option('--set <name=value>', 'gamma or eta_bar as an expression in d, nb, p, k and crit (η̄_crit at the start), e.g. eta_bar="0.5*crit"; kappa, Delta, …; gamma0, trust with --lr-rule', collect)
    .option('--lr-rule <r>', 'learning-rate rule: constant | lars | cblr | mclr (THEORY §4.6; its parameters by --set)')
    .option('--seeds <n>', 'seeds per simulated point', '16')
    .option('--seed <s>', 'first seed', '1')
    .option('--threshold <x>', 'escape threshold on |M|', '0.5')
    .option('--entry <e>', 'escape entry: max (default) or M_j_r')
    .option('--max-steps <expr>', 'horizon in steps, an expression in d, nb, p, k', '1e6')
    .option('--engine <e>', 'simulator: full, reduced or auto (reduced when d·p > 20000)', 'auto')
    .option('--init <file>', 'start every point from these overlaps (warm start); default: random start (simulation), Q = I, M_jr = d^-1/2 (ODE, map)')
    .option('--workers <n>', 'worker threads for simulations', String(Math.min(2, availableParallelism())))
    .option('--out <dir>', 'write points/, sweep.csv, sweep.json, steps.svg, samples.svg, report.html (points there are reused); with --slurm, the run directory')
    .addOption(new Option('--point <i>', 'compute only point i into --out/points (a cluster task)').hideHelp())
    .option('--json', 'print points and fits as JSON')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hermode sweep derivations/he3-single-index.yaml --d 256,1024,4096 --nb 1 --set eta_bar="0.5*crit" --threshold 0.5 --out out/sweep\n  $ hermode sweep derivations/he3-time-complexity.yaml --d 256 --nb "d^1.25,d^1.5,d^2" --loss mse,correlation --method map,sim --set gamma="0.032*p*nb*d^-1.5" --threshold 0.9 --out out/tc',
    )
    .action(async (file: string, o: Record<string, any>) => (await import('./sweep.ts')).sweepCommand(file, o));
  addSlurmOptions(sweep, 'point');

  program
    .command('diagnose')
    .description('large-batch diagnostics at one state against n_b: gradient norm, step lengths, loss change per update and the gradient noise scale — theory from the moments beside simulated single steps (THEORY §4.7)')
    .argument('<file>', 'derivation file')
    .option('--d <d>', 'input dimension', '1000')
    .option('--nb <list>', 'batch sizes, comma-separated', '1,10,100,1000')
    .option('--set <name=value>', 'gamma (the step whose lengths and loss change are reported; or eta_bar at the first n_b), Delta, kappa, a_j, P_r_t', collect)
    .option('--tau <T>', 'the state: the ODE at τ = T from the default start (with --eta-bar)')
    .option('--eta-bar <x>', 'η̄ of the ODE run to --tau', '1')
    .option('--init <file>', 'the state: these overlaps (JSON {"Q","M","P","a"})')
    .option('--seeds <n>', 'simulated single steps per n_b (0: theory only)', '200')
    .option('--seed <s>', 'first seed', '1')
    .option('--engine <e>', 'full or reduced (exact in law, cost independent of d)', 'reduced')
    .option('--workers <n>', 'worker threads (results do not depend on it)', String(Math.min(2, availableParallelism())))
    .option('--json', 'print the result as JSON')
    .option('--out <dir>', 'write report.html, grad.svg, step.svg, loss.svg and diagnose.json')
    .option('--quiet', 'no progress bar')
    .addHelpText('after', '\nExamples:\n  $ hermode diagnose derivations/saad-solla-erf.yaml --d 1000 --nb 1,10,100,1000,10000 --set gamma=0.05 --tau 20 --out out/diagnose\n  $ hermode diagnose derivations/erf-adaptive.yaml --init warm.json --set gamma=0.01 --seeds 0 --json')
    .action(async (file: string, o: DiagnoseOpts) => (await import('./diagnose.ts')).diagnoseCommand(file, o));

  program
    .command('gather')
    .description('the result of a Slurm run directory: what the local command prints and writes, from the tasks’ results')
    .argument('<dir>', 'run directory (--out of sweep/simulate --slurm)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, o: { json?: boolean }) => (await import('./cluster.ts')).gatherCommand(dir, o));
  program
    .command('status')
    .description('tasks of a Slurm run directory: completed, running, pending, failed (with their logs)')
    .argument('<dir>', 'run directory')
    .option('--json', 'print the task states as JSON')
    .action(async (dir: string, o: { json?: boolean }) => (await import('./cluster.ts')).statusCommand(dir, o));
  program
    .command('task', { hidden: true })
    .description('run one task of a Slurm run directory (what the job array executes)')
    .argument('<dir>', 'run directory')
    .argument('<index>', 'task index')
    .action(async (dir: string, index: string) => (await import('./cluster.ts')).taskCommand(dir, index));
}

function registerGdgf(program: Command): void {
  program
    .command('giant')
    .description('a few giant (large-batch, projected) steps of the first layer from M = 0, Q = I: closed form, finite-step map and simulation per step, with the readout fitted after each step (THEORY §4.3)')
    .argument('<file>', 'derivation file (second layer not trained; dynamics are taken as projected)')
    .option('--alpha <list>', 'samples per step n = α d^κ, comma-separated α', '0.5,2,8')
    .option('--steps <T>', 'steps', '3')
    .option('--gamma <g>', 'step size: giant (the limit η → ∞) or a positive number', 'giant')
    .option('--kappa <list>', 'exponents κ of n = α d^κ, comma-separated, in (0, 3] (default 1)')
    .option('--batch <expr>', 'samples per step as an expression in d (e.g. "4*d"), instead of --alpha/--kappa')
    .option('--d <list>', 'input dimensions, comma-separated', '10000')
    .option('--seeds <n>', 'simulated seeds per case', '8')
    .option('--engine <e>', 'simulator: reduced (exact in law, cost independent of d) or full', 'reduced')
    .option('--no-sim', 'closed form and map only')
    .option('--ridge <λ>', 'ridge of the fitted readout, a* = p(K + p²λI)⁺s', '0')
    .option('--start <s>', 'zero (M = 0, Q = I) or typical (M_jr = d^-1/2, the random start’s typical overlap: what a hard direction needs)', 'zero')
    .option('--init <file>', 'start from these overlaps (JSON {"Q","M","P","a"}) instead')
    .option('--set <name=value>', 'a_j, Delta, P_r_t', collect)
    .option('--workers <n>', 'worker threads for the simulation (results do not depend on it)', '2')
    .option('--time-limit <s>', 'refuse a simulation predicted to take longer than this many seconds (exit 1, saying why)', String(DEFAULT_TIME_LIMIT_S))
    .option('--no-time-limit', 'run however long it takes')
    .option('--quiet', 'no progress bar')
    .option('--json', 'print the report as JSON')
    .option('--out <dir>', 'write report.html, m.svg, risk.svg and giant.json')
    .addHelpText(
      'after',
      '\nExamples:\n  $ hermode giant derivations/relu-giant-step.yaml --alpha 0.5,2,8 --steps 1 --d 10000 --out out/giant\n  $ hermode giant derivations/relu-staircase.yaml --batch "4*d" --steps 3 --d 4000\n  $ hermode giant derivations/relu-he2.yaml --start typical --alpha 1 --kappa 1,1.5,2 --steps 1 --d 100,400',
    )
    .action(async (file: string, o: GiantOpts) => (await import('./giant.ts')).giantCommand(file, o));

  program
    .command('gdgf')
    .description('gradient descent against gradient flow on a parameter-dynamics derivation: sharpness, rates, implicit regularisation')
    .argument('<file>', 'derivation file of kind parameter-dynamics (e.g. derivations/linear-net.yaml)')
    .option('--h <h>', 'width h of a, b (default: the file’s)')
    .option('--phi <Φ>', 'the target constant Phi (default: the file’s)')
    .option('--eta <list>', 'comma-separated step sizes', '0.1,0.5,0.9,0.95,0.99,1.05')
    .option('--seed <s>', 'seed of the default start', '1')
    .option('--init-scale <σ>', 'default start: a0, b0 ~ N(0, σ²) entrywise', '0.5')
    .option('--init <file>', 'start, JSON {"a": [...], "b": [...]}')
    .option('--tol <x>', 'converged when |aᵀb − Φ| < tol·max(1, |Φ|) (‖∇L‖ < tol for a general loss)', '1e-13')
    .option('--max-steps <n>', 'bound on descent steps (runs that do not converge stop here)', '200000')
    .option('--json', 'print every reported figure as JSON, full precision')
    .option('--out <dir>', 'write report.html, sharpness.svg, loss.svg, plane.svg and gdgf.json')
    .addHelpText('after', '\nExamples:\n  $ hermode gdgf derivations/linear-net.yaml --h 5 --phi 1 --eta 0.1,0.5,0.9,0.95,0.99,1.05 --out out/gdgf\n  $ hermode gdgf derivations/linear-net.yaml --init start.json --json')
    .action(async (file: string, o: GdgfOpts) => (await import('./gdgf.ts')).gdgfCommand(file, o));
}
