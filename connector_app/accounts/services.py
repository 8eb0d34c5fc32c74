"""Account changes. Functions flush; the request commits once."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from connector_app.accounts.models import LoginFailure, Seller, new_session_token
from connector_app.extensions import db
from connector_app.observability.metrics import observe_login_failure
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


class EmailTaken(ValueError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Seller | None:
    return db.session.execute(
        select(Seller).where(Seller.email_key == normalize_email(email))
    ).scalar_one_or_none()


def create_seller(email: str, password: str) -> Seller:
    if find_by_email(email) is not None:
        raise EmailTaken(email)
    seller = Seller(
        email=email.strip(), email_key=normalize_email(email), password_hash=_hasher().hash(password)
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


def set_password(seller: Seller, password: str) -> None:
    """Change the password and end every other session (they carry the old session token)."""
    seller.password_hash = _hasher().hash(password)
    seller.session_token = new_session_token()
    db.session.flush()


def recent_failures(email: str, remote_addr: str, window_seconds: int) -> int:
    since = utcnow() - timedelta(seconds=window_seconds)
    by_email = db.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.email_key == normalize_email(email), LoginFailure.created_at >= since)
    )
    by_addr = db.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.remote_addr == remote_addr, LoginFailure.created_at >= since)
    )
    # An address gets more room than one email: several sellers may share an office network.
    return max(by_email or 0, (by_addr or 0) // 4)


def record_failure(email: str, remote_addr: str, seller: Seller | None) -> None:
    db.session.add(
        LoginFailure(
            email_key=normalize_email(email),
            remote_addr=remote_addr,
            seller_id=seller.id if seller else None,
        )
    )
    db.session.flush()
    observe_login_failure()


def clear_failures(email: str) -> None:
    """A successful login forgives the earlier failures for that email."""
    db.session.execute(
        LoginFailure.__table__.delete().where(LoginFailure.email_key == normalize_email(email))
    )


def record_login(seller: Seller) -> None:
    seller.last_login_at = utcnow()
    db.session.flush()
