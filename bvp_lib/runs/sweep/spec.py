"""Sweep files: a named grid of backtest parameters and asset overrides, expanded into
scenarios (one backtest run each).

A sweep file (YAML, see ``parameters/sweep.yaml``)::

    name: battery-sizing
    from: 2015-04-06
    to: 2015-04-19
    chunk_days: 7                  # days per task
    base: {solver: highs}          # backtest parameters every scenario shares
    grid:
      battery.power_mw: [0.5, 1.0] # <asset type or asset name>.<attribute>: asset overrides
      battery.energy_mwh: [1, 2]
      models: [linear, seasonal_naive_daily]   # or any backtest parameter

Every combination of the grid's values is a *scenario*, stored as a backtest run named
``<sweep>/<axis>=<value>,...`` (:mod:`bvp_lib.runs.backtest`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bvp_lib.runs.backtest import RUN_DAY_PARAMETERS, BacktestParameterError, _normalise
from bvp_lib.timing import days_between

#: sweep file keys
SPEC_KEYS = ("name", "from", "to", "chunk_days", "base", "grid", "description")
#: run parameters that change what is forecast (one forecast task per distinct setting)
FORECAST_KEYS = ("models", "owner", "assets")


DEFAULT_CHUNK_DAYS = 7


class SweepError(ValueError):
    """A bad sweep file, a Dask cluster that cannot be reached or cannot see the database."""

    user_facing = True


@dataclass
class Scenario:
    """One grid point: its label, grid values and backtest parameters."""

    run_name: str
    values: dict
    parameters: dict

    @property
    def forecast_key(self) -> str:
        return json.dumps({k: self.parameters.get(k) for k in FORECAST_KEYS}, sort_keys=True)


@dataclass
class SweepSpec:
    """A parsed sweep file."""

    name: str
    first: dt.date
    last: dt.date
    base: dict
    grid: dict[str, list]
    chunk_days: int = DEFAULT_CHUNK_DAYS
    description: str = ""
    scenarios: list[Scenario] = field(default_factory=list)

    @property
    def days(self) -> list[dt.date]:
        return days_between(self.first, self.last)

    def as_json(self) -> dict:
        return {"name": self.name, "from": self.first.isoformat(), "to": self.last.isoformat(),
                "chunk_days": self.chunk_days, "base": self.base, "grid": self.grid, "axes": list(self.grid),
                "description": self.description}  # fmt: skip


def _axis_parameters(axis: str, value, where: str) -> dict:
    """The backtest parameters one grid value sets."""
    from bvp_lib.scheduling.overrides import ATTRIBUTES

    if "." in axis:
        target, attr = axis.rsplit(".", 1)
        if attr not in ATTRIBUTES:
            raise SweepError(f"{where}: grid axis {axis!r}: unknown attribute {attr!r}; known: {', '.join(ATTRIBUTES)}.")
        return {"overrides": {target: {attr: value}}}
    if axis not in RUN_DAY_PARAMETERS or axis == "overrides":
        known = [k for k in RUN_DAY_PARAMETERS if k != "overrides"]
        raise SweepError(
            f"{where}: grid axis {axis!r} is neither a backtest parameter ({', '.join(known)}) nor "
            "<asset type or asset name>.<attribute> (for example battery.power_mw)."
        )
    if axis == "models" and isinstance(value, str):
        value = [value]
    return {axis: value}


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _label(values: dict) -> str:
    def fmt(v):
        return ",".join(map(str, v)) if isinstance(v, list) else repr(v) if isinstance(v, float) else str(v)

    return " ".join(f"{k}={fmt(v)}" for k, v in values.items()) or "base"


def parse_sweep(data: dict, *, where: str = "sweep") -> SweepSpec:
    """Check a sweep mapping and expand its grid into scenarios.

    Parameters
    ----------
    data : dict
        ``name``, ``from``, ``to`` (YYYY-MM-DD, both included), ``grid`` (axis → list of
        values; none: one scenario, the base, named ``<name>/base``), optionally ``base``
        (backtest parameters), ``chunk_days`` and ``description``.
    where : str
        Where the mapping came from (a file name), for error messages.

    Returns
    -------
    SweepSpec
        With ``scenarios`` in grid order (the last axis varies fastest).

    Raises
    ------
    SweepError
        A missing or unknown key, an empty axis, a bad parameter or override; the message
        names the key.
    """
    from bvp_lib.scheduling.errors import SchedulingInputError
    from bvp_lib.timing import as_date

    if not isinstance(data, dict):
        raise SweepError(f"{where} must hold a mapping with name, from, to and grid.")
    unknown = sorted(set(data) - set(SPEC_KEYS))
    if unknown:
        raise SweepError(f"{where}: unknown key(s) {unknown}; a sweep file has {', '.join(SPEC_KEYS)}.")
    missing = [k for k in ("name", "from", "to") if data.get(k) in (None, "")]
    if missing:
        raise SweepError(f"{where}: missing {', '.join(missing)} (see parameters/sweep.yaml for an example).")
    name = str(data["name"]).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}", name):
        raise SweepError(f"{where}: name {name!r} must be 1-60 letters, digits, '.', '_' or '-', starting with a "
                         "letter or digit (it names a report folder).")  # fmt: skip
    try:
        first, last = as_date(data["from"]), as_date(data["to"])
    except (TypeError, ValueError) as e:
        raise SweepError(f"{where}: from/to must be dates YYYY-MM-DD ({e}).") from None
    if last < first:
        raise SweepError(f"{where}: to ({last}) is before from ({first}).")
    chunk = data.get("chunk_days", DEFAULT_CHUNK_DAYS)
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        raise SweepError(f"{where}: chunk_days must be a whole number of days >= 1, not {chunk!r}.")
    base = data.get("base") or {}
    grid = data.get("grid") or {}
    if not isinstance(base, dict) or not isinstance(grid, dict):
        raise SweepError(f"{where}: base and grid must be mappings.")
    for axis, values in grid.items():
        if not isinstance(values, list) or not values:
            raise SweepError(f"{where}: grid axis {axis!r} must be a non-empty list of values, not {values!r}.")
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) < len(values):
            raise SweepError(f"{where}: grid axis {axis!r} repeats a value: {values}.")
    spec = SweepSpec(name, first, last, base, {str(k): list(v) for k, v in grid.items()}, chunk,
                     str(data.get("description") or ""))  # fmt: skip
    axes = list(spec.grid)
    for combo in itertools.product(*(spec.grid[a] for a in axes)):
        values = dict(zip(axes, combo))
        params = dict(base)
        for a, v in values.items():
            params = _merge(params, _axis_parameters(a, v, where))
        try:
            params = _normalise(params)
        except (BacktestParameterError, SchedulingInputError) as e:
            raise SweepError(f"{where}: scenario {_label(values)}: {e}") from None
        label = _label(values)
        run = f"{name}/{label}"
        if len(run) > 200:
            run = f"{name}/{hashlib.sha256(label.encode()).hexdigest()[:16]}"
        twin = next((o for o in spec.scenarios if o.parameters == params or o.run_name == run), None)
        if twin is not None:
            raise SweepError(f"{where}: scenarios {_label(twin.values)} and {label} are the same backtest: "
                             "an axis repeats a value in another spelling (1 and 1.0).")  # fmt: skip
        spec.scenarios.append(Scenario(run, values, params))
    return spec


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file (YAML); see :func:`parse_sweep`."""
    import yaml

    p = Path(path)
    if not p.exists():
        raise SweepError(f"Sweep file {p} does not exist (an example: parameters/sweep.yaml).")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        raise SweepError(f"Sweep file {p} is not valid YAML: {e}") from None
    return parse_sweep(data, where=str(p))


def chunks(days: list[dt.date], size: int) -> list[list[dt.date]]:
    """Consecutive day ranges of ``size`` days (the last may be shorter)."""
    return [days[i : i + size] for i in range(0, len(days), size)]
