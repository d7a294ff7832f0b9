/*
 * A generated right-hand side driven from C: fixed-step Euler in α = samples/d (dα = 0.01, the scheme
 * of the classic Saad–Solla integrators) for derivations/saad-solla-erf-classic.yaml, η = 0.5.
 *
 *   cc -std=c99 -O2 -I generated examples/euler.c generated/saad-solla-erf-classic.c -lm -o euler
 *   ./euler [alpha_end] [M11 M12 M21 M22 Q11 Q12 Q22]
 *
 * τ = η̄·α (canonical time), so one Euler step in α is a step of η̄·dα in τ.
 */
#include <stdio.h>
#include <stdlib.h>
#include "saad-solla-erf-classic.h"

#define N saad_solla_erf_classic_N_STATE
#define NP saad_solla_erf_classic_N_PARAMS

int main(int argc, char **argv)
{
    double params[NP], y[N], dydt[N];
    for (int i = 0; i < NP; i++) params[i] = saad_solla_erf_classic_default_params[i];
    const double eta = 0.5;
    params[0] = eta; /* eta_bar */
    const double alpha_end = argc > 1 ? atof(argv[1]) : 1000.0;
    /* default start: a small M, Q = I; or the state from the command line */
    const double y0[N] = {0.012, 0.004, -0.003, 0.009, 1.0, 0.0, 1.0};
    for (int i = 0; i < N; i++) y[i] = argc > 2 + i ? atof(argv[2 + i]) : y0[i];
    const double dalpha = 0.01;
    const long steps = (long)(alpha_end / dalpha + 0.5);
    for (long s = 0; s < steps; s++) {
        saad_solla_erf_classic_rhs(s * eta * dalpha, y, params, dydt);
        for (int i = 0; i < N; i++) y[i] += eta * dalpha * dydt[i];
    }
    printf("alpha = %g  risk = %.10g\n", alpha_end, saad_solla_erf_classic_risk(y, params));
    for (int i = 0; i < N; i++) printf("%s = %.10g\n", saad_solla_erf_classic_state_names[i], y[i]);
    return 0;
}
