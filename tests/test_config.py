"""Settings: defaults, per-environment file, .env, environment variables, clear errors."""

from __future__ import annotations

import pytest

from bvp_lib.config import Settings, ConfigError, get_settings
from bvp_lib.db import embedded
from bvp_lib.db.engine import mask_url


@pytest.fixture
def root(tmp_path, monkeypatch):
    for var in ("BVP_ENV", "BVP_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "BVP_LP_SOLVER", "BVP_TIMEZONE",
                "BVP_DATABASE_NAME", "BVP_POSTGRES_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BVP_PROJECT_ROOT", str(tmp_path))
    (tmp_path / "config").mkdir()
    return tmp_path


def test_defaults(root):
    s = get_settings()
    assert (s.env, s.lp_solver, s.timezone, s.database_url) == ("development", "cbc", "Europe/Berlin", "")
    assert s.uses_embedded_server and s.postgres_path == root / "data" / "postgres"


def test_precedence_file_then_dotenv_then_environment(root, monkeypatch):
    (root / "config" / "staging.toml").write_text('lp_solver = "highs"\ntimezone = "Europe/Amsterdam"\n')
    (root / ".env").write_text("BVP_ENV=staging\nBVP_TIMEZONE=Europe/Paris\n")
    s = get_settings()
    assert s.env == "staging" and s.lp_solver == "highs" and s.timezone == "Europe/Paris"
    assert s.sources["lp_solver"] == "config/staging.toml" and s.sources["timezone"] == ".env"
    monkeypatch.setenv("BVP_TIMEZONE", "UTC")
    assert get_settings().timezone == "UTC"


def test_sqlalchemy_uri_alias(root, monkeypatch):
    monkeypatch.setenv("SQLALCHEMY_DATABASE_URI", "postgresql://u:secret@h/db")
    s = get_settings()
    assert s.database_url == "postgresql://u:secret@h/db" and not s.uses_embedded_server
    assert "secret" not in str(s.describe())


@pytest.mark.parametrize(
    "var, value, match",
    [("BVP_ENV", "prod", "not an environment"), ("BVP_LP_SOLVER", "gurobi", "not supported"),
     ("BVP_TIMEZONE", "Mars/Base", "not an IANA timezone")],
)
def test_bad_values_named(root, monkeypatch, var, value, match):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=f"{var}.*{match}"):
        get_settings()


def test_bad_config_file_named(root):
    (root / "config" / "development.toml").write_text("lp_solvr = 'cbc'\n")
    with pytest.raises(ConfigError, match="development.toml: unknown setting.*lp_solvr"):
        get_settings()


def test_production_refuses_embedded_server_and_names_setting(root, monkeypatch):
    monkeypatch.setenv("BVP_ENV", "production")
    # settings that cannot work are refused when they are resolved, before any command does work
    with pytest.raises(ConfigError, match="BVP_ENV=production needs a database: setting 'database_url'.*BVP_DATABASE_URL"):
        get_settings()
    monkeypatch.setenv("BVP_DATABASE_URL", "postgresql://u:pw@db/bvp")
    s = get_settings()
    assert not s.uses_embedded_server
    with pytest.raises(ConfigError, match="database_url.*BVP_DATABASE_URL"):
        embedded.start(Settings(env="production"))  # the embedded module refuses it too


def test_mask_url():
    assert mask_url("postgresql://bvp:hunter2@db:5432/bvp") == "postgresql://bvp:***@db:5432/bvp"
    assert "hunter2" not in mask_url("postgresql+psycopg2://bvp:hunter2@db/bvp")
