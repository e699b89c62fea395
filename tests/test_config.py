"""Settings: demo defaults, and a refusal to start without a strong SECRET_KEY elsewhere."""

import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_demo_defaults_to_sqlite_and_in_process_jobs(tmp_path, monkeypatch):
    monkeypatch.setattr("config.INSTANCE_DIR", tmp_path)
    config = load_config({"RENKEI_ENV": "demo"})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["REDIS_URL"] == ""
    assert len(config["SECRET_KEY"]) >= 32
    # the generated key is kept, so sessions survive a restart
    assert load_config({"RENKEI_ENV": "demo"})["SECRET_KEY"] == config["SECRET_KEY"]


@pytest.mark.parametrize("secret", [None, "", "short-secret"])
def test_production_refuses_a_missing_or_weak_secret(secret):
    env = {"RENKEI_ENV": "production", "DATABASE_URL": "postgresql://x/y"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SECRET_KEY must be set to at least 32 bytes"):
        load_config(env)


KEY = "bq5pKOlH6uKzGQ0K0V4Y1mCQ3zD1C3Tq9S7n8m2vW4E="


def test_production_needs_a_database_url():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config(
            {"RENKEI_ENV": "production", "SECRET_KEY": "x" * 40, "RENKEI_ENCRYPTION_KEY": KEY}
        )


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_production_needs_an_encryption_key(key):
    env = {"RENKEI_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql://x"}
    if key:
        env["RENKEI_ENCRYPTION_KEY"] = key
    with pytest.raises(ConfigError, match="RENKEI_ENCRYPTION_KEY"):
        load_config(env)


def test_production_config_is_strict():
    config = load_config(
        {
            "RENKEI_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgresql://x/y",
            "RENKEI_ENCRYPTION_KEY": f"{KEY}, {KEY}",
        }
    )
    assert config["ENCRYPTION_KEYS"] == [KEY, KEY]
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["WTF_CSRF_ENABLED"] is True


def test_the_app_will_not_start_without_a_secret_and_says_how():
    """Start the app as gunicorn would, with no SECRET_KEY: it stops with instructions."""
    env = {"RENKEI_ENV": "production", "DATABASE_URL": "postgresql://x/y", "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr
