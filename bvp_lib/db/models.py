"""The data model (SQLAlchemy 2, PostgreSQL).

Structure
    owners, asset types, connection points, assets, market types, markets, weather sensor
    types, weather sensors, data sources, EV charging sessions.

Time series
    Every series is a :class:`Sensor`: the power of an asset, the price of a market or a
    weather quantity. Its values are **beliefs** (:class:`TimedBelief`), one row per
    (sensor, event start, belief horizon, data source) with the value. The event
    resolution belongs to the sensor. The belief horizon is how long before the *end* of
    the event the value was known: ``belief_time = event_start + event_resolution -
    belief_horizon``. Horizon > 0 is a forecast; horizon <= 0 a measurement.

Units and signs
    Power in MW, **production positive, consumption negative** (a charging battery or a
    building's load is negative). Energy in MWh, prices in EUR/MWh, temperature in °C,
    irradiance in W/m², wind speed in m/s. Timestamps are ``timestamptz`` stored in UTC.

The schema is created only by Alembic migrations (``bvp db upgrade``); these classes
describe it for the ORM and for autogenerating new migrations.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import INTERVAL, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bvp_lib.market.clock import market_clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCE_TYPES = ("measurement", "forecaster", "scheduler", "user import", "generator", "valuation")
SENSOR_QUANTITIES = {
    # quantity: unit
    "power": "MW",
    "energy": "MWh",
    "state_of_charge": "MWh",
    "price": "EUR/MWh",
    "temperature": "°C",
    "irradiance": "W/m²",
    "wind_speed": "m/s",
    "pressure": "hPa",
    "cloud_cover": "%",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class Owner(Base):
    """An asset owner on whose behalf BVP offers flexibility."""

    __tablename__ = "owners"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    assets: Mapped[list[Asset]] = relationship(back_populates="owner")


class AssetType(Base):
    """solar, wind, charging_station, bidirectional_charging_station, battery, building."""

    __tablename__ = "asset_types"
    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    is_consumer: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_producer: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    can_curtail: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    can_shift: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_storage: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class ConnectionPoint(Base):
    """A grid connection shared by assets: their summed power stays within its capacities [MW]."""

    __tablename__ = "connection_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    import_capacity_mw: Mapped[float] = mapped_column(comment="largest consumption (import) [MW], >= 0")
    export_capacity_mw: Mapped[float] = mapped_column(comment="largest production (export) [MW], >= 0")


class MarketType(Base):
    __tablename__ = "market_types"
    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")


class Market(Base):
    """A market, for example ``epex_da`` (EPEX day-ahead, Germany)."""

    __tablename__ = "markets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    market_type_name: Mapped[str] = mapped_column(sa.ForeignKey("market_types.name"))
    unit: Mapped[str] = mapped_column(sa.String(20), default="EUR/MWh")
    timezone: Mapped[str] = mapped_column(sa.String(60), default=lambda: market_clock().timezone,
                                          comment="IANA zone of 'the day'")  # fmt: skip
    country: Mapped[str] = mapped_column(sa.String(2), default="DE", comment="ISO country for public holidays")
    event_resolution: Mapped[timedelta] = mapped_column(INTERVAL, default=timedelta(hours=1))


class Asset(Base):
    """A connected asset. Power is production positive, consumption negative [MW].

    Flexibility attributes are typed columns where scheduling needs them; anything else
    (module type, tilt, turbine type, building profile) lives in ``attributes``.
    """

    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    asset_type_name: Mapped[str] = mapped_column(sa.ForeignKey("asset_types.name"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("owners.id"))
    market_id: Mapped[int | None] = mapped_column(sa.ForeignKey("markets.id"))
    connection_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connection_points.id"))
    capacity_mw: Mapped[float] = mapped_column(comment="rated power [MW], >= 0")
    latitude: Mapped[float] = mapped_column(comment="[degrees north]")
    longitude: Mapped[float] = mapped_column(comment="[degrees east]")
    event_resolution: Mapped[timedelta] = mapped_column(INTERVAL, default=timedelta(minutes=15))
    # storage (battery; bidirectional stations use their sessions' car batteries)
    energy_capacity_mwh: Mapped[float | None] = mapped_column(comment="[MWh]")
    min_soc_mwh: Mapped[float | None] = mapped_column(comment="[MWh]")
    max_soc_mwh: Mapped[float | None] = mapped_column(comment="[MWh]")
    soc_at_start_mwh: Mapped[float | None] = mapped_column(comment="[MWh] default start state of charge")
    max_charge_mw: Mapped[float | None] = mapped_column(comment="[MW], >= 0")
    max_discharge_mw: Mapped[float | None] = mapped_column(comment="[MW], >= 0")
    charging_efficiency: Mapped[float | None] = mapped_column(comment="(0, 1]")
    discharging_efficiency: Mapped[float | None] = mapped_column(comment="(0, 1]")
    self_discharge_per_hour: Mapped[float | None] = mapped_column(comment="share of SoC lost per hour [1/h]")
    # buildings
    shiftable_share: Mapped[float | None] = mapped_column(comment="share of load that may shift [0, 1]")
    shift_window_hours: Mapped[float | None] = mapped_column(comment="load may move this far earlier or later [h]")
    # solar and wind
    curtailable: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))

    owner: Mapped[Owner] = relationship(back_populates="assets")
    asset_type: Mapped[AssetType] = relationship()
    market: Mapped[Market | None] = relationship()
    connection_point: Mapped[ConnectionPoint | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("capacity_mw >= 0", name="capacity_nonnegative"),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="lat_lon"),
    )


class WeatherSensorType(Base):
    """temperature [°C], irradiance [W/m²], wind_speed [m/s]..."""

    __tablename__ = "weather_sensor_types"
    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    unit: Mapped[str] = mapped_column(sa.String(20))


class WeatherSensor(Base):
    __tablename__ = "weather_sensors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    weather_sensor_type_name: Mapped[str] = mapped_column(sa.ForeignKey("weather_sensor_types.name"))
    latitude: Mapped[float] = mapped_column()
    longitude: Mapped[float] = mapped_column()
    event_resolution: Mapped[timedelta] = mapped_column(INTERVAL, default=timedelta(hours=1))
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))


class Sensor(Base):
    """One time series: exactly one of asset, market or weather sensor is set.

    ``name`` is unique and is what users type: an asset's power sensor carries the
    asset's name, a market's price sensor the market's name, a weather sensor its own.
    """

    __tablename__ = "sensors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    quantity: Mapped[str] = mapped_column(sa.String(40), comment="power, price, temperature, ...")
    unit: Mapped[str] = mapped_column(sa.String(20))
    event_resolution: Mapped[timedelta] = mapped_column(INTERVAL)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    market_id: Mapped[int | None] = mapped_column(sa.ForeignKey("markets.id", ondelete="CASCADE"))
    weather_sensor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("weather_sensors.id", ondelete="CASCADE"))

    asset: Mapped[Asset | None] = relationship()
    market: Mapped[Market | None] = relationship()
    weather_sensor: Mapped[WeatherSensor | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(asset_id, market_id, weather_sensor_id) = 1", name="exactly_one_subject"
        ),
        sa.CheckConstraint("event_resolution > interval '0'", name="positive_resolution"),
    )


class DataSource(Base):
    """Who or what made a belief: a measurement, a forecaster, the scheduler, a user import."""

    __tablename__ = "data_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    type: Mapped[str] = mapped_column(sa.String(40))
    model: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    version: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))

    __table_args__ = (
        sa.UniqueConstraint("name", "type", "model", "version", name="uq_data_sources_identity"),
        sa.CheckConstraint(
            "type IN (" + ", ".join(f"'{t}'" for t in SOURCE_TYPES) + ")", name="known_type"
        ),
    )


class TimedBelief(Base):
    """One belief about one event of one sensor.

    value: in the sensor's unit (power MW production-positive, price EUR/MWh, ...).
    belief_horizon: known this long before the event *ended* (> 0 forecast, <= 0 measurement).
    """

    __tablename__ = "timed_beliefs"
    sensor_id: Mapped[int] = mapped_column(sa.ForeignKey("sensors.id", ondelete="CASCADE"), primary_key=True)
    event_start: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    belief_horizon: Mapped[timedelta] = mapped_column(INTERVAL, primary_key=True)
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("data_sources.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[float] = mapped_column(sa.Float(precision=53))


class ChargingSession(Base):
    """One EV charging session at a charging station.

    The car arrives at ``arrival`` and leaves at ``departure`` needing ``energy_mwh`` more
    than it came with; the station draws at most ``max_power_mw``. For bidirectional
    stations the car battery (``battery_capacity_mwh``, ``soc_at_arrival_mwh``) bounds
    discharging.
    """

    __tablename__ = "charging_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    session_key: Mapped[str] = mapped_column(sa.String(80), comment="unique per station, for idempotent imports")
    arrival: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    departure: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    energy_mwh: Mapped[float] = mapped_column(comment="energy to charge by departure [MWh]")
    max_power_mw: Mapped[float] = mapped_column(comment="[MW]")
    battery_capacity_mwh: Mapped[float | None] = mapped_column(comment="car battery [MWh]")
    soc_at_arrival_mwh: Mapped[float | None] = mapped_column(comment="[MWh]")
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("data_sources.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.UniqueConstraint("asset_id", "session_key", name="uq_charging_sessions_key"),
        sa.CheckConstraint("departure > arrival", name="departs_after_arrival"),
        sa.CheckConstraint("energy_mwh >= 0 AND max_power_mw > 0", name="positive_energy_power"),
        sa.Index("ix_charging_sessions_asset_arrival", "asset_id", "arrival"),
    )


class BacktestRun(Base):
    """A named backtest: its parameters (and their hash), code version and data sources."""

    __tablename__ = "backtest_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    parameters: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))
    parameters_hash: Mapped[str] = mapped_column(sa.String(64), comment="sha256 of the canonical JSON parameters")
    code_version: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    git_commit: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    data_sources: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class BacktestDay(Base):
    """One day of a backtest run: status, error and portfolio results [EUR, MWh]."""

    __tablename__ = "backtest_days"
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("backtest_runs.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10))
    error: Mapped[str | None] = mapped_column(sa.Text)
    realised_value_eur: Mapped[float | None]
    perfect_foresight_value_eur: Mapped[float | None]
    planned_value_eur: Mapped[float | None]
    captured_share: Mapped[float | None]
    energy_shifted_mwh: Mapped[float | None]
    energy_curtailed_mwh: Mapped[float | None]
    seconds: Mapped[float | None]
    finished_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())

    __table_args__ = (sa.CheckConstraint("status IN ('done', 'failed')", name="known_status"),)


class BacktestAssetDay(Base):
    """One asset on one day of a backtest run [EUR, MWh]."""

    __tablename__ = "backtest_asset_days"
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("backtest_runs.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    asset: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    realised_value_eur: Mapped[float | None]
    perfect_foresight_value_eur: Mapped[float | None]
    energy_shifted_mwh: Mapped[float | None]
    energy_curtailed_mwh: Mapped[float | None]
    battery_cycles: Mapped[float | None]
    soc_end_mwh: Mapped[float | None]


class Sweep(Base):
    """A named scenario sweep: its spec (grid, base parameters, period) as given."""

    __tablename__ = "sweeps"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    spec: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class SweepScenario(Base):
    """One scenario of a sweep: its grid values and the backtest run holding its results."""

    __tablename__ = "sweep_scenarios"
    sweep_id: Mapped[int] = mapped_column(sa.ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("backtest_runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(comment="order of the scenario in the grid")
    grid_values: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))



class OrderBook(Base):
    """A portfolio's day-ahead order book for one delivery day (bvp_lib.market.orders)."""

    __tablename__ = "order_books"
    __table_args__ = (sa.UniqueConstraint("day", "portfolio", name="uq_order_books_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, comment="local delivery day")
    portfolio: Mapped[str] = mapped_column(sa.String(80))
    rules: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))
    meta: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=sa.text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class OrderPoint(Base):
    """One point of an order's curve in one delivery period [EUR/MWh, MW sold positive]."""

    __tablename__ = "order_points"
    book_id: Mapped[int] = mapped_column(sa.ForeignKey("order_books.id", ondelete="CASCADE"), primary_key=True)
    order_name: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    point: Mapped[int] = mapped_column(primary_key=True, comment="position in the curve, rising price")
    price_eur_mwh: Mapped[float]
    volume_mw: Mapped[float] = mapped_column(comment="sold positive, bought negative")


class OrderAccepted(Base):
    """What the auction accepted of an order in one period, and what was not delivered."""

    __tablename__ = "order_accepted"
    book_id: Mapped[int] = mapped_column(sa.ForeignKey("order_books.id", ondelete="CASCADE"), primary_key=True)
    order_name: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    clearing_price_eur_mwh: Mapped[float]
    volume_mw: Mapped[float] = mapped_column(comment="accepted, sold positive")
    imbalance_mw: Mapped[float | None] = mapped_column(comment="accepted - delivered")
