"""Settings per environment, as the original BVP platform had them.

Where a setting comes from, lowest to highest precedence:

1. the defaults in :data:`DEFAULTS`,
2. an optional per-environment file ``config/<env>.toml`` (git-ignored; see
   ``config/example.toml``),
3. a ``.env`` file in the project root (``KEY=value`` lines),
4. the process environment.

``BVP_ENV`` picks the environment: ``development`` (default), ``testing``, ``staging``
or ``production``. In ``production`` nothing falls back to the embedded database:
``BVP_DATABASE_URL`` must be set, and :func:`get_settings` refuses to resolve the
settings without it (so every command fails at once, naming the setting).

Settings (environment variable → attribute):

=========================  ===================  =========================================
variable                   attribute            meaning
=========================  ===================  =========================================
BVP_ENV                    env                  development | testing | staging | production
BVP_DATABASE_URL           database_url         SQLAlchemy URL of an existing PostgreSQL;
                                                empty = the embedded server
SQLALCHEMY_DATABASE_URI    database_url         accepted alias (the original platform's name)
BVP_LP_SOLVER              lp_solver            cbc | highs
BVP_TIMEZONE               timezone             the market's timezone: "the day", its hours, display
BVP_GATE_CLOSURE           gate_closure         day-ahead gate closure, local HH:MM on D-1
BVP_PRICE_PUBLICATION      price_publication    when day D's day-ahead prices are known, local HH:MM on D-1
BVP_POSTGRES_DIR           postgres_dir         data folder of the embedded server
BVP_DATABASE_NAME          database_name        database on the embedded server
BVP_REPORTS_DIR            reports_dir          where papermill reports go
=========================  ===================  =========================================
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

ENVIRONMENTS = ("development", "testing", "staging", "production")
LP_SOLVERS = ("cbc", "highs")


class ConfigError(RuntimeError):
    """A setting is missing or has a value that cannot be used."""


def project_root() -> Path:
    """The project folder: ``BVP_PROJECT_ROOT`` if set, else the folder holding
    ``pyproject.toml`` above this package (an editable install), else the working
    directory."""
    env = os.environ.get("BVP_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd()


DEFAULTS: dict[str, str] = {
    "env": "development",
    "database_url": "",
    "lp_solver": "cbc",
    # the market's clock (EPEX SPOT day-ahead auction for Germany): read through
    # bvp_lib.market.clock, the one place the stages take it from
    "timezone": "Europe/Berlin",
    "gate_closure": "12:00",
    "price_publication": "13:00",
    "postgres_dir": "data/postgres",
    "database_name": "bvp",
    "reports_dir": "reports",
}

# environment variable -> attribute; the first listed variable wins when both are set
ENV_VARS: list[tuple[str, str]] = [
    ("BVP_ENV", "env"),
    ("BVP_DATABASE_URL", "database_url"),
    ("SQLALCHEMY_DATABASE_URI", "database_url"),
    ("BVP_LP_SOLVER", "lp_solver"),
    ("BVP_TIMEZONE", "timezone"),
    ("BVP_GATE_CLOSURE", "gate_closure"),
    ("BVP_PRICE_PUBLICATION", "price_publication"),
    ("BVP_POSTGRES_DIR", "postgres_dir"),
    ("BVP_DATABASE_NAME", "database_name"),
    ("BVP_REPORTS_DIR", "reports_dir"),
]


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`get_settings`, not directly."""

    env: str = DEFAULTS["env"]
    database_url: str = DEFAULTS["database_url"]
    lp_solver: str = DEFAULTS["lp_solver"]
    timezone: str = DEFAULTS["timezone"]
    gate_closure: str = DEFAULTS["gate_closure"]
    price_publication: str = DEFAULTS["price_publication"]
    postgres_dir: str = DEFAULTS["postgres_dir"]
    database_name: str = DEFAULTS["database_name"]
    reports_dir: str = DEFAULTS["reports_dir"]
    root: Path = field(default_factory=project_root)
    sources: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def uses_embedded_server(self) -> bool:
        return not self.database_url

    @property
    def postgres_path(self) -> Path:
        p = Path(self.postgres_dir)
        return p if p.is_absolute() else self.root / p

    @property
    def reports_path(self) -> Path:
        p = Path(self.reports_dir)
        return p if p.is_absolute() else self.root / p

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require(self, name: str) -> str:
        """Return setting ``name`` or raise a :class:`ConfigError` naming it."""
        value = getattr(self, name)
        if value in ("", None):
            var = next(v for v, a in ENV_VARS if a == name)
            raise ConfigError(
                f"Setting {name!r} is missing in environment {self.env!r}. "
                f"Set the environment variable {var} or put `{name} = ...` in "
                f"config/{self.env}.toml."
            )
        return value

    def describe(self) -> dict[str, str]:
        """Settings as strings with the database password masked, and where each came from."""
        out = {}
        for f in fields(self):
            if f.name in ("sources",):
                continue
            v = getattr(self, f.name)
            if f.name == "database_url":
                v = mask_url(v) if v else "(embedded server)"
            out[f.name] = f"{v}  [{self.sources.get(f.name, 'default')}]"
        if os.environ.get("PGPASSWORD"):
            out["PGPASSWORD"] = "***  [environment]"
        return out


def mask_url(url: str) -> str:
    """The URL with every credential masked, safe to print or store (:func:`bvp_lib.redact.mask_url`:
    user-info, a ``password=`` parameter, an unencoded ``@``)."""
    from bvp_lib.redact import mask_url as _mask

    return _mask(url)


def _validate(s: Settings) -> Settings:
    if s.env not in ENVIRONMENTS:
        raise ConfigError(
            f"BVP_ENV={s.env!r} is not an environment; use one of {', '.join(ENVIRONMENTS)}."
        )
    solver = s.lp_solver.lower()
    if solver not in LP_SOLVERS:
        raise ConfigError(
            f"BVP_LP_SOLVER={s.lp_solver!r} is not supported; use one of {', '.join(LP_SOLVERS)}."
        )
    if s.env == "production" and not s.database_url:
        raise ConfigError(
            "BVP_ENV=production needs a database: setting 'database_url' is missing. Set BVP_DATABASE_URL "
            "(or SQLALCHEMY_DATABASE_URI) to the production PostgreSQL, or put `database_url = ...` in "
            "config/production.toml. Production never starts the embedded server."
        )
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"BVP_TIMEZONE={s.timezone!r} is not an IANA timezone (for example {DEFAULTS['timezone']})."
        ) from None
    clock = {}
    for attr, var in (("gate_closure", "BVP_GATE_CLOSURE"), ("price_publication", "BVP_PRICE_PUBLICATION")):
        try:
            t = dt.time.fromisoformat(str(getattr(s, attr)).strip())
        except ValueError:
            raise ConfigError(
                f"{var}={getattr(s, attr)!r} is not a clock time; write it as HH:MM (default {DEFAULTS[attr]})."
            ) from None
        clock[attr] = t.strftime("%H:%M")
    return replace(s, lp_solver=solver, **clock)


def get_settings(**overrides: str) -> Settings:
    """Resolve the settings from defaults, ``config/<env>.toml``, ``.env`` and the environment.

    Keyword ``overrides`` win over everything (used by tests and the CLI).
    """
    root = project_root()
    values: dict[str, str] = dict(DEFAULTS)
    sources: dict[str, str] = {}
    dotenv = {k: v for k, v in dotenv_values(root / ".env").items() if v is not None}

    def from_env_like(src: dict, label: str) -> None:
        seen = set()
        for var, attr in ENV_VARS:
            if var in src and attr not in seen and src[var] != "":
                values[attr] = src[var]
                sources[attr] = label
                seen.add(attr)

    # the environment name itself decides which file to read, so resolve it first
    env_name = os.environ.get("BVP_ENV") or dotenv.get("BVP_ENV") or overrides.get("env") or "development"
    env_file = root / "config" / f"{env_name}.toml"
    if env_file.exists():
        try:
            data = tomllib.loads(env_file.read_text())
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{env_file} is not valid TOML: {e}") from None
        unknown = set(data) - set(DEFAULTS)
        if unknown:
            raise ConfigError(
                f"{env_file}: unknown setting(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}."
            )
        for k, v in data.items():
            values[k] = str(v)
            sources[k] = str(env_file.relative_to(root))
    from_env_like(dotenv, ".env")
    from_env_like(os.environ, "environment")
    for k, v in overrides.items():
        values[k] = v
        sources[k] = "override"
    values["env"] = env_name if "env" not in overrides else overrides["env"]
    s = Settings(**values, root=root, sources=sources)
    # production never falls back to the embedded server: _validate refuses it without a URL
    return _validate(s)


def git_commit() -> str:
    """The short git commit of the project folder, "(with local changes)" when it has some;
    ``unknown`` outside a git checkout."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=get_settings().root, capture_output=True,
                             text=True, timeout=10)  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=get_settings().root,
                               capture_output=True, text=True, timeout=10).stdout.strip()  # fmt: skip
        return (out.stdout.strip() or "unknown") + (" (with local changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
