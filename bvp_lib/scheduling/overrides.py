"""Scenario overrides of stored asset parameters: "what if these batteries were bigger?"

A scenario (a backtest or a sweep's grid point) changes asset parameters without touching
what is stored: the overrides are applied to the asset rows the scheduler reads, for
that run only. They are a mapping ``target -> {attribute: value}`` where ``target`` is
an asset type (``battery``, ``building``, ``solar``, ``wind``, ``charging_station``,
``bidirectional_charging_station``) or an asset name; an asset name wins over its type.

Attributes (units in the name):

``power_mw``
    Rated power. Batteries and charging stations: the charge *and* discharge limits too.
``energy_mwh``
    Battery energy capacity; the stored SoC limits and SoC at start scale with it (a
    battery twice as big starts twice as full), unless given themselves.
``power_scale``, ``energy_scale``
    The same, as factors [-] on each asset's stored values: ``battery.energy_scale: 2``
    doubles every battery of a mixed fleet (an absolute value would make them equal).
``shiftable_share``
    Buildings: share [0, 1] of each step's consumption that may move.
``shift_window_hours``
    Buildings: how far [h] consumption may move.
``charging_efficiency``, ``discharging_efficiency``
    In (0, 1].
``self_discharge_per_hour``
    Batteries: share [0, 1) lost per hour.
``degradation_cost_eur_mwh``
    Batteries: cost of cycling per MWh of throughput (charged plus discharged at the
    grid side) [EUR/MWh]; not a stored column, 0 when not overridden.
``curtailable``
    Producers: may the scheduler curtail them (true/false).
``soc_at_start_mwh``, ``min_soc_mwh``, ``max_soc_mwh``, ``capacity_mw``,
``max_charge_mw``, ``max_discharge_mw``, ``energy_capacity_mwh``
    The stored columns themselves.

Connection points are targets too: ``connection_point`` (every point) or a point's
name, with ``capacity_mw`` (import and export limit [MW]), ``import_capacity_mw`` or
``export_capacity_mw`` (:func:`connection_overrides`).

Examples
--------
>>> normalise_overrides({"battery": {"power_mw": 2, "energy_mwh": 4}})
{'battery': {'energy_mwh': 4.0, 'power_mw': 2.0}}
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from bvp_lib.scheduling.assets import KNOWN_TYPES
from bvp_lib.scheduling.errors import SchedulingInputError

#: attribute -> (lowest, highest, highest included); booleans have None bounds
ATTRIBUTES: dict[str, tuple[float | None, float | None, bool]] = {
    "power_mw": (0.0, math.inf, True),
    "energy_mwh": (0.0, math.inf, True),
    "power_scale": (0.0, 100.0, True),
    "energy_scale": (0.0, 100.0, True),
    "shiftable_share": (0.0, 1.0, True),
    "shift_window_hours": (0.0, 48.0, True),
    "charging_efficiency": (0.0, 1.0, True),
    "discharging_efficiency": (0.0, 1.0, True),
    "self_discharge_per_hour": (0.0, 1.0, False),
    "degradation_cost_eur_mwh": (0.0, math.inf, True),
    "curtailable": (None, None, True),
    "soc_at_start_mwh": (0.0, math.inf, True),
    "min_soc_mwh": (0.0, math.inf, True),
    "max_soc_mwh": (0.0, math.inf, True),
    "capacity_mw": (0.0, math.inf, True),
    "max_charge_mw": (0.0, math.inf, True),
    "max_discharge_mw": (0.0, math.inf, True),
    "energy_capacity_mwh": (0.0, math.inf, True),
    "import_capacity_mw": (0.0, math.inf, True),
    "export_capacity_mw": (0.0, math.inf, True),
}
#: the target that means every connection point, and what may change on a point
CONNECTION_TARGET = "connection_point"
CONNECTION_ATTRIBUTES = ("capacity_mw", "import_capacity_mw", "export_capacity_mw")

_SOC_COLUMNS = ("soc_at_start_mwh", "min_soc_mwh", "max_soc_mwh")


def _value(target: str, attr: str, v):
    lo, hi, hi_incl = ATTRIBUTES[attr]
    if lo is None:
        if not isinstance(v, bool):
            raise SchedulingInputError(f"override {target}.{attr} must be true or false, not {v!r}")
        return v
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise SchedulingInputError(f"override {target}.{attr} must be a number, not {v!r}") from None
    if isinstance(v, bool) or math.isnan(x) or x < lo or x > hi or (x == hi and not hi_incl):
        rng = f"[{lo:g}, {hi:g}{']' if hi_incl else ')'}"
        raise SchedulingInputError(f"override {target}.{attr} = {v!r} is outside {rng}")
    if attr.endswith("efficiency") and x == 0:
        raise SchedulingInputError(f"override {target}.{attr} must be above 0")
    return x


def normalise_overrides(overrides: Mapping | None) -> dict[str, dict]:
    """Check the attributes and values of scenario overrides; sorted, numbers as floats.

    Parameters
    ----------
    overrides : mapping, optional
        ``target -> {attribute: value}`` (see the module docstring).

    Returns
    -------
    dict
        The same overrides, checked, with sorted keys (so equal scenarios hash equally).

    Raises
    ------
    SchedulingInputError
        An unknown attribute, a value of the wrong kind or out of range; the message
        names ``target.attribute`` and lists the attributes.
    """
    out: dict[str, dict] = {}
    for target, attrs in sorted(dict(overrides or {}).items()):
        if not isinstance(attrs, Mapping):
            raise SchedulingInputError(
                f"override {target!r} must map attributes to values (for example {{power_mw: 1.0}}), not {attrs!r}"
            )
        unknown = sorted(set(attrs) - set(ATTRIBUTES))
        if unknown:
            raise SchedulingInputError(
                f"unknown override attribute(s) {', '.join(f'{target}.{a}' for a in unknown)}; "
                f"known: {', '.join(ATTRIBUTES)}"
            )
        out[str(target)] = {a: _value(str(target), a, attrs[a]) for a in sorted(attrs)}
    return out


def _stored(rows: pd.DataFrame, name, col: str) -> float | None:
    v = rows.at[name, col]
    return None if v is None or pd.isna(v) else float(v)


def _set(rows: pd.DataFrame, name, attrs: dict) -> None:
    kind = rows.at[name, "type"]
    power_cols = ["capacity_mw"] + (["max_charge_mw", "max_discharge_mw"]
                                    if kind == "battery" or "charging_station" in str(kind) else [])  # fmt: skip
    scale = None
    for attr, v in attrs.items():
        if attr == "power_mw":
            for c in power_cols:
                rows.at[name, c] = v
        elif attr == "power_scale":
            for c in power_cols:
                if _stored(rows, name, c) is not None:
                    rows.at[name, c] = _stored(rows, name, c) * v
        elif attr in ("energy_mwh", "energy_capacity_mwh", "energy_scale"):
            old = _stored(rows, name, "energy_capacity_mwh")
            new = v if attr != "energy_scale" else (None if old is None else old * v)
            if new is None:
                continue
            if old is not None and old > 0:
                scale = new / old
            rows.at[name, "energy_capacity_mwh"] = new
        else:
            rows.at[name, attr] = v
    if scale is not None:
        for c in _SOC_COLUMNS:
            if c not in attrs and rows.at[name, c] is not None and not pd.isna(rows.at[name, c]):
                rows.at[name, c] = float(rows.at[name, c]) * scale


def apply_overrides(rows: pd.DataFrame, overrides: Mapping | None) -> pd.DataFrame:
    """Asset rows (index = asset name, column ``type``) with the overrides applied.

    Type targets apply first, then asset names. A target that matches no asset type in
    the database, no asset and no connection point of the portfolio is refused (a typo
    would otherwise silently run the unchanged portfolio); connection point targets are
    checked here and applied by :func:`connection_overrides`.

    Raises
    ------
    SchedulingInputError
        Unknown targets or attributes, bad values.
    """
    ov = normalise_overrides(overrides)
    if not ov:
        return rows
    points = {p for p in rows["connection_point"] if p is not None} if "connection_point" in rows else set()
    unknown = [t for t in ov if t not in KNOWN_TYPES and t not in rows.index and t != CONNECTION_TARGET
               and t not in points]  # fmt: skip
    if unknown:
        raise SchedulingInputError(
            f"override target(s) {', '.join(unknown)} are neither an asset type ({', '.join(KNOWN_TYPES)}) "
            f"nor an asset of the portfolio nor a connection point ({CONNECTION_TARGET} or its name)"
        )
    for t in ov:
        if t == CONNECTION_TARGET or (t in points and t not in rows.index):
            bad = sorted(set(ov[t]) - set(CONNECTION_ATTRIBUTES))
            if bad:
                raise SchedulingInputError(
                    f"override {t}.{bad[0]}: a connection point has only {', '.join(CONNECTION_ATTRIBUTES)}"
                )
    ov = {t: a for t, a in ov.items() if t in KNOWN_TYPES or t in rows.index}
    if not ov:
        return rows
    rows = rows.copy().astype({c: object for c in rows.columns if c != "type"})
    for t in [t for t in ov if t in KNOWN_TYPES] + [t for t in ov if t not in KNOWN_TYPES]:
        names = rows.index[rows["type"] == t] if t in KNOWN_TYPES else [t]
        for n in names:
            _set(rows, n, ov[t])
    return rows


def connection_overrides(points: pd.DataFrame, overrides: Mapping | None) -> pd.DataFrame:
    """Connection point rows (index = name; ``import_capacity_mw``, ``export_capacity_mw``
    [MW]) with the overrides of ``connection_point`` (every point) and then of each
    point's name applied; other targets are left to :func:`apply_overrides`.

    ``capacity_mw`` sets both limits. Non-curtailable production is still taken off the
    export side (and added to the import side) when the portfolio is built.
    """
    ov = normalise_overrides(overrides)
    targets = [CONNECTION_TARGET] + [t for t in ov if t in points.index and t != CONNECTION_TARGET]
    if not any(t in ov for t in targets):
        return points
    out = points.copy().astype(float)
    for t in targets:
        if t not in ov:
            continue
        names = list(out.index) if t == CONNECTION_TARGET else [t]
        for attr, v in ov[t].items():
            cols = ("import_capacity_mw", "export_capacity_mw") if attr == "capacity_mw" else (attr,)
            for c in cols:
                if c in out.columns:
                    out.loc[names, c] = float(v)
    return out
