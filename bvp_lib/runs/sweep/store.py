"""A sweep in the database: ``sweeps`` and ``sweep_scenarios`` beside the scenarios'
backtest runs (``backtest_runs``, ``backtest_days``), and the comparison read back.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import sqlalchemy as sa

from bvp_lib.db.engine import transaction
from bvp_lib.runs.backtest import BacktestParameterError, ensure_run
from bvp_lib.runs.sweep.spec import SweepError, SweepSpec
from bvp_lib.valuation import captured_share

def register(spec: SweepSpec, *, bind=None) -> dict[str, int]:
    """Store the sweep and its scenarios' backtest runs (one transaction); run name → id.

    A sweep file changed since the last run keeps its name: the sweep's grid becomes the
    new one (scenarios no longer in it stay stored as backtest runs, out of the sweep).

    Raises
    ------
    bvp_lib.runs.backtest.BacktestParameterError
        A scenario's run exists with other parameters (the base changed under the same
        sweep name): choose a new sweep name.
    """
    with transaction(bind) as c:
        sid = c.execute(sa.text(
            "INSERT INTO sweeps (name, spec, first_day, last_day) VALUES (:n, CAST(:s AS jsonb), :f, :l) "
            "ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, first_day = EXCLUDED.first_day, "
            "last_day = EXCLUDED.last_day, updated_at = now() RETURNING id"),
            {"n": spec.name, "s": json.dumps(spec.as_json(), default=str), "f": spec.first,
             "l": spec.last}).scalar_one()  # fmt: skip
        ids = {}
        for s in spec.scenarios:
            try:
                ids[s.run_name] = ensure_run(s.run_name, s.parameters, bind=c)
            except BacktestParameterError as e:
                raise BacktestParameterError(
                    f"{e} The sweep {spec.name!r} was run before with other base parameters: give the sweep a new name."
                ) from None
        c.execute(sa.text("DELETE FROM sweep_scenarios WHERE sweep_id = :s"), {"s": sid})
        c.execute(sa.text("INSERT INTO sweep_scenarios (sweep_id, run_id, position, grid_values) "
                          "VALUES (:s, :r, :p, CAST(:v AS jsonb))"),
                  [{"s": sid, "r": ids[s.run_name], "p": i, "v": json.dumps(s.values, default=str)}
                   for i, s in enumerate(spec.scenarios)])  # fmt: skip
    return ids


def done_days(run_ids: list[int], *, bind=None) -> dict[int, set[dt.date]]:
    out: dict[int, set[dt.date]] = {r: set() for r in run_ids}
    with transaction(bind) as c:
        for r, d in c.execute(sa.text("SELECT run_id, day FROM backtest_days WHERE status = 'done' AND run_id = ANY(:r)"),
                              {"r": run_ids}).all():  # fmt: skip
            out[r].add(d)
    return out


def stored_sweep(conn, name: str):
    """The ``sweeps`` row (id, spec, first_day, last_day) of a stored sweep.

    Raises
    ------
    SweepError
        No sweep of that name is stored; the message lists the stored ones.
    """
    sw = conn.execute(sa.text("SELECT id, spec, first_day, last_day FROM sweeps WHERE name = :n"), {"n": name}).first()
    if sw is None:
        known = [r[0] for r in conn.execute(sa.text("SELECT name FROM sweeps ORDER BY name")).all()]
        raise SweepError(f"No sweep named {name!r} is stored" + (f"; stored: {', '.join(known)}." if known else
                         "; run one with `bvp sweep -f parameters/sweep.yaml`."))  # fmt: skip
    return sw


def sweep_axes(spec_json: dict | None) -> list[str]:
    """The grid axes of a stored spec, in the sweep file's order (JSONB keeps no key order)."""
    spec_json = spec_json or {}
    return list(spec_json.get("axes") or spec_json.get("grid", {}))


def comparison(name: str, *, bind=None) -> pd.DataFrame:
    """One row per scenario of a stored sweep: its grid values and results over the sweep's period.

    Columns: the grid axes, ``run`` (backtest run name), ``days_done``, ``days_failed``,
    ``realised_value_eur``, ``perfect_foresight_value_eur``, ``planned_value_eur``
    [EUR, summed over done days], ``captured_share`` [-], ``energy_shifted_mwh``
    [MWh], ``seconds_per_day`` [s]. Rows in grid order.

    Raises
    ------
    SweepError
        No sweep of that name is stored.
    """
    with transaction(bind) as c:
        sw = stored_sweep(c, name)
        rows = c.execute(sa.text(
            "SELECT s.position, s.grid_values, r.name AS run, "
            "count(d.day) FILTER (WHERE d.status = 'done') AS days_done, "
            "count(d.day) FILTER (WHERE d.status = 'failed') AS days_failed, "
            "sum(d.realised_value_eur) FILTER (WHERE d.status = 'done') AS realised_value_eur, "
            "sum(d.perfect_foresight_value_eur) FILTER (WHERE d.status = 'done') AS perfect_foresight_value_eur, "
            "sum(d.planned_value_eur) FILTER (WHERE d.status = 'done') AS planned_value_eur, "
            "sum(d.energy_shifted_mwh) FILTER (WHERE d.status = 'done') AS energy_shifted_mwh, "
            "avg(d.seconds) FILTER (WHERE d.status = 'done') AS seconds_per_day "
            "FROM sweep_scenarios s JOIN backtest_runs r ON r.id = s.run_id "
            "LEFT JOIN backtest_days d ON d.run_id = r.id AND d.day BETWEEN :f AND :l "
            "WHERE s.sweep_id = :s GROUP BY s.position, s.grid_values, r.name ORDER BY s.position"),
            {"s": sw.id, "f": sw.first_day, "l": sw.last_day}).mappings().all()  # fmt: skip
    axes = sweep_axes(sw.spec)
    recs = []
    for r in rows:
        rec = {a: r["grid_values"].get(a) for a in axes}
        rec = {a: ",".join(map(str, v)) if isinstance(v, list) else v for a, v in rec.items()}
        rec.update({k: r[k] for k in ("run", "days_done", "days_failed", "realised_value_eur",
                                      "perfect_foresight_value_eur", "planned_value_eur", "energy_shifted_mwh",
                                      "seconds_per_day")})  # fmt: skip
        rec["captured_share"] = captured_share(rec["realised_value_eur"] or 0.0, rec["perfect_foresight_value_eur"] or 0.0)
        recs.append(rec)
    df = pd.DataFrame(recs)
    df.attrs.update(axes=axes, first_day=sw.first_day, last_day=sw.last_day, name=name)
    return df


def _canonical(spec_json: dict) -> dict:
    return json.loads(json.dumps(spec_json, sort_keys=True, default=str))


def is_complete(spec, *, bind=None) -> bool:
    """Whether ``spec`` (a :class:`~bvp_lib.runs.sweep.spec.SweepSpec`) is stored as it is and every
    scenario has every day of the period attempted (done or failed)."""
    with transaction(bind) as c:
        stored = c.execute(sa.text("SELECT spec FROM sweeps WHERE name = :n"), {"n": spec.name}).scalar()
    if stored is None or _canonical(stored) != _canonical(spec.as_json()):
        return False
    t = comparison(spec.name, bind=bind)
    return len(t) == len(spec.scenarios) and bool(((t["days_done"] + t["days_failed"]) >= len(spec.days)).all())
