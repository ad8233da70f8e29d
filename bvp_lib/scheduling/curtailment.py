"""Solar and wind: curtailment from the forecast down to zero.

Per curtailable asset g and step t, with forecast production F[g, t] ≥ 0 [MW]:

.. math::
    0 ≤ p[g, t] ≤ F[g, t], \\qquad P[g, t] = p[g, t]

Curtailing pays only when the price is negative (or a connection limit binds); the
baseline is full production ``P = F``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bvp_lib.scheduling.assets import Curtailable
from bvp_lib.scheduling.errors import SchedulingInputError
from bvp_lib.scheduling.lp import LinearProgram
from bvp_lib.scheduling.timeseries import TimeGrid, align


@dataclass(frozen=True)
class CurtailableArrays:
    names: list[str]
    asset: np.ndarray  # (NG,)
    forecast: np.ndarray  # (NG, T) [MW] ≥ 0


def curtailable_arrays(assets: Sequence[Curtailable], asset_index: Sequence[int], grid: TimeGrid) -> CurtailableArrays:
    """Align the production forecasts to the grid.

    Raises
    ------
    SchedulingInputError
        ``"missing forecast for solar-01 from 2015-04-12 10:00 to 11:00 UTC"``, or a
        negative forecast.
    """
    rows = []
    for g in assets:
        f = align(g.forecast, grid, asset=g.name, what="forecast")
        neg = np.flatnonzero(f < -1e-12)
        if neg.size:
            i = neg[0]
            raise SchedulingInputError(
                f"{g.technology} {g.name}: the forecast must be production (≥ 0 MW) but is {f[i]:.6g} MW at "
                f"{grid.index[i]:%Y-%m-%d %H:%M} UTC",
                asset=g.name,
            )
        rows.append(np.maximum(f, 0.0))
    return CurtailableArrays(
        names=[g.name for g in assets],
        asset=np.asarray(asset_index, np.int64),
        forecast=np.array(rows, dtype=float).reshape(len(assets), grid.n),
    )


def add_curtailment(lp: LinearProgram, p: CurtailableArrays) -> np.ndarray:
    """Production between zero and the forecast (bounds; definitional, never infeasible).

    .. math::
        0 ≤ p[g, t] ≤ F[g, t] \\quad [MW], \\qquad P[g, t] = p[g, t]

    Returns the production variable indices, shape (NG, T).
    """
    NG, T = p.forecast.shape
    asset = np.repeat(p.asset[:, None], T, axis=1)
    step = np.broadcast_to(np.arange(T), asset.shape)
    g = lp.add_variables("production", asset, step, 0.0, p.forecast)
    lp.add_power(asset, step, g, 1.0)
    return g
