"""``bvp schedule``: schedule one local day of the portfolio and store the schedule.

A thin wrapper over :func:`bvp_lib.scheduling.store.schedule_day`.
"""

from __future__ import annotations

from typing import Optional

import typer

from bvp_lib.cli.common import friendly, table

SUPPORTED_HORIZONS = {"24h", "1d", "1D", "day", "P1D"}


def _assets(values: Optional[list[str]]) -> Optional[list[str]]:
    if not values:
        return None
    out = [a.strip() for v in values for a in v.split(",") if a.strip()]
    return out or None


def _fmt(x: float, nd: int = 3) -> str:
    return f"{x:,.{nd}f}"


@friendly
def schedule(
    date: str = typer.Option(..., "--date", "-d", help="Local delivery day, YYYY-MM-DD (Europe/Berlin unless BVP_TIMEZONE)."),
    assets: Optional[list[str]] = typer.Option(
        None, "--assets", "-a", help="Asset names (repeat or comma-separate); default every asset in the database."
    ),
    horizon: str = typer.Option("24h", help="Scheduling horizon; only one local day (24h, also on 23/25-hour days)."),
    resolution: str = typer.Option("15min", help="Step length of the schedule; must divide an hour."),
    forecast_source: Optional[str] = typer.Option(
        None, "--forecast-source", help="Forecaster data source to use when several stored day-ahead forecasts."
    ),
    perfect_foresight: bool = typer.Option(
        False, "--perfect-foresight", help="Schedule on realised power and prices (the upper bound), stored with horizon 0."
    ),
    solver: Optional[str] = typer.Option(None, help="cbc | highs (default: BVP_LP_SOLVER)."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="Seconds for the whole solve, every round of binaries included."),
    mip_gap: Optional[float] = typer.Option(None, "--mip-gap", help="Relative MIP gap (when binaries are needed)."),
    save: bool = typer.Option(True, "--save/--no-save", help="Store the schedule as beliefs (default) or only print it."),
    ev_sessions: str = typer.Option(
        "forecast", "--ev-sessions",
        help="forecast: plan charging stations on the sessions forecast at gate closure (default); actual: on the "
        "real sessions of the day (look-ahead, for comparison).",
    ),
) -> None:
    """Schedule a day on the day-ahead forecasts (or with perfect foresight) and store it.

    Power in MW, production positive and consumption negative; energy in MWh; value in EUR against the baseline (idle batteries, EVs charging on arrival, unshifted load, no curtailment). Re-running replaces the stored schedule of the same source.
    """
    from bvp_lib.beliefs import fmt_td
    from bvp_lib.scheduling.limits import check_solver_limits
    from bvp_lib.scheduling.store import schedule_day

    check_solver_limits(time_limit, mip_gap)

    if horizon.strip() not in SUPPORTED_HORIZONS:
        raise ValueError(
            f"--horizon {horizon} is not supported: the scheduler plans one local day (the day-ahead auction's "
            "delivery day, 23, 24 or 25 hours). Use --horizon 24h and one run per day."
        )
    mode = "perfect" if perfect_foresight else "forecast"
    ds = schedule_day(
        date, mode=mode, assets=_assets(assets), solver=solver, time_limit=time_limit, mip_gap=mip_gap,
        resolution=resolution, forecast_source=forecast_source, save=save, ev_sessions=ev_sessions,
    )  # fmt: skip
    summary = ds.summary()
    rows = [
        {
            "asset": a,
            "type": r["type"],
            "baseline MWh": _fmt(r["baseline_mwh"]),
            "schedule MWh": _fmt(r["schedule_mwh"]),
            "action MWh": _fmt(r["action_mwh"]),
            "value EUR": _fmt(r["value_eur"], 2),
        }
        for a, r in summary.iterrows()
    ]
    res = ds.result
    st = res.stats
    n = len(res.schedule)
    typer.echo(
        f"{ds.day} ({'perfect foresight' if mode == 'perfect' else 'day-ahead forecasts'}), "
        f"{n} steps of {fmt_td(ds.inputs.resolution)}, prices {ds.prices.min():.2f} to {ds.prices.max():.2f} EUR/MWh"
    )
    typer.echo(table(rows))
    typer.echo(
        f"\nsolver {st.solver} ({st.backend}): {st.status}; {st.n_variables} variables, {st.n_constraints} constraints, "
        f"{st.n_integer} binaries; build {st.build_time:.3f} s, solve {st.solve_time:.3f} s, total {st.total_time:.3f} s"
    )
    typer.echo(f"revenue {res.objective:,.2f} EUR, baseline {res.baseline_revenue:,.2f} EUR, value {res.value:,.2f} EUR")
    if ds.source is not None:
        when = (
            f"known at gate closure {ds.inputs.belief_time.tz_convert(ds.inputs.tz):%Y-%m-%d %H:%M %Z}"
            if ds.inputs.belief_time is not None
            else "horizon 0 (after the fact)"
        )
        typer.echo(f"stored {ds.saved_rows} beliefs as source '{ds.source.label()}', {when}")
    else:
        typer.echo("not stored (--no-save)")
