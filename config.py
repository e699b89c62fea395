"""Settings from the environment.

Three modes, chosen by RENKEI_ENV:
- ``demo`` (default): SQLite under ./instance, jobs in-process, sandbox providers,
  a generated secret kept in ./instance so sessions survive a restart.
- ``production``: every secret must come from the environment; the app refuses to
  start without a strong SECRET_KEY.
- ``test``: like production but the test-suite supplies the settings.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("RENKEI_INSTANCE_DIR", BASE_DIR / "instance"))
MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says how to fix it."""


def _demo_file(name: str, make) -> str:
    """Return a demo secret kept in the instance folder, generating it the first time."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _demo_secret() -> str:
    return _demo_file("secret_key", lambda: secrets.token_urlsafe(48))


def _fernet_key() -> str:
    # A Fernet key is 32 random bytes, url-safe base64 encoded.
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _require_encryption_keys(env: dict[str, str]) -> list[str]:
    keys = [k.strip() for k in env.get("RENKEI_ENCRYPTION_KEY", "").split(",") if k.strip()]
    for key in keys:
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (ValueError, binascii.Error):
            raw = b""
        if len(raw) != 32:
            raise ConfigError(
                "RENKEI_ENCRYPTION_KEY holds a key that is not a Fernet key "
                "(32 bytes, url-safe base64)."
            )
    if not keys:
        raise ConfigError(
            "RENKEI_ENCRYPTION_KEY must be set outside demo mode: it encrypts provider "
            "secrets and tokens at rest. Generate one with:\n"
            "  python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32))"
            ".decode())'\n"
            "To rotate, put the new key first and keep the old ones after it, comma-separated."
        )
    return keys


def _require_secret(env: dict[str, str]) -> str:
    key = env.get("SECRET_KEY", "")
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(
            "SECRET_KEY must be set to at least 32 bytes outside demo mode "
            f"(got {len(key.encode())}). Generate one with:\n"
            "  python -c 'import secrets; print(secrets.token_urlsafe(48))'\n"
            "and export it, e.g. SECRET_KEY=<that value> in the service's environment."
        )
    return key


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _smtp_settings(env: dict[str, str], mode: str) -> dict:
    """Outgoing mail (app/mail). Demo and tests default to the local sink on 8025."""
    local = mode in ("demo", "test")
    use_ssl = _flag(env, "SMTP_SSL", False)
    # Without a port: the sink locally; otherwise the submission port that goes with TLS.
    default_port = 8025 if local else (465 if use_ssl else 587)
    return {
        "SMTP_HOST": env.get("SMTP_HOST", "127.0.0.1" if local else ""),
        "SMTP_PORT": int(env.get("SMTP_PORT") or default_port),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        # A real relay gets STARTTLS unless told otherwise; the sink speaks plain SMTP.
        "SMTP_STARTTLS": _flag(env, "SMTP_STARTTLS", not local and not use_ssl),
        "SMTP_SSL": use_ssl,
        "SMTP_TIMEOUT": float(env.get("SMTP_TIMEOUT") or 10),
        # An email "sending" longer than this is shown as unknown (maybe sent); never resent alone.
        "EMAIL_SENDING_STALE_MINUTES": float(env.get("EMAIL_SENDING_STALE_MINUTES") or 15),
        "MAIL_FROM": env.get("MAIL_FROM", "Renkei <renkei@example.com>" if local else ""),
        # The demo's own SMTP sink (app/mail/sink.py) and its page at /sandbox/mail/.
        "MAIL_SINK_ENABLED": _flag(env, "RENKEI_MAIL_SINK", mode == "demo"),
    }


def reminder_hour(env: dict[str, str] | None = None) -> int:
    """RENKEI_REMINDER_HOUR: the hour (0–23, Asia/Tokyo) payment reminders go out daily."""
    env = os.environ if env is None else env
    raw = (env.get("RENKEI_REMINDER_HOUR") or "9").strip()
    if not raw.isdigit() or not 0 <= int(raw) <= 23:
        raise ConfigError(f"RENKEI_REMINDER_HOUR must be an hour from 0 to 23, not {raw!r}")
    return int(raw)


def _engine_options(database_url: str) -> dict:
    """SQLite (the demo) waits up to 30 s for another writer's lock (services/locking.py)."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {}


def load_config(env: dict[str, str] | None = None) -> dict:
    """Build the Flask config dict from ``env`` (os.environ by default)."""
    env = dict(os.environ if env is None else env)
    mode = env.get("RENKEI_ENV", "demo")
    if mode not in ("demo", "production", "test"):
        raise ConfigError(f"RENKEI_ENV must be demo, production or test, not {mode!r}")
    demo = mode == "demo"
    if demo:
        secret = env.get("SECRET_KEY") or _demo_secret()
        encryption_keys = (
            _require_encryption_keys(env)
            if env.get("RENKEI_ENCRYPTION_KEY")
            else [_demo_file("encryption_key", _fernet_key)]
        )
        default_db = f"sqlite:///{INSTANCE_DIR / 'renkei.db'}"
    else:
        secret = _require_secret(env)
        encryption_keys = _require_encryption_keys(env)
        default_db = None
    database_url = env.get("DATABASE_URL", default_db)
    if not database_url:
        raise ConfigError(
            "DATABASE_URL is required outside demo mode, e.g. "
            "postgresql+psycopg2://renkei@127.0.0.1:5432/renkei"
        )
    return {
        "RENKEI_ENV": mode,
        "DEMO_MODE": demo,
        "SECRET_KEY": secret,
        # Fernet keys for secrets at rest; the first encrypts, all decrypt (rotation).
        "ENCRYPTION_KEYS": encryption_keys,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        # Redis is optional in demo mode: without it jobs run in-process.
        "REDIS_URL": env.get("REDIS_URL", "" if demo else "redis://127.0.0.1:6379/0"),
        "RQ_QUEUE": env.get("RQ_QUEUE", "renkei"),
        "APP_NAME": "Renkei",
        "APP_THEME": "",
        "AUTH_TYPE": AUTH_DB,
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        # Migrations own the schema; FAB must not create tables at start-up.
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,
        "FAB_ADD_SECURITY_API": False,  # FAB 5.3 + marshmallow 4: KeyError permission_id
        # app.api.openapi serves the document and Swagger UI instead of FAB's views.
        "FAB_ADD_OPENAPI_VIEWS": False,
        "FAB_API_SWAGGER_UI": True,
        "FAB_API_MAX_PAGE_SIZE": 500,
        "AUTH_RATE_LIMITED": True,
        "AUTH_RATE_LIMIT": env.get("AUTH_RATE_LIMIT", "10 per 20 second"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") == "1",
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not demo and env.get("SESSION_COOKIE_SECURE", "1") == "1",
        "BABEL_DEFAULT_LOCALE": env.get("RENKEI_LOCALE", "ja_JP"),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "RENKEI_DISPLAY_TIMEZONE": env.get("RENKEI_TIMEZONE", "Asia/Tokyo"),
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "app" / "translations"),
        "LANGUAGES": {
            "ja_JP": {"flag": "jp", "name": "日本語"},
            "en": {"flag": "gb", "name": "English"},
        },
        "CSV_EXPORT_BATCH": 500,
        # Zips of PDFs: more ticked rows than this are zipped by jobs, in chunks of
        # PDF_BUNDLE_CHUNK documents across the workers; at most PDF_BUNDLE_MAX per zip.
        "PDF_ZIP_INLINE_MAX": int(env.get("RENKEI_PDF_ZIP_INLINE_MAX") or 20),
        "PDF_BUNDLE_CHUNK": int(env.get("RENKEI_PDF_BUNDLE_CHUNK") or 50),
        "PDF_BUNDLE_MAX": int(env.get("RENKEI_PDF_BUNDLE_MAX") or 5000),
        # A CSV of more rows is written by a job (progress page, download link); below,
        # it is sent at once. RENKEI_EXPORT_DIR: where job exports are kept (default the
        # instance folder's exports/; shared by web and worker machines).
        "RENKEI_CSV_INLINE_MAX_ROWS": int(env.get("RENKEI_CSV_INLINE_MAX_ROWS") or 50_000),
        "RENKEI_EXPORT_DIR": env.get("RENKEI_EXPORT_DIR", ""),
        "RENKEI_EXPORT_KEEP_HOURS": float(env.get("RENKEI_EXPORT_KEEP_HOURS") or 24),
        "FISCAL_YEAR_START_MONTH": int(env.get("FISCAL_YEAR_START_MONTH") or 4),  # 4 = April
        # The provider emulators (app/sandbox) mounted under /sandbox: the demo's
        # providers. Off in production unless asked for.
        "SANDBOX_ENABLED": env.get("RENKEI_SANDBOX", "1" if demo else "0") == "1",
        "SANDBOX_STATE_PATH": str(INSTANCE_DIR / "sandbox.json") if demo else None,
        # Hold every sandbox exchange to the providers' OpenAPI files (openapi-core):
        # on in the tests, so the whole suite talks to spec-checked sandboxes.
        "SANDBOX_VALIDATE": mode == "test" or env.get("RENKEI_SANDBOX_VALIDATE") == "1",
        **_smtp_settings(env, mode),
        **_sync_settings(env, mode),
        "REMINDER_HOUR": reminder_hour(env),
    }


def _sync_settings(env: dict[str, str], mode: str) -> dict:
    """Sync runs' heartbeat, and where provider URLs may point (services/provider_urls.py)."""
    local = mode in ("demo", "test")
    hosts = env.get("RENKEI_PROVIDER_URL_ALLOWED_HOSTS", "")
    return {
        # A running sync run writes a heartbeat this often; one silent for longer than
        # the stale limit (its worker died) is marked "unknown — may have been created".
        "SYNC_HEARTBEAT_SECONDS": float(env.get("RENKEI_SYNC_HEARTBEAT_SECONDS") or 15),
        "SYNC_HEARTBEAT_STALE_MINUTES": float(env.get("RENKEI_SYNC_HEARTBEAT_STALE_MINUTES") or 5),
        # Provider URLs must be https on public addresses, so an edited token URL cannot
        # send the client secret to an internal service. The demo and the tests serve
        # their sandboxes over plain http on loopback, so they allow private addresses.
        "ALLOW_PRIVATE_PROVIDER_URLS": _flag(env, "RENKEI_ALLOW_PRIVATE_PROVIDER_URLS", local),
        # Host names allowed even on private addresses (e.g. an outgoing proxy); https only.
        "PROVIDER_URL_ALLOWED_HOSTS": [h.strip().lower() for h in hosts.split(",") if h.strip()],
    }
