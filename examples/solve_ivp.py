"""A generated right-hand side driven from Python: derivations/saad-solla-erf.yaml integrated with
SciPy's solve_ivp (generated/saad-solla-erf.py needs only the standard library; SciPy is the caller's).

    python3 examples/solve_ivp.py
"""
import importlib.util
import pathlib

from scipy.integrate import solve_ivp

path = pathlib.Path(__file__).resolve().parent.parent / "generated" / "saad-solla-erf.py"
spec = importlib.util.spec_from_file_location("ssa", path)
ssa = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ssa)

params = list(ssa.DEFAULT_PARAMS)
params[ssa.PARAM_NAMES.index("eta_bar")] = 1.0
# start: Q = I, small M (state order in ssa.STATE_NAMES: M_1_1, M_1_2, M_2_1, M_2_2, Q_1_1, Q_1_2, Q_2_2)
y0 = [0.012, 0.004, -0.003, 0.009, 1.0, 0.0, 1.0]
sol = solve_ivp(lambda t, y: ssa.rhs(t, y, params), (0.0, 400.0), y0, method="DOP853", rtol=1e-9, atol=1e-11, dense_output=True)
for tau in (0, 100, 200, 300, 400):
    y = sol.sol(tau)
    print(f"tau = {tau:5.0f}  risk = {ssa.risk(y, params):.6e}  M11 = {y[0]:.6f}  M22 = {y[3]:.6f}")
