"""Server-side login records: a login is a row, and a cookie is only as good as its row.

- ``start_login`` creates the record (flush); the view commits, then calls ``login_user``.
- ``load_login`` is the user loader: the cookie's ``{session_token}:{login token}`` must name a live
  record of a seller whose session token still matches (a password change rotates it), before its
  ``expires_at`` (the remember duration, 30 days) and, for a login without "keep me signed in",
  within the idle timeout.
- Idle time is kept in Redis (``connector:login-seen:{token}``, refreshed at most once a minute), so a
  GET never writes to the database. A login whose mark has expired is over.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from sqlalchemy import delete, select

from connector_app.accounts.models import LoginSession, Seller
from connector_app.extensions import db, rq
from connector_app.timeutil import utcnow

log = logging.getLogger(__name__)
TOUCH_EVERY = 60  # seconds between idle-mark refreshes of one login


def _seen_key(token: str) -> str:
    return f"connector:login-seen:{token}"


def _idle_seconds() -> int:
    return max(60, int(current_app.config["SESSION_IDLE_MINUTES"]) * 60)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def start_login(seller: Seller, *, remember: bool) -> LoginSession:
    duration: timedelta = current_app.config["REMEMBER_COOKIE_DURATION"]
    record = LoginSession(
        seller_id=seller.id,
        remember=bool(remember),
        expires_at=utcnow() + duration,
        user_agent=(request.user_agent.string or "")[:200],
        remote_addr=(request.remote_addr or "")[:64],
    )
    db.session.add(record)
    seller.last_login_at = utcnow()
    db.session.flush()
    seller.login_token = record.token
    _touch(record.token, force=True)
    return record


def _touch(token: str, *, force: bool = False) -> None:
    key = _seen_key(token)
    connection = rq.connection
    now = int(time.time())
    if not force:
        last = connection.get(key)
        if last is not None and now - int(last) < TOUCH_EVERY:
            return
    connection.set(key, now, ex=_idle_seconds())


def last_seen(token: str) -> datetime | None:
    raw = rq.connection.get(_seen_key(token))
    return datetime.fromtimestamp(int(raw), UTC) if raw is not None else None


def load_login(user_id: str) -> Seller | None:
    """Flask-Login's user loader (session cookie and remember cookie alike)."""
    session_token, _, login_token = (user_id or "").partition(":")
    if not session_token or not login_token:
        return None  # a cookie from before login records existed: log in again
    row = db.session.execute(
        select(Seller, LoginSession)
        .join(LoginSession, LoginSession.seller_id == Seller.id)
        .where(Seller.session_token == session_token, LoginSession.token == login_token)
    ).one_or_none()
    if row is None:
        return None
    seller, record = row
    if _aware(record.expires_at) <= utcnow():
        return None
    try:
        if not record.remember and rq.connection.get(_seen_key(record.token)) is None:
            return None  # idle for longer than SESSION_IDLE_MINUTES
        _touch(record.token)
    except Exception:  # Redis unreachable: the record and its expiry still decide
        log.warning("login idle marks unavailable; relying on the login record only")
    seller.login_token = record.token
    return seller


def end_login(seller: Seller) -> None:
    """Logout: this device's record goes, so neither of its cookies works again."""
    if seller.login_token:
        end_logins(seller, only=seller.login_token)


def end_logins(seller: Seller, *, only: str | None = None, keep: str | None = None) -> int:
    """Delete login records of ``seller``: one (``only``), or all but ``keep``. Returns how many."""
    query = select(LoginSession.token).where(LoginSession.seller_id == seller.id)
    if only is not None:
        query = query.where(LoginSession.token == only)
    if keep is not None:
        query = query.where(LoginSession.token != keep)
    tokens = list(db.session.scalars(query))
    if tokens:
        db.session.execute(delete(LoginSession).where(LoginSession.token.in_(tokens)))
        db.session.flush()
        try:
            rq.connection.delete(*[_seen_key(t) for t in tokens])
        except Exception:
            log.warning("could not clear idle marks of %d ended logins", len(tokens))
    return len(tokens)


def active_logins(seller: Seller) -> list[LoginSession]:
    """The seller's logins that still work, newest first (for the list in Settings)."""
    now = utcnow()
    records = db.session.scalars(
        select(LoginSession).where(LoginSession.seller_id == seller.id).order_by(LoginSession.id.desc())
    ).all()
    return [r for r in records if _aware(r.expires_at) > now and (r.remember or last_seen(r.token))]


def is_remembered(seller: Seller) -> bool:
    if not seller.login_token:
        return False
    return bool(
        db.session.scalar(select(LoginSession.remember).where(LoginSession.token == seller.login_token))
    )


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """ "Chrome on Linux" from a User-Agent string (good enough to recognise one's own devices)."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"
