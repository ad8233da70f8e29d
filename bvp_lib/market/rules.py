"""The exchange's rules for day-ahead orders, as the workbench applies them.

EPEX SPOT's day-ahead auction (Germany/Luxembourg, and Germany/Austria/Luxembourg
before October 2018), single-contract ("hourly") orders, as the exchange's product
specification states them for 2015-2018 [EPEX SPOT, "Day-Ahead Auction": trading
procedure, "Minimum and maximum prices -500.00 € / 3000.00 €", "Price characteristics: in
euro per MWh with one decimal digit", "Quantity characteristics: in MW with one decimal
digit", "Minimum and maximum number of price/quantity combinations for single-contract
orders: 2 and 256"; the harmonised limits of the Price Coupling of Regions, -500 and
+3000 EUR/MWh, until SDAC raised the maximum to 4000 EUR/MWh in 2022]:

* **Delivery period**: one hour of the local day (23, 24 or 25 of them; the quarter-hour
  products came only in 2025). The order's quantity is the hour's mean power [MW].
* **Curve**: per period, 2 to 256 (price, quantity) points, prices on a 0.1 EUR/MWh tick
  within [-500, 3000] EUR/MWh, quantities on a 0.1 MW tick; the first point at the
  minimum and the last at the maximum price (a volume must be entered at the price
  limits). Between points the exchange interpolates linearly; two points at one price
  make a vertical step.
* **Monotone**: the quantity never falls as the price rises (sell more, or buy less, the
  higher the price). The workbench's sign: **sold positive, bought negative**
  (production positive, as everywhere in BVP); flip it for an upload to a system that
  counts purchases positive.

:class:`ExchangeRules` holds these numbers so a study can change them (for example the
2022 maximum of 4000 EUR/MWh).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ExchangeRules:
    """Rules for a day-ahead order book (see the module docstring for the source).

    Attributes
    ----------
    min_price, max_price : float
        Price limits [EUR/MWh].
    price_tick : float
        Price step [EUR/MWh].
    volume_tick : float
        Quantity step [MW].
    min_points, max_points : int
        Points of one period's curve.
    period : pandas.Timedelta
        Delivery period.
    """

    name: str = "EPEX SPOT day-ahead (DE), 2015-2018"
    min_price: float = -500.0
    max_price: float = 3000.0
    price_tick: float = 0.1
    volume_tick: float = 0.1
    min_points: int = 2
    max_points: int = 256
    period: pd.Timedelta = pd.Timedelta("1h")

    def round_price(self, p):
        """Prices on the tick [EUR/MWh] (half-way rounds away from zero), within the limits."""
        q = np.sign(p) * np.floor(np.abs(np.asarray(p, float)) / self.price_tick + 0.5) * self.price_tick
        return np.clip(np.round(q, 6), self.min_price, self.max_price)

    def round_volume(self, v):
        """Quantities on the tick [MW] (half-way rounds away from zero)."""
        v = np.asarray(v, float)
        return np.round(np.sign(v) * np.floor(np.abs(v) / self.volume_tick + 0.5) * self.volume_tick, 6)

    def on_price_tick(self, p) -> np.ndarray:
        p = np.asarray(p, float)
        return np.abs(p / self.price_tick - np.round(p / self.price_tick)) < 1e-6

    def on_volume_tick(self, v) -> np.ndarray:
        v = np.asarray(v, float)
        return np.abs(v / self.volume_tick - np.round(v / self.volume_tick)) < 1e-6


EPEX_DAY_AHEAD = ExchangeRules()
