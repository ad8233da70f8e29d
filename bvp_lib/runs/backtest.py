"""Backtests: the daily run (:func:`bvp_lib.runs.day.run_day`) for every day of a period.

A backtest is stored under a *named run* (``backtest_runs``: its parameters and their
hash, the code version, git commit and data sources); each day's portfolio results go to
``backtest_days`` (status ``done`` or ``failed`` with the error) and each asset's to
``backtest_asset_days``. All writes are idempotent upserts.

- Days run in order, each exactly as the daily run: forecasts at gate closure with only
  what was known then, the planned and perfect-foresight schedules, realisation, value.
- Resumable: days already ``done`` under the same run and parameters hash are skipped
  (``force=True`` recomputes them); a run name reused with other parameters is refused.
- A failing day is recorded with its error and the backtest goes on.
- Battery state of charge carries over: the planned schedule's SoC at the end of day D
  [MWh] is the start of D+1 (after a failed day the last known SoC is kept).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from bvp_lib.config import git_commit
from bvp_lib.db.engine import transaction
from bvp_lib.runs import day as day_run
from bvp_lib.scheduling.assets import STORAGE_TYPES
from bvp_lib.timing import as_date, days_between

#: parameters passed on to :func:`bvp_lib.runs.day.run_day`
RUN_DAY_PARAMETERS = ("owner", "assets", "solver", "models", "spread", "resolution", "mip_gap", "time_limit",
                      "overrides", "strategy", "ev_sessions", "complementarity")

DATA_SOURCES = "SMARD day-ahead prices (CC BY 4.0); bundled 2015 data set (data/README.md)"


class _Recorded(Exception):
    """A day's error known before it runs (its forecasts failed)."""


class BacktestParameterError(ValueError):
    """A run name reused with other parameters, or an unknown parameter."""


@dataclass
class BacktestSummary:
    """What a backtest did.

    Attributes
    ----------
    name : str
        The run name.
    run_id : int
        Its id in ``backtest_runs``.
    days : pandas.DataFrame
        One row per day of the period (index ``day``): status, error and portfolio results.
    computed : list of datetime.date
        Days computed in this call.
    skipped : list of datetime.date
        Days skipped because they were already done.
    failed : dict
        ISO day → error, for days that failed (in this call or before).
    """

    name: str
    run_id: int
    days: pd.DataFrame
    computed: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def totals(self) -> dict:
        """Realised, perfect-foresight and planned value [EUR] summed over done days, and the captured share."""
        from bvp_lib.valuation import captured_share

        done = self.days[self.days["status"] == "done"] if len(self.days) else self.days
        out = {k: float(done[k].sum()) if len(done) else 0.0
               for k in ("realised_value_eur", "perfect_foresight_value_eur", "planned_value_eur")}  # fmt: skip
        out["captured_share"] = captured_share(out["realised_value_eur"], out["perfect_foresight_value_eur"])
        return out

    def __str__(self) -> str:
        n_done = int((self.days["status"] == "done").sum()) if len(self.days) else 0
        t = self.totals()
        share = "n/a" if t["captured_share"] is None else f"{t['captured_share']:.1%}"
        lines = [
            f"backtest {self.name!r} (run {self.run_id}): {len(self.days)} days, {n_done} done, "
            f"{len(self.failed)} failed; computed {len(self.computed)}, skipped {len(self.skipped)} already done",
            f"realised value {t['realised_value_eur']:,.2f} EUR, perfect foresight "
            f"{t['perfect_foresight_value_eur']:,.2f} EUR, captured share {share}",
        ]
        if self.failed:
            lines.append("failed days:")
            lines += [f"  {d}: {e}" for d, e in sorted(self.failed.items())]
        return "\n".join(lines)


def parameters_hash(parameters: dict) -> str:
    """sha256 of the parameters as canonical JSON (sorted keys).

    Parameters
    ----------
    parameters : dict
        Backtest parameters (JSON-serialisable).

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    return hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()


def _normalise(parameters: dict | None) -> dict:
    params = {k: v for k, v in dict(parameters or {}).items() if v is not None}
    unknown = sorted(set(params) - set(RUN_DAY_PARAMETERS))
    if unknown:
        raise BacktestParameterError(f"Unknown backtest parameter(s) {unknown}; known: {list(RUN_DAY_PARAMETERS)}.")
    from bvp_lib.scheduling.limits import check_solver_limits

    try:
        check_solver_limits(params.get("time_limit"), params.get("mip_gap"))
    except ValueError as e:
        raise BacktestParameterError(str(e)) from None
    if "strategy" in params:
        from bvp_lib.market.offer import STRATEGIES
        from bvp_lib.db.catalogue import did_you_mean

        if params["strategy"] not in STRATEGIES:
            hint = did_you_mean(str(params["strategy"]), STRATEGIES)
            raise BacktestParameterError(f"strategy {params['strategy']!r} is not known;{hint} Use "
                                         f"{' or '.join(STRATEGIES)}.")  # fmt: skip
        if params["strategy"] == "schedule":
            del params["strategy"]  # the default: runs made before strategies existed keep their parameters
    for k in ("assets", "models"):
        if isinstance(params.get(k), str):
            params[k] = [a.strip() for a in params[k].split(",") if a.strip()]
    if params.get("ev_sessions", "forecast") not in ("forecast", "actual"):
        raise BacktestParameterError(f"ev_sessions must be 'forecast' or 'actual', not {params['ev_sessions']!r}.")
    if "complementarity" in params:
        from bvp_lib.scheduling.strategy import check_switching

        try:
            check_switching(params["complementarity"])
        except ValueError as e:
            raise BacktestParameterError(str(e)) from None
        if params["complementarity"] == "strict":
            del params["complementarity"]  # the default: earlier runs keep their parameters
    if "overrides" in params:
        from bvp_lib.scheduling.overrides import normalise_overrides

        params["overrides"] = normalise_overrides(params["overrides"])
        if not params["overrides"]:
            del params["overrides"]
    return json.loads(json.dumps(params, default=str))


def ensure_run(name: str, parameters: dict, *, bind=None) -> int:
    """The id of the named run, created when new; refused when it exists with other parameters.

    Parameters
    ----------
    name : str
        Run name (unique).
    parameters : dict
        The run's parameters.
    bind : Engine or Connection, optional
        Where to read and write; default the configured engine.

    Returns
    -------
    int
        ``backtest_runs.id``.

    Raises
    ------
    BacktestParameterError
        When ``name`` was used before with different parameters.
    """
    import bvp_lib  # noqa: F401
    from bvp_lib.environment import code_version

    h = parameters_hash(parameters)
    with transaction(bind) as c:
        row = c.execute(sa.text("SELECT id, parameters_hash, parameters FROM backtest_runs WHERE name = :n"),
                        {"n": name}).first()  # fmt: skip
        if row is not None:
            if row.parameters_hash != h:
                raise BacktestParameterError(
                    f"Backtest run {name!r} exists with other parameters ({json.dumps(row.parameters, sort_keys=True)}); "
                    f"these are {json.dumps(parameters, sort_keys=True)}. Choose another --name."
                )
            return int(row.id)
        return int(c.execute(sa.text(
            "INSERT INTO backtest_runs (name, parameters, parameters_hash, code_version, git_commit, data_sources) "
            "VALUES (:n, CAST(:p AS jsonb), :h, :v, :g, :d) "
            "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id"),
            {"n": name, "p": json.dumps(parameters), "h": h, "v": code_version(), "g": git_commit(),
             "d": DATA_SOURCES}).scalar_one())  # fmt: skip


def _f(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(x) else x


def _store_day(c, run_id: int, day: dt.date, *, status: str, error: str | None, portfolio: dict | None,
               seconds: float, assets: list[dict]) -> None:
    p = portfolio or {}
    c.execute(sa.text(
        "INSERT INTO backtest_days (run_id, day, status, error, realised_value_eur, perfect_foresight_value_eur, "
        "planned_value_eur, captured_share, energy_shifted_mwh, energy_curtailed_mwh, seconds, finished_at) "
        "VALUES (:r, :d, :s, :e, :rv, :pv, :plv, :cs, :es, :ec, :sec, now()) "
        "ON CONFLICT (run_id, day) DO UPDATE SET status = EXCLUDED.status, error = EXCLUDED.error, "
        "realised_value_eur = EXCLUDED.realised_value_eur, perfect_foresight_value_eur = EXCLUDED.perfect_foresight_value_eur, "
        "planned_value_eur = EXCLUDED.planned_value_eur, captured_share = EXCLUDED.captured_share, "
        "energy_shifted_mwh = EXCLUDED.energy_shifted_mwh, energy_curtailed_mwh = EXCLUDED.energy_curtailed_mwh, "
        "seconds = EXCLUDED.seconds, finished_at = now()"),
        {"r": run_id, "d": day, "s": status, "e": error, "rv": _f(p.get("realised_value_eur")),
         "pv": _f(p.get("perfect_foresight_value_eur")), "plv": _f(p.get("planned_value_eur")),
         "cs": _f(p.get("captured_share")), "es": _f(p.get("energy_shifted_mwh")),
         "ec": _f(p.get("energy_curtailed_mwh")), "sec": float(seconds)})  # fmt: skip
    c.execute(sa.text("DELETE FROM backtest_asset_days WHERE run_id = :r AND day = :d"), {"r": run_id, "d": day})
    if assets:
        c.execute(sa.text(
            "INSERT INTO backtest_asset_days (run_id, day, asset, realised_value_eur, perfect_foresight_value_eur, "
            "energy_shifted_mwh, energy_curtailed_mwh, battery_cycles, soc_end_mwh) "
            "VALUES (:r, :d, :asset, :rv, :pv, :es, :ec, :bc, :soc)"),
            [{"r": run_id, "d": day, **a} for a in assets])  # fmt: skip


def _asset_rows(ctx, soc_end: dict[str, float]) -> list[dict]:
    t = ctx.valuation.assets
    return [{"asset": str(a), "rv": _f(r.get("realised_value_eur")), "pv": _f(r.get("perfect_foresight_value_eur")),
             "es": _f(r.get("energy_shifted_mwh")), "ec": _f(r.get("energy_curtailed_mwh")),
             "bc": _f(r.get("battery_cycles")), "soc": soc_end.get(str(a))}
            for a, r in t.iterrows()]  # fmt: skip


def end_soc(ctx) -> dict[str, float]:
    """Battery → SoC [MWh] at the end of the day in the planned schedule of a daily run.

    Parameters
    ----------
    ctx : bvp_lib.runs.day.DayRun
        A finished daily run.

    Returns
    -------
    dict
        Empty when the portfolio holds no battery.
    """
    soc = ctx.planned.result.soc
    info = ctx.planned.info
    bats = [a for a in soc.columns if a in info.index and info.loc[a, "type"] in STORAGE_TYPES]
    return {str(a): float(soc[a].iloc[-1]) for a in bats} if len(soc) else {}


def load_days(run: str | int, *, bind=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's stored per-day and per-asset results.

    Parameters
    ----------
    run : str or int
        Run name or id.
    bind : Engine or Connection, optional

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        ``backtest_days`` rows (index ``day``) and ``backtest_asset_days`` rows.
    """
    col = "r.id" if isinstance(run, int) else "r.name"
    with transaction(bind) as c:
        days = pd.DataFrame(c.execute(sa.text(
            f"SELECT d.* FROM backtest_days d JOIN backtest_runs r ON r.id = d.run_id WHERE {col} = :x ORDER BY d.day"),
            {"x": run}).mappings().all())  # fmt: skip
        assets = pd.DataFrame(c.execute(sa.text(
            "SELECT a.* FROM backtest_asset_days a JOIN backtest_runs r ON r.id = a.run_id "
            f"WHERE {col} = :x ORDER BY a.day, a.asset"), {"x": run}).mappings().all())  # fmt: skip
    if len(days):
        days = days.set_index("day")
    return days, assets


def run_backtest(name: str, first_day, last_day, *, parameters: dict | None = None, force: bool = False,
                 progress: bool = True, store_beliefs: bool = True, carry_from=None, fail_days=None,
                 bind=None) -> BacktestSummary:
    """Run the day run for every local day in ``[first_day, last_day]`` under a named run.

    Parameters
    ----------
    name : str
        Run name; results are stored under it. Reusing a name with other parameters is refused.
    first_day, last_day : date or str (YYYY-MM-DD)
        The period, both included (local days, ``BVP_TIMEZONE``).
    parameters : dict, optional
        Settings of :func:`bvp_lib.runs.day.run_day`: ``owner``, ``assets``, ``solver``,
        ``models``, ``spread``, ``resolution``, ``mip_gap``, ``time_limit``, ``overrides``
        (a scenario's asset parameters, :mod:`bvp_lib.scheduling.overrides`) and
        ``ev_sessions`` (``forecast``, the default, or ``actual``: the stations planned on
        the real sessions, look-ahead, for comparison).
    force : bool
        Recompute days already done (default: skip them).
    progress : bool
        Show a tqdm progress bar (days done, failed, time left).
    store_beliefs : bool
        True: each day is exactly the daily run, its forecasts and schedules stored as
        beliefs. False (a sweep's scenarios): schedule on the day-ahead forecasts already
        stored (a sweep's forecast tasks make them, :mod:`bvp_lib.runs.sweep.tasks`) and store only the
        results, so scenarios running at once never write the same beliefs.
    carry_from : date or str, optional
        First day of the whole period when this call runs one part of it: the battery
        SoC at ``first_day`` is the end SoC of the last day stored in
        ``[carry_from, first_day)``. Default ``first_day`` (the stored SoC at start).
    fail_days : mapping, optional
        ISO day → error: days recorded as failed with that error without running (a
        sweep's days whose forecasts could not be made).
    bind : Engine or Connection, optional
        Where to read and write; default the configured engine (each day in its own transaction).

    Returns
    -------
    BacktestSummary
        Per-day results of the whole period and the failed days with their errors.

    Raises
    ------
    BacktestParameterError
        A run name reused with other parameters, or an unknown parameter.
    """
    from tqdm.auto import tqdm

    params = _normalise(parameters)
    days = days_between(first_day, last_day)
    if not days:
        raise ValueError(f"No days between {first_day} and {last_day}.")
    run_id = ensure_run(name, params, bind=bind)
    with transaction(bind) as c:
        status = dict(c.execute(sa.text("SELECT day, status FROM backtest_days WHERE run_id = :r"), {"r": run_id}).all())
        socs: dict[dt.date, dict[str, float]] = {}
        for d, a, s in c.execute(sa.text(
                "SELECT day, asset, soc_end_mwh FROM backtest_asset_days WHERE run_id = :r AND soc_end_mwh IS NOT NULL"),
                {"r": run_id}).all():  # fmt: skip
            socs.setdefault(d, {})[a] = float(s)
    summary = BacktestSummary(name, run_id, pd.DataFrame())
    soc: dict[str, float] | None = None
    if carry_from is not None:
        before = [d for d in sorted(socs) if as_date(carry_from) <= d < days[0]]
        if before:
            soc = dict(socs[before[-1]])
    n_failed = 0
    bar = tqdm(days, desc=f"backtest {name}", unit="day", disable=not progress)
    for d in bar:
        if not force and status.get(d) == "done":
            summary.skipped.append(d)
            if d in socs:
                soc = dict(socs[d])
            continue
        t0 = time.perf_counter()
        try:
            if fail_days and d.isoformat() in fail_days:
                raise _Recorded(fail_days[d.isoformat()])
            ctx = day_run.run_day(d, soc_start=soc, bind=bind, save=store_beliefs, reuse_forecasts=not store_beliefs, **params)
        except Exception as e:  # noqa: BLE001 - recorded per day, the backtest goes on
            n_failed += 1
            with transaction(bind) as c:
                err = str(e) if isinstance(e, _Recorded) else f"{type(e).__name__}: {e}"
                _store_day(c, run_id, d, status="failed", error=err, portfolio=None,
                           seconds=time.perf_counter() - t0, assets=[])  # fmt: skip
        else:
            end = end_soc(ctx)
            with transaction(bind) as c:
                _store_day(c, run_id, d, status="done", error=None, portfolio=ctx.valuation.portfolio,
                           seconds=time.perf_counter() - t0, assets=_asset_rows(ctx, end))  # fmt: skip
            if end:
                soc = {**(soc or {}), **end}
        summary.computed.append(d)
        bar.set_postfix(done=len(summary.computed) - n_failed + len(summary.skipped), failed=n_failed)
    bar.close()
    all_days, _ = load_days(run_id, bind=bind)
    summary.days = all_days.loc[[d for d in days if d in all_days.index]] if len(all_days) else all_days
    if len(summary.days):
        f = summary.days[summary.days["status"] == "failed"]
        summary.failed = {d.isoformat(): str(e) for d, e in zip(f.index, f["error"])}
    return summary


def ensure_run_days(name: str, first_day, last_day, *, solver: str = "highs", run_if_missing: bool = True,
                    bind=None) -> BacktestSummary | None:
    """Run the backtest for the period when the named run has no days yet (and ``run_if_missing``).

    Returns the :class:`BacktestSummary` when it ran, else None (notebook ``05-backtest``
    calls this before reading the run back with :mod:`bvp_lib.reporting.backtest`).
    """
    days, _ = load_days(name, bind=bind)
    if len(days) or not run_if_missing:
        return None
    return run_backtest(name, first_day, last_day, parameters={"solver": solver}, progress=False, bind=bind)
