"""A MIP's independent parts solved one by one (scheduling/components.py): the same optimum
and schedule as the whole model, its status and gap those of the whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bvp_lib.scheduling import Battery, ConnectionPoint, build_problem
from bvp_lib.scheduling.backends import MatrixLP, solve_matrix
from bvp_lib.scheduling.components import integer_parts, solve_by_parts

T0 = pd.Timestamp("2015-04-12 10:00", tz="UTC")
PRICES = pd.Series([30.0, -80, -80, -80, -80, -40, 90, 120], index=pd.date_range(T0, periods=8, freq="15min"))


def two_sites(n_per_site: int = 2, shared: bool = False):
    """Lossy batteries at two connection points (or all at one, ``shared``), full-ish at the
    start of four quarter-hours at −80 EUR/MWh: binaries at every negative step."""
    bats, cps = [], []
    for s in range(2):
        names = []
        for i in range(n_per_site):
            name = f"b{s}{i}"
            bats.append(Battery(name, capacity=2 + i + s, charge_power=1.0 + 0.5 * i, soc_start=1.5 + i,
                                charge_efficiency=0.95, discharge_efficiency=0.92))  # fmt: skip
            names.append(name)
        cps.append(ConnectionPoint(f"site{s}", names, import_capacity=1.2, export_capacity=1.2))
    if shared:
        cps = [ConnectionPoint("site", [b.name for b in bats], import_capacity=2.4, export_capacity=2.4)]
    return bats, cps


def test_the_parts_are_found_lp_first_and_small_mips_first():
    # columns 0–1 a MIP (one row), 2 an LP column (one row), 3–5 a larger MIP (two rows)
    A = sp.csc_matrix(np.array([[1, 1, 0, 0, 0, 0],
                                [0, 0, 1, 0, 0, 0],
                                [0, 0, 0, 1, 1, 0],
                                [0, 0, 0, 0, 1, 1]], dtype=float))  # fmt: skip
    integer = np.array([True, False, False, True, True, True])
    m = MatrixLP(np.ones(6), 0.0, A, np.zeros(6), np.ones(6), np.full(4, -np.inf), np.ones(4), integer)
    parts = integer_parts(m)
    assert [p[0].tolist() for p in parts] == [[2], [0, 1], [3, 4, 5]]
    assert [p[1].tolist() for p in parts] == [[1], [0], [2, 3]]
    # one row joining the two MIPs: nothing to split
    joined = MatrixLP(m.cost, 0.0, sp.vstack([A, sp.csc_matrix(np.array([[1, 0, 0, 1, 0, 0.0]]))]).tocsc(),
                      m.col_lower, m.col_upper, np.full(5, -np.inf), np.ones(5), integer)  # fmt: skip
    assert integer_parts(joined) is None


def test_two_sites_solved_apart_equal_the_whole_and_each_site_alone():
    bats, cps = two_sites()
    problem = build_problem(bats, PRICES, cps)
    r = problem.solve("highs", mip_gap=1e-9)
    assert r.status == "optimal" and "2 independent MIPs" in r.stats.solver_status
    assert r.stats.proven_gap is not None and r.stats.proven_gap <= 1e-9
    m = problem.to_matrix(tie_break=False)
    whole = solve_matrix(m, mip_gap=1e-9)  # one model, one branch and bound
    assert whole.status == "optimal" and r.objective == pytest.approx(whole.objective, abs=1e-7)
    alone = sum(build_problem([b for b in bats if b.name in cp.assets], PRICES, [cp]).solve(
        "highs", mip_gap=1e-9).objective for cp in cps)  # fmt: skip
    assert r.objective == pytest.approx(alone, abs=1e-7)
    both = (r.charge > 1e-6) & (r.discharge > 1e-6)
    assert not both.to_numpy().any()  # the strict rule holds in every part
    # the assembled x is feasible for the whole model
    act = m.A @ r.x[: m.n_vars] if r.x.size >= m.n_vars else None
    assert act is not None and (act >= m.row_lower - 1e-6).all() and (act <= m.row_upper + 1e-6).all()
    # and deterministic: the canonical tie-break of every part, twice the same schedule
    again = build_problem(bats, PRICES, cps).solve("highs", mip_gap=1e-9)
    pd.testing.assert_frame_equal(again.charge, r.charge)


def test_a_shared_site_is_one_part():
    bats, cps = two_sites(shared=True)
    r = build_problem(bats, PRICES, cps).solve("highs", mip_gap=1e-9)
    assert r.status == "optimal" and "independent" not in r.stats.solver_status


def test_an_infeasible_part_makes_the_whole_infeasible():
    # two tiny MIPs; the second asks x3 + x4 ≥ 3 with binaries: infeasible
    A = sp.csc_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=float))
    m = MatrixLP(np.ones(4), 0.0, A, np.zeros(4), np.ones(4), np.array([-np.inf, 3.0]), np.array([1.0, np.inf]),
                 np.ones(4, bool))  # fmt: skip
    r = solve_by_parts(m)
    assert r.status == "infeasible" and r.x is None and "part 2 of 2" in r.solver_status


def test_small_mips_run_without_sub_mip_heuristics_and_keep_their_optimum():
    from bvp_lib.scheduling.backends import SUB_MIP_FROM, highs_instance, highs_status, mip_options, pass_matrix

    assert mip_options(32) == {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}
    assert mip_options(0) == {} and mip_options(SUB_MIP_FROM) == {}
    bats, cps = two_sites(shared=True)
    problem = build_problem(bats, PRICES, cps)
    problem.solve("highs", mip_gap=1e-9)  # binaries where needed
    m = problem.to_matrix(tie_break=False)
    assert 0 < m.n_integer < SUB_MIP_FROM
    ours = solve_matrix(m, mip_gap=1e-9)
    h = highs_instance(mip_gap=1e-9)  # HiGHS's defaults, sub-MIPs on
    pass_matrix(h, m)
    h.run()
    assert highs_status(h)[0] == "optimal" and ours.status == "optimal"
    assert ours.objective == pytest.approx(h.getInfo().objective_function_value + m.offset, abs=1e-7)


def test_parts_solved_at_once_give_the_schedule_solved_one_after_another(monkeypatch):
    import bvp_lib.scheduling.components as components

    bats, cps = two_sites(n_per_site=3)
    at_once = build_problem(bats, PRICES, cps).solve("highs", mip_gap=1e-9)
    monkeypatch.setattr(components, "PART_WORKERS", 1)
    in_turn = build_problem(bats, PRICES, cps).solve("highs", mip_gap=1e-9)
    assert at_once.status == in_turn.status == "optimal" and "2 independent MIPs" in at_once.stats.solver_status
    assert at_once.objective == in_turn.objective
    pd.testing.assert_frame_equal(at_once.charge, in_turn.charge)
    pd.testing.assert_frame_equal(at_once.discharge, in_turn.discharge)


def test_a_solve_with_another_thread_count_than_the_last_still_solves():
    # HiGHS keeps one task scheduler per process, started with the first run's thread count;
    # a run with another count used to stop with status "Not Set" (backends._scheduler_for)
    bats, cps = two_sites()
    base = build_problem(bats, PRICES, cps).solve("highs", mip_gap=1e-9)
    for threads in (1, 2, None, 1):
        for backend in ("matrix", "pulp"):
            r = build_problem(bats, PRICES, cps).solve("highs", mip_gap=1e-9, threads=threads, backend=backend)
            assert r.status == "optimal" and r.objective == pytest.approx(base.objective, abs=1e-6), (threads, backend)


def test_parts_solved_at_once_print_no_highs_banner(tmp_path):
    # the first HiGHS instance of a process prints a banner unless made quietly; two parts
    # solved at once used to race past that (backends.silence_highs_banner)
    import subprocess
    import sys
    from pathlib import Path

    code = ("from tests.test_scheduling_components import PRICES, two_sites\n"
            "from bvp_lib.scheduling import build_problem\n"
            "bats, cps = two_sites()\n"
            "r = build_problem(bats, PRICES, cps).solve('highs', mip_gap=1e-9)\n"
            "print('parts:', r.stats.solver_status)\n")  # fmt: skip
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "parts: 2 independent MIPs" in out.stdout and "HiGHS" not in out.stdout, out.stdout
