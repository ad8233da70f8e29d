"""The explorers as ipywidgets: controls wired to the explorers of :mod:`bvp_lib.widgets`, nothing else.

Each builder returns a widget (an ``ipywidgets.VBox``) that shows itself when it is the
last expression of a notebook cell:

* :func:`schedule_explorer`: day, assets, mode, battery power and energy, building
  shiftable share, connection capacity, solver → schedule, SoC and value;
* :func:`forecast_explorer`: asset or market, model, horizon, day → forecast against
  actual with the error shaded, MAE, RMSE, WAPE and bias;
* :func:`data_browser`: sensor and period → plot, summary statistics, CSV export.

Every change calls the logic once and redraws; a message (bad input, missing data, an
infeasible schedule) appears in red in the widget instead of a traceback. Call
:func:`use_zoomable_figures` first for pan-and-zoom figures in JupyterLab (ipympl).
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as W
import matplotlib
import matplotlib.pyplot as plt
from IPython.display import Image, display

from bvp_lib import widgets as L
from bvp_lib.widgets.common import Bind

SOURCE_TYPES = ("measurement", "user import", "forecaster", "scheduler")
_WIDE = W.Layout(width="auto")


def use_zoomable_figures(enable: bool = True) -> str:
    """Set the notebook's matplotlib backend: ipympl (``%matplotlib widget``, pan and
    zoom in JupyterLab) when ``enable`` and ipympl is installed, else ``inline``.

    Returns
    -------
    str
        ``"widget"``, ``"inline"``, or the current backend's name outside IPython.
    """
    from IPython import get_ipython

    ip = get_ipython()
    if ip is None:
        return matplotlib.get_backend()
    if enable:
        try:
            import ipympl  # noqa: F401

            ip.run_line_magic("matplotlib", "widget")
            return "widget"
        except ImportError:
            pass
    ip.run_line_magic("matplotlib", "inline")
    return "inline"


def zoomable() -> bool:
    """Whether figures are ipympl widgets (pan and zoom) in this kernel."""
    return "ipympl" in matplotlib.get_backend()


def _as_date(value) -> dt.date | None:
    try:
        return L.parse_day(value)
    except ValueError:
        return None


class OverrideField(W.HBox):
    """A slider for one overridable field with a "change" box: unticked, the stored value
    is used (shown beside it); ticked, the slider's value [unit] overrides it."""

    def __init__(self, description: str, minimum: float, maximum: float, step: float):
        self.enabled = W.Checkbox(value=False, description="change", indent=False, layout=W.Layout(width="6em"))
        self.slider = W.FloatSlider(value=minimum, min=minimum, max=maximum, step=step, description=description,
                                    continuous_update=False, disabled=True, readout_format=".2f",
                                    style={"description_width": "13em"}, layout=W.Layout(width="30em"))  # fmt: skip
        self.stored = W.HTML(value="")
        self.enabled.observe(lambda ch: setattr(self.slider, "disabled", not ch["new"]), names="value")
        super().__init__([self.enabled, self.slider, self.stored])

    @property
    def override(self) -> float | None:
        """The slider's value when ticked, else None (as stored)."""
        return float(self.slider.value) if self.enabled.value else None

    def show_stored(self, text: str) -> None:
        self.stored.value = f"<span style='color:#666'>as stored: {html.escape(text)}</span>"


#: explorer field -> slider (min, max, step); the sliders cover what is sensible here, explorer_overrides
#: checks any number given in code against bvp_lib.widgets.schedule.LIMITS
SLIDERS = {"battery_power_mw": (0.0, 20.0, 0.5), "battery_energy_mwh": (0.5, 40.0, 0.5),
           "shiftable_share": (0.0, 1.0, 0.05), "connection_capacity_mw": (0.0, 80.0, 1.0)}  # fmt: skip


class _Explorer(W.VBox):
    """Controls above a message line, a numbers panel and an output area for the figures."""

    def __init__(self, controls: list[W.Widget], **kwargs):
        self.status = W.HTML(value="")
        self.numbers = W.HTML(value="")
        self.output = W.Output()
        self.view: L.View | None = None
        self._figures: list = []
        self._busy = False
        super().__init__([W.HBox(controls[:4], layout=W.Layout(flex_flow="row wrap")),
                          W.HBox(controls[4:], layout=W.Layout(flex_flow="row wrap")),
                          self.status, self.numbers, self.output], **kwargs)  # fmt: skip

    def _watch(self, *widgets: W.Widget) -> None:
        """Redraw when any of ``widgets`` changes (a disabled slider's change does nothing)."""
        for w in widgets:
            w.observe(self._changed, names="value")

    def _changed(self, change=None) -> None:
        owner = getattr(change, "owner", None) if change is not None and not isinstance(change, dict) else (
            change.get("owner") if isinstance(change, dict) else None)  # fmt: skip
        if getattr(owner, "disabled", False):
            return
        if not self._busy:
            self.refresh()

    def _compute(self) -> L.View:  # pragma: no cover - overridden
        raise NotImplementedError

    def _numbers_html(self, view: L.View) -> str:  # pragma: no cover - overridden
        return ""

    def refresh(self) -> L.View:
        """Call the logic with the controls' values and redraw; returns the view."""
        self.status.value = "<i>working…</i>"
        t0 = time.perf_counter()
        with plt.ioff():  # figures go into the output area only, never auto-shown at cell end
            view = self._compute()
        self._show(view)
        self.view = view
        if view.ok:
            mark = ("<span style='color:#2a7'>✓</span>" if getattr(view, "optimal", True) is not False else
                    "<span style='color:#b36b00'><b>⚠ not proven optimal</b></span>")  # fmt: skip
            self.status.value = f"{mark} {time.perf_counter() - t0:.2f} s"
        else:
            self.status.value = f"<span style='color:#b00020'><b>⚠ {html.escape(view.message or '')}</b></span>"
        self.numbers.value = self._numbers_html(view)
        return view

    def _show(self, view: L.View) -> None:
        # one PNG per figure, displayed here only: the figures are detached from pyplot, so
        # neither JupyterLab's inline backend nor ipympl shows them a second time
        self.output.clear_output(wait=True)
        with self.output:
            for fig in view.figures.values():
                display(Image(data=L.figure_png(fig)))
                plt.close(fig)


class ScheduleExplorer(_Explorer):
    """The schedule explorer widget (see :func:`schedule_explorer`)."""

    def __init__(self, *, day=L.DEFAULT_DAY, assets: Sequence[str] | None = None, mode: str = "perfect",
                 solver: str | None = None, time_limit: float | None = 10.0, cache: L.ScheduleCache | None = None,
                 bind: Bind = None, strategy: str = "schedule"):  # fmt: skip
        from bvp_lib.reporting.explore import portfolio

        self.cache = cache or L.ScheduleCache(bind=bind)
        names = list(portfolio(bind=self.cache.bind)["asset"])
        chosen = [a for a in (assets or names) if a in names]
        self.time_limit = time_limit
        self.day = W.DatePicker(value=_as_date(day), description="day")
        self.assets = W.SelectMultiple(options=names, value=tuple(chosen), rows=min(8, max(len(names), 2)),
                                       description="assets")  # fmt: skip
        self.mode = W.Dropdown(options=[("perfect foresight (realised data)", "perfect"),
                                        ("day-ahead forecasts (stored)", "forecast")], value=mode,
                               description="mode")  # fmt: skip
        self.strategy = W.Dropdown(options=[("one schedule", "schedule"),
                                            ("orders: bid curves, cleared at the realised price", "orders")],
                                   value=strategy, description="strategy")  # fmt: skip
        self.solver = W.Dropdown(options=[("auto (HiGHS LP, Cbc if binaries)", "auto"), ("highs", "highs"),
                                          ("cbc", "cbc")], value=(solver or L.default_solver()),
                                 description="solver")  # fmt: skip
        from bvp_lib.widgets.schedule import LIMITS

        fields = {name: OverrideField(LIMITS[name][0], *SLIDERS[name]) for name in SLIDERS}
        self.battery_power, self.battery_energy = fields["battery_power_mw"], fields["battery_energy_mwh"]
        self.shiftable_share, self.connection_capacity = fields["shiftable_share"], fields["connection_capacity_mw"]
        super().__init__([self.day, self.assets, self.mode, self.strategy, self.solver, self.battery_power,
                          self.battery_energy, self.shiftable_share, self.connection_capacity])  # fmt: skip
        self._watch(self.day, self.assets, self.mode, self.strategy, self.solver)
        for f in fields.values():
            self._watch(f.enabled, f.slider)
        self.refresh()

    def inputs(self) -> L.ScheduleInputs:
        """The controls' values as :class:`~bvp_lib.widgets.ScheduleInputs`."""
        return L.ScheduleInputs(
            day=self.day.value, assets=tuple(self.assets.value), mode=self.mode.value,
            battery_power_mw=self.battery_power.override, battery_energy_mwh=self.battery_energy.override,
            shiftable_share=self.shiftable_share.override, connection_capacity_mw=self.connection_capacity.override,
            solver=self.solver.value, time_limit=self.time_limit, strategy=self.strategy.value,
        )  # fmt: skip

    def _compute(self) -> L.View:
        view = L.explore_schedule(self.inputs(), cache=self.cache)
        if view.ok:
            stored = L.stored_settings(self.cache.day_inputs(self.day.value, tuple(self.assets.value), self.mode.value,
                                                             view.inputs.resolution))  # fmt: skip
            for w, k in ((self.battery_power, "battery_power_mw"), (self.battery_energy, "battery_energy_mwh"),
                         (self.shiftable_share, "shiftable_share"),
                         (self.connection_capacity, "connection_capacity_mw")):  # fmt: skip
                w.show_stored(stored[k])
        return view

    def _numbers_html(self, view: L.View) -> str:
        out = L.schedule_values_html(view)
        if view.ok and view.summary is not None:
            from bvp_lib.reporting.tables import report_table

            out += report_table(view.summary, "summary", sort_by="value_eur", key="abs", limit=12).to_html()
        return out


class ForecastExplorer(_Explorer):
    """The forecast explorer widget (see :func:`forecast_explorer`)."""

    def __init__(self, *, asset: str | None = None, model: str = "seasonal_naive_daily", horizon: str = "day-ahead",
                 day=L.DEFAULT_DAY, source: str = "auto", cache: L.ForecastCache | None = None, bind: Bind = None):  # fmt: skip
        self.cache = cache or L.ForecastCache(bind=bind)
        names = L.forecastable(bind=self.cache.bind)
        asset = asset if asset in names else (names[0] if names else None)
        self.asset = W.Dropdown(options=names, value=asset, description="asset")
        self.model = W.Dropdown(options=[model], value=model, description="model")
        self.horizon = W.Dropdown(options=[horizon], value=horizon, description="horizon")
        self.day = W.DatePicker(value=_as_date(day), description="day")
        self.source = W.Dropdown(options=[("stored, else computed", "auto"), ("stored only", "stored"),
                                          ("computed from history", "computed")], value=source,
                                 description="forecast")  # fmt: skip
        super().__init__([self.asset, self.model, self.horizon, self.day, self.source])
        self._update_options()
        self.asset.observe(self._asset_changed, names="value")
        self._watch(self.model, self.horizon, self.day, self.source)
        self.refresh()

    def _update_options(self) -> None:
        self._busy = True
        try:
            models, horizons = L.forecast_options(self.asset.value, bind=self.cache.bind) if self.asset.value else ([], [])
        except Exception as err:  # noqa: BLE001 - shown in the widget
            self.status.value = html.escape(L.error_message(err))
            models, horizons = [self.model.value], [self.horizon.value]
        try:
            keep_m, keep_h = self.model.value, self.horizon.value
            self.model.options = models
            self.model.value = keep_m if keep_m in models else (models[0] if models else None)
            self.horizon.options = horizons
            self.horizon.value = keep_h if keep_h in horizons else (horizons[-1] if horizons else None)
        finally:
            self._busy = False

    def _asset_changed(self, change=None) -> None:
        self._update_options()
        self.refresh()

    def inputs(self) -> L.ForecastInputs:
        """The controls' values as :class:`~bvp_lib.widgets.ForecastInputs`."""
        return L.ForecastInputs(asset=self.asset.value or "", model=self.model.value or "",
                                horizon=self.horizon.value or "day-ahead", day=self.day.value,
                                source=self.source.value)  # fmt: skip

    def _compute(self) -> L.View:
        return L.explore_forecast(self.inputs(), cache=self.cache)

    def _numbers_html(self, view: L.View) -> str:
        return L.forecast_metrics_html(view)


class DataBrowser(_Explorer):
    """The data browser widget (see :func:`data_browser`)."""

    def __init__(self, *, sensor: str = "epex_da", start="2015-04-11", end="2015-04-14",
                 source_types: Sequence[str] = ("measurement", "user import"),
                 export_dir: str | Path = L.DEFAULT_EXPORT_DIR, bind: Bind = None):  # fmt: skip
        self.bind = bind
        sensors = L.list_sensors(bind=bind)
        options = [(lab, name) for name, lab in zip(sensors.index, sensors["label"])]
        self.sensor = W.Dropdown(options=options, value=sensor if sensor in sensors.index else
                                 (options[0][1] if options else None), description="sensor",
                                 layout=W.Layout(width="28em"))  # fmt: skip
        self.start = W.DatePicker(value=_as_date(start), description="first day")
        self.end = W.DatePicker(value=_as_date(end), description="last day")
        self.source_types = W.SelectMultiple(options=SOURCE_TYPES, value=tuple(source_types), rows=4,
                                             description="sources")  # fmt: skip
        self.folder = W.Text(value=str(export_dir), description="export to", continuous_update=False)
        self.export_button = W.Button(description="export CSV", icon="download")
        self.exported = W.HTML(value="")
        super().__init__([self.sensor, self.start, self.end, self.source_types, self.folder, self.export_button,
                          self.exported])  # fmt: skip
        self._watch(self.sensor, self.start, self.end, self.source_types)
        self.export_button.on_click(lambda _: self.export())
        self.refresh()

    def inputs(self) -> L.BrowseInputs:
        """The controls' values as :class:`~bvp_lib.widgets.BrowseInputs`."""
        return L.BrowseInputs(sensor=self.sensor.value or "", start=self.start.value, end=self.end.value,
                              source_types=tuple(self.source_types.value))  # fmt: skip

    def _compute(self) -> L.View:
        self.exported.value = ""
        return L.browse_data(self.inputs(), bind=self.bind)

    def _numbers_html(self, view: L.View) -> str:
        if not view.ok or view.stats is None:
            return ""
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in view.notes)
        return view.stats.to_html(border=0) + (f"<ul style='font-size:small'>{notes}</ul>" if notes else "")

    def export(self) -> Path | None:
        """Write the shown frame to the chosen folder; show and return the path (``None`` on failure)."""
        try:
            path = L.export_csv(self.view, self.folder.value or L.DEFAULT_EXPORT_DIR)
        except Exception as err:  # noqa: BLE001 - shown in the widget
            self.exported.value = f"<span style='color:#b00020'>{html.escape(L.error_message(err))}</span>"
            return None
        self.exported.value = f"written: <code>{html.escape(str(path))}</code>"
        return path


def schedule_explorer(day=L.DEFAULT_DAY, assets: Sequence[str] | None = None, *, mode: str = "perfect",
                      solver: str | None = None, time_limit: float | None = 10.0,
                      cache: L.ScheduleCache | None = None, bind: Bind = None,
                      strategy: str = "schedule") -> ScheduleExplorer:  # fmt: skip
    """The schedule explorer: change a day's flexibility and see schedule, SoC and value.

    Parameters
    ----------
    day : date or str
        Local day shown first.
    assets : list of str, optional
        Assets selected first (default: all).
    mode : {"perfect", "forecast"}
        Realised data (perfect foresight) or stored day-ahead forecasts.
    solver : {"auto", "highs", "cbc"}, optional
        Default ``"auto"`` (HiGHS on the sparse-matrix path, the LP first, binaries
        only where needed; :func:`~bvp_lib.widgets.solve_schedule`) when highspy is installed.
    time_limit : float, optional
        Seconds per solve.
    cache : ScheduleCache, optional
        Share one cache between explorers (or with :func:`~bvp_lib.widgets.explore_schedule`).
    bind : Engine or Connection, optional
    strategy : {"schedule", "orders"}
        One schedule, or (mode ``"forecast"``) price-dependent orders cleared at the
        realised prices and delivered.

    Returns
    -------
    ScheduleExplorer
        A VBox; ``.refresh()`` recomputes, ``.view`` is the last
        :class:`~bvp_lib.widgets.ScheduleView`.
    """
    return ScheduleExplorer(day=day, assets=assets, mode=mode, solver=solver, time_limit=time_limit, cache=cache,
                            bind=bind, strategy=strategy)  # fmt: skip


def forecast_explorer(asset: str | None = "solar-havel-01", model: str = "seasonal_naive_daily",
                      horizon: str = "day-ahead", day=L.DEFAULT_DAY, *, source: str = "auto",
                      cache: L.ForecastCache | None = None, bind: Bind = None) -> ForecastExplorer:  # fmt: skip
    """The forecast explorer: an asset's forecast for a day, model and horizon against the actual.

    Returns
    -------
    ForecastExplorer
        A VBox; ``.view`` is the last :class:`~bvp_lib.widgets.ForecastView`.
    """
    return ForecastExplorer(asset=asset, model=model, horizon=horizon, day=day, source=source, cache=cache, bind=bind)


def data_browser(sensor: str = "epex_da", start="2015-04-11", end="2015-04-14", *,
                 source_types: Sequence[str] = ("measurement", "user import"),
                 export_dir: str | Path = L.DEFAULT_EXPORT_DIR, bind: Bind = None) -> DataBrowser:  # fmt: skip
    """The data browser: any asset, market or weather sensor over a period; export to CSV.

    Returns
    -------
    DataBrowser
        A VBox; ``.export()`` writes the shown frame under the chosen folder (default
        ``reports/exports/``) and returns the path.
    """
    return DataBrowser(sensor=sensor, start=start, end=end, source_types=source_types, export_dir=export_dir,
                       bind=bind)  # fmt: skip


def show_view(view: L.View) -> None:
    """Display a view's figures once, as PNG (for a notebook cell that calls an explorer's
    logic directly: the figures appear in JupyterLab and in an executed HTML alike)."""
    for fig in view.figures.values():
        display(Image(data=L.figure_png(fig)))
