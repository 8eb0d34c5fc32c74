"""Abuse limits on everything that checks a password or costs an Argon2 hash: Flask-Limiter on the
app's own Redis (the connection ``connector_app.queue`` opens), moving windows counted atomically in
Redis *before* the password is verified, so parallel guesses cannot slip past the count.

- Per account (the email in the form, or the logged-in seller) and per client address (after
  ``ProxyFix``). The limits are stacked windows ("5/minute;10/10 minutes;20/hour;50/day"): each one
  passed makes the next wait longer — progressive back-off, never a lockout that outlasts a day.
- A device that has logged into that account before (a signed "known device" cookie set at each
  successful login) is never refused: an attacker guessing passwords cannot lock the owner out.
- When an account's limit is hit, its owner gets one email about it (at most one an hour).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import RedisStorage, Storage

from connector_app.extensions import rq

log = logging.getLogger(__name__)

DEVICE_COOKIE = "known_device"
DEVICE_MAX_AGE = 180 * 24 * 3600


class AppRedisStorage(RedisStorage):
    """``limits`` storage on the app's Redis connection, opened on first use (like the queue).

    The parent binds its Lua scripts to one client at construction; here they are bound to whichever
    connection the current app has, when first used with it.
    """

    STORAGE_SCHEME = ["connector-app"]
    _SCRIPTS = (
        "lua_moving_window",
        "lua_acquire_moving_window",
        "lua_clear_keys",
        "lua_incr_expire",
        "lua_sliding_window",
        "lua_acquire_sliding_window",
    )

    def __init__(self, uri: str, key_prefix: str = RedisStorage.PREFIX, wrap_exceptions: bool = False, **_):
        Storage.__init__(self, uri, wrap_exceptions=wrap_exceptions)
        self.key_prefix = key_prefix
        self.target_server = "redis"
        self.dependency = self.dependencies["redis"].module
        self._bound: dict[int, dict] = {}

    def _scripts(self) -> dict:
        connection = rq.connection
        scripts = self._bound.get(id(connection))
        if scripts is None:
            scripts = {
                f"lua_{name.lower()}": connection.register_script(getattr(RedisStorage, f"SCRIPT_{name}"))
                for name in ("MOVING_WINDOW", "ACQUIRE_MOVING_WINDOW", "CLEAR_KEYS", "INCR_EXPIRE")
                + ("SLIDING_WINDOW", "ACQUIRE_SLIDING_WINDOW")
            }
            self._bound = {id(connection): scripts}
        return scripts

    def get_connection(self, readonly: bool = False):
        return rq.connection

    def __getattr__(self, name: str):
        if name in AppRedisStorage._SCRIPTS:
            return self._scripts()[name]
        raise AttributeError(name)


for _name in AppRedisStorage._SCRIPTS:  # the parent declares them as class annotations only
    if hasattr(AppRedisStorage, _name):
        delattr(AppRedisStorage, _name)


def _scoped(key: str) -> str:
    """Keys carry the app's queue name: apps sharing one Redis (several stacks, test workers) never
    count each other's attempts. (One ``Limiter`` serves every app of the process, so its own
    ``key_prefix`` cannot differ per app.)"""
    return f"{current_app.config['RQ_QUEUE']}|{key}"


def client_address() -> str:
    return _scoped(f"ip:{request.remote_addr or 'unknown'}")


limiter = Limiter(
    key_func=client_address, storage_uri="connector-app://", strategy="moving-window", key_prefix="connector"
)


def init_app(app: Flask) -> None:
    limiter.init_app(app)


# -- known devices ----------------------------------------------------------------------------------


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def device_cookie_value(seller_id: int) -> str:
    return _device_serializer().dumps({"s": seller_id})


def known_device_seller() -> int | None:
    """The seller id this browser has logged into before (signed cookie), or None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        return int(_device_serializer().loads(raw, max_age=DEVICE_MAX_AGE)["s"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def _known_device_for_form_email() -> bool:
    from connector_app.accounts.services import find_by_email  # services import this module

    seller_id = known_device_seller()
    if seller_id is None:
        return False
    seller = find_by_email(request.form.get("email") or "")
    return seller is not None and seller.id == seller_id


# -- keys and limits --------------------------------------------------------------------------------


def email_key() -> str:
    from connector_app.accounts.services import normalize_email

    return _scoped("account:" + normalize_email(request.form.get("email") or "")[:254])


def seller_key() -> str:
    return _scoped(f"seller:{current_user.id}") if current_user.is_authenticated else client_address()


def configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _notify_owner(limit: RequestLimit) -> None:
    """The account's owner hears that someone is being throttled on their account (once an hour)."""
    from connector_app.accounts import mail, services

    key = limit.key
    seller = None
    if current_user.is_authenticated:
        seller = current_user._get_current_object()
    elif "account:" in key:
        seller = services.find_by_email(request.form.get("email") or "")
    if seller is None:
        return
    try:
        first = rq.connection.set(f"connector:throttle-notice:{seller.id}", 1, nx=True, ex=3600)
    except Exception:
        return
    if first:
        mail.send_throttled_notice(seller, request.remote_addr or "unknown")


def on_account_breach(limit: RequestLimit):
    _notify_owner(limit)
    return None  # Flask-Limiter raises its 429, rendered by the view's handler


def exempt_known_device() -> bool:
    return _known_device_for_form_email()


login_account_limit = limiter.shared_limit(
    configured("LOGIN_LIMITS_PER_ACCOUNT"),
    scope="login-account",
    key_func=email_key,
    methods=["POST"],
    exempt_when=exempt_known_device,
    on_breach=on_account_breach,
)
login_ip_limit = limiter.shared_limit(
    configured("LOGIN_LIMITS_PER_IP"), scope="login-ip", methods=["POST"], exempt_when=exempt_known_device
)
signup_limit = limiter.limit(configured("SIGNUP_LIMITS_PER_IP"), methods=["POST"], scope="signup-ip")
reset_account_limit = limiter.shared_limit(
    configured("RESET_LIMITS"), scope="reset-account", key_func=email_key, methods=["POST"]
)
reset_ip_limit = limiter.shared_limit(configured("LOGIN_LIMITS_PER_IP"), scope="reset-ip", methods=["POST"])
# Password change and account deletion: one budget per seller, shared by both forms.
reauth_limit = limiter.shared_limit(
    configured("REAUTH_LIMITS_PER_ACCOUNT"),
    scope="reauth",
    key_func=seller_key,
    methods=["POST"],
    on_breach=on_account_breach,
)
