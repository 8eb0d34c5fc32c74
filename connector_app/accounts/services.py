"""Account changes. Functions flush; the request commits once."""

from __future__ import annotations

import contextlib
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select

from connector_app.accounts import sessions
from connector_app.accounts.models import Seller, new_session_token
from connector_app.extensions import db
from connector_app.timeutil import utcnow

_hashers: dict[tuple, PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """Argon2id with the library's recommended parameters, unless ``ARGON2_*`` settings say otherwise
    (the test configuration makes hashing cheap; a stored hash keeps its own parameters)."""
    config = current_app.config
    defaults = PasswordHasher()
    params = (
        config.get("ARGON2_TIME_COST") or defaults.time_cost,
        config.get("ARGON2_MEMORY_COST") or defaults.memory_cost,
        config.get("ARGON2_PARALLELISM") or defaults.parallelism,
    )
    if params not in _hashers:
        _hashers[params] = PasswordHasher(time_cost=params[0], memory_cost=params[1], parallelism=params[2])
    return _hashers[params]


_dummy_hash: str | None = None


class EmailTaken(ValueError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Seller | None:
    return db.session.execute(
        select(Seller).where(Seller.email_key == normalize_email(email))
    ).scalar_one_or_none()


def get_seller(seller_id: int) -> Seller | None:
    return db.session.get(Seller, seller_id)


def known_timezone(name: str | None) -> str | None:
    """``name`` if it is an IANA timezone this machine knows (a browser's guess), else None."""
    if not name or len(name) > 64 or name not in available_timezones():
        return None
    return name


def create_seller(email: str, password: str, timezone: str | None = None) -> Seller:
    """A new seller; ``timezone`` (the browser's) becomes theirs when it is a known zone, else UTC."""
    if find_by_email(email) is not None:
        raise EmailTaken(email)
    seller = Seller(
        email=email.strip(),
        email_key=normalize_email(email),
        password_hash=_hasher().hash(password),
        timezone=known_timezone(timezone) or "UTC",
    )
    db.session.add(seller)
    db.session.flush()
    return seller


def check_password(seller: Seller, password: str) -> bool:
    try:
        _hasher().verify(seller.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher().check_needs_rehash(seller.password_hash):
        seller.password_hash = _hasher().hash(password)
    return True


def burn_password_check(password: str) -> None:
    """An unknown email costs the same Argon2 verification as a known one (no timing oracle)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher().hash("not a password anyone has")
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher().verify(_dummy_hash, password)


def authenticate(email: str, password: str) -> Seller | None:
    seller = find_by_email(email)
    if seller is None:
        burn_password_check(password)
        return None
    return seller if check_password(seller, password) else None


def set_password(seller: Seller, password: str) -> None:
    """Change the password and end every other login (the current one, if any, stays).

    The session token rotates too, so a cookie of an ended login fails even before its record is
    looked up; the caller logs the current device in again with the new token.
    """
    seller.password_hash = _hasher().hash(password)
    seller.session_token = new_session_token()
    sessions.end_logins(seller, keep=seller.login_token)
    db.session.flush()


def mark_email_verified(seller: Seller) -> bool:
    if seller.email_verified_at is not None:
        return False
    seller.email_verified_at = utcnow()
    db.session.flush()
    return True
