"""Reading a solved scheduling problem: the solution vector as schedules and tables.

Power in MW (production positive), SoC in MWh, money in EUR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bvp_lib.scheduling.backends import RawSolution
from bvp_lib.scheduling.result import ScheduleResult, SolverStats
from bvp_lib.scheduling.tariffs import baseline_tariff_value


def read_result(self, raw: RawSolution, stats: SolverStats) -> ScheduleResult:
    """The schedule, SoC, baseline, actions, flows, sessions and breaches of a solution of
    ``self`` (a :class:`~bvp_lib.scheduling.problem.Problem`)."""
    x = raw.x[: self.lp.n_vars]
    g, lp = self.grid, self.lp
    T, A = g.n, len(self.names)
    hours = g.hours
    a, s, v, c = lp.power_terms()
    P = lp.power_constant + np.bincount(a * T + s, weights=c * x[v], minlength=A * T).reshape(A, T)
    P[np.abs(P) < 1e-10] = 0.0
    idx = pd.DatetimeIndex(g.index, name="time")
    schedule = pd.DataFrame(P.T, index=idx, columns=self.names)
    baseline = pd.DataFrame(self.baseline.T, index=idx, columns=self.names)
    actions = schedule - baseline
    prices = pd.Series(self.prices, index=idx, name="price")
    # SoC of batteries at the start and every step end
    soc_index = pd.DatetimeIndex(np.concatenate([[g.start.value], g.ends.asi8]), tz="UTC", name="time")
    if self.batteries is not None and len(self.batteries.names):
        soc_vals = np.concatenate([self.batteries.soc_start[:, None], x[self.soc_vars]], axis=1)
        soc = pd.DataFrame(soc_vals.T, index=soc_index, columns=self.batteries.names)
        c, d = self.battery_vars
        charge = pd.DataFrame(x[c].T, index=idx, columns=self.batteries.names)
        discharge = pd.DataFrame(x[d].T, index=idx, columns=self.batteries.names)
    else:
        soc = pd.DataFrame(index=soc_index)
        charge = pd.DataFrame(index=idx)
        discharge = pd.DataFrame(index=idx)
    # tidy actions
    act = actions.to_numpy()
    ti, ai = np.nonzero(np.abs(act) > 1e-9)
    action_table = pd.DataFrame(
        {
            "asset": np.array(self.names, dtype=object)[ai],
            "start": idx[ti],
            "end": idx[ti] + g.resolution,
            "power": act[ti, ai],
            "value": act[ti, ai] * self.prices[ti] * hours,
        }
    )
    net = schedule.sum(axis=1).rename("net_position")
    flows = pd.DataFrame(
        {n: schedule.iloc[:, m].sum(axis=1) for n, m in zip(self.connections.names, self.connections.members)},
        index=idx,
    )
    sessions = session_table(self, x)
    priced = np.ones(A, bool)
    if lp.unpriced_assets:
        priced[list(lp.unpriced_assets)] = False
    energy = float((P[priced] * self.prices[None, :]).sum() * hours)
    terms = {"energy": energy}
    for name in lp.term_names():
        terms[name] = float(lp.term_vector(name) @ x + lp.term_constant.get(name, 0.0))
    baseline_revenue = float((self.baseline[priced] * self.prices[None, :]).sum() * hours)
    if self.tariffs is not None and self.tariffs.n:
        baseline_revenue += baseline_tariff_value(self.connections, self.tariffs, self.baseline, hours)[0]
    cost, offset = self.objective()
    return ScheduleResult(
        status=raw.status,
        objective=float(sum(terms.values())),
        objective_with_tie_break=float(cost @ x + offset),
        baseline_revenue=baseline_revenue,
        schedule=schedule,
        soc=soc,
        charge=charge,
        discharge=discharge,
        baseline=baseline,
        actions=actions,
        action_table=action_table,
        net_position=net,
        connection_flows=flows,
        sessions=sessions,
        prices=prices,
        stats=stats,
        resolution=g.resolution,
        x=raw.x,
        terms=pd.Series(terms, name="EUR"),
        breaches=breach_table(self, x),
    )

def breach_table(self, x: np.ndarray) -> pd.DataFrame:
    cols = ["asset", "family", "time", "amount", "unit", "price", "cost"]
    rows = []
    names = self.names + self.connections.names
    for family, a, t, v, price, unit, scale in self.lp.breaches:
        amount = x[v] * scale
        k = np.flatnonzero(amount > 1e-9)
        for i in k.tolist():
            rows.append((names[a[i]], family, self.grid.index[t[i]] if t[i] >= 0 else pd.NaT,
                         float(amount[i]), unit, float(price[i]), float(amount[i] * price[i])))
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["asset", "family", "time"], kind="stable").reset_index(drop=True) if len(df) else df

def session_table(self, x: np.ndarray) -> pd.DataFrame:
    s = self.sessions
    ch, dis, bi, car = self.session_vars
    cols = ["station", "session", "start", "power", "baseline", "car_soc"]
    if s.entry_session.size == 0:
        return pd.DataFrame(columns=cols)
    power = -x[ch]
    power[bi] += x[dis]
    car_soc = np.full(ch.size, np.nan)
    car_soc[bi] = x[car]
    sess = s.entry_session
    return pd.DataFrame(
        {
            "station": np.array(s.station_names, dtype=object)[sess],
            "session": np.array(s.session_ids, dtype=object)[sess],
            "start": self.grid.index[s.entry_step],
            "power": power,
            "baseline": -self.session_base,
            "car_soc": car_soc,
        }
    )
