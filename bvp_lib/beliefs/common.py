"""What every belief module shares: the column names, the error, and durations as text."""

from __future__ import annotations

import pandas as pd

BELIEF_COLUMNS = ["sensor", "event_start", "belief_horizon", "source", "value"]


def fmt_td(td) -> str:
    """A duration as people write it: 15min, 1h, 1D, 1h30min."""
    td = pd.Timedelta(td)
    sign = "-" if td < pd.Timedelta(0) else ""
    secs = int(abs(td).total_seconds())
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    out = "".join(f"{v}{u}" for v, u in ((d, "D"), (h, "h"), (mi, "min"), (s, "s")) if v)
    return sign + (out or "0min")


class BeliefError(ValueError):
    """Beliefs that cannot be stored or read as asked; the message names row and reason."""
