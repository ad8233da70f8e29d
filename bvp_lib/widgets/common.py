"""What the explorers share: the view record, reading a widget's numbers and dates,
messages instead of tracebacks, and a small cache in front of the database.

Every explorer is one function from a frozen *inputs* record to a *view*:
:func:`bvp_lib.widgets.schedule.explore_schedule`,
:func:`bvp_lib.widgets.forecast.explore_forecast`, :func:`bvp_lib.widgets.browse.browse_data`.
A view never raises for input that makes no sense (end before start, a negative
capacity, an unknown asset, an infeasible schedule, missing data): it comes back with
``message`` set, no figures, and the error logged. :mod:`bvp_lib.widgets.ui` only wires
ipywidgets to these functions and shows ``message`` in an HTML widget.

Units and signs as everywhere in BVP: power [MW] with **production positive,
consumption negative**; energy and SoC [MWh]; prices [EUR/MWh]; money [EUR]. Figures
show local time in the market's timezone; frames are indexed by event start in UTC.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
from sqlalchemy.engine import Connection, Engine

from bvp_lib.scheduling.errors import SolverError
from bvp_lib.timing import as_date

log = logging.getLogger("bvp_lib.widgets")

Bind = Engine | Connection | None
Number = float | int | str | None


DEFAULT_DAY = "2015-04-12"
DEFAULT_EXPORT_DIR = "reports/exports"


#: errors whose message is meant for the user (bad input, no data, infeasible schedule)
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ValueError, KeyError, SolverError)


def error_message(err: BaseException) -> str:
    """The message a widget shows for an error (never a traceback).

    Expected errors (bad input, missing data, an infeasible schedule: ``ValueError``
    and its kin, :class:`~bvp_lib.scheduling.SolverError`) show their own text; anything
    else is named as unexpected, with its type, and logged with the traceback.
    """
    text = str(err).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":  # a KeyError quotes its message
        text = text[1:-1]
    text = text or type(err).__name__
    if isinstance(err, EXPECTED_ERRORS):
        return text
    log.error("unexpected error in a widget callback", exc_info=err)
    return f"unexpected error ({type(err).__name__}): {text}"


def parse_number(value: Number, what: str, *, minimum: float | None = None, maximum: float | None = None,
                 strictly_above: bool = False) -> float | None:  # fmt: skip
    """A number from a widget field: ``None`` or blank means "as stored".

    Parameters
    ----------
    value : float, int, str or None
        What the user entered.
    what : str
        Name and unit of the field for the message (``"battery power [MW]"``).
    minimum, maximum : float, optional
        Allowed range (inclusive, unless ``strictly_above`` for the minimum).
    strictly_above : bool
        The value must be strictly above ``minimum``.

    Returns
    -------
    float or None

    Raises
    ------
    ValueError
        Not a number, not finite, or out of range; the message names the field.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        x = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a number (leave it blank to use the stored value)") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    if minimum is not None and (x < minimum or (strictly_above and x <= minimum)):
        raise ValueError(f"{what} must be {'above' if strictly_above else 'at least'} {minimum:g}, not {x:g}")
    if maximum is not None and x > maximum:
        raise ValueError(f"{what} must be at most {maximum:,g}, not {x:g}")
    return x


def parse_day(value, what: str = "day") -> dt.date:
    """A local calendar day from a date or ``YYYY-MM-DD``; ``ValueError`` naming the field otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"pick a {what} (YYYY-MM-DD)")
    try:
        return as_date(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date; write it as YYYY-MM-DD") from None


class _LRU:
    """A small least-recently-used mapping with hit and miss counters."""

    def __init__(self, maxsize: int):
        self.maxsize = int(maxsize)
        self.data: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if key in self.data:
            self.hits += 1
            self.data.move_to_end(key)
            return self.data[key]
        self.misses += 1
        value = make()  # a failure is not cached: the next call tries again
        self.data[key] = value
        while len(self.data) > self.maxsize:
            self.data.popitem(last=False)
        return value

    def clear(self) -> None:
        self.data.clear()


@dataclass
class View:
    """What an explorer shows: figures, or a message saying why not.

    Attributes
    ----------
    message : str or None
        Why there is nothing to show (bad input, no data, infeasible); ``None`` when fine.
    notes : list of str
        Remarks that do not stop the view (a stored value was overridden, a solver hit
        its time limit, where a forecast came from).
    figures : dict of str to matplotlib.figure.Figure
        Named figures (empty when ``message`` is set).
    timings : dict of str to float
        Seconds spent per step (``load``, ``solve``, ``figures``, ``total``, ...).
    """

    message: str | None = None
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the view holds a result (no ``message``)."""
        return self.message is None

    def close(self) -> None:
        """Close the figures (free their memory; call before dropping a view)."""
        for fig in self.figures.values():
            plt.close(fig)


class Cache:
    """An LRU in front of the database: ``loads`` counts database reads, ``hits`` answers from memory."""

    def __init__(self, bind: Bind = None, maxsize: int = 16):
        self.bind = bind
        self._lru = _LRU(maxsize)

    @property
    def loads(self) -> int:
        """Database reads so far."""
        return self._lru.misses

    @property
    def hits(self) -> int:
        """Answers from memory so far."""
        return self._lru.hits

    def clear(self) -> None:
        """Forget everything (the next call reads the database again)."""
        self._lru.clear()


def detach(fig):
    """Take a figure out of pyplot's list of open figures: it is then shown only where an
    explorer displays it, never a second time by the notebook at the end of a cell
    (JupyterLab's inline backend shows every open figure). Returns the figure."""
    plt.close(fig)
    return fig


def figure_png(fig, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (what an explorer shows; works with any matplotlib backend)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def timing_text(t: dict[str, float]) -> str:
    parts = [f"{k} {v:.2f} s" for k, v in t.items() if k != "total"]
    return f"{t.get('total', float('nan')):.2f} s" + (f" ({', '.join(parts)})" if parts else "")
