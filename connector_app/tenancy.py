"""Multi-tenancy: the ONE place that scopes queries to a seller.

Every seller-owned model mixes in :class:`SellerOwned`; views and jobs read through
:func:`for_seller` / :func:`get_for_seller_or_404` (or :func:`table_for_seller` for plain rows) and
never filter on ``seller_id`` themselves.
Another seller's object is a 404, never a 403: we do not confirm that it exists.
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import BigInteger, ForeignKey, Integer, Select, Table, bindparam, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from connector_app.extensions import db

M = TypeVar("M", bound="SellerOwned")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _fits(model, key: str, value) -> bool:
    """Whether ``value`` can be bound to ``model``'s column ``key``: an integer beyond the column's
    range (a 32-bit ``Integer`` on PostgreSQL, any column beyond 64 bits) matches no row, and the
    database refuses to bind it rather than find nothing."""
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    column = model.__table__.c.get(key)
    if column is not None and isinstance(column.type, Integer) and not isinstance(column.type, BigInteger):
        return _INT32_MIN <= value <= _INT32_MAX
    return _INT64_MIN <= value <= _INT64_MAX


class SellerOwned:
    """Mixin for rows that belong to one seller.

    ``seller_id`` gets its own index unless the model sets ``seller_id_indexed = False`` because its
    composite indexes all start with ``seller_id`` already. A redundant single-column index costs every
    write, and without statistics SQLite's planner prefers it to the composite one a query needs.
    """

    seller_id_indexed = True

    @declared_attr
    def seller_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(
            ForeignKey("sellers.id", ondelete="CASCADE"), index=cls.seller_id_indexed, nullable=False
        )


# A statement built once and run for any seller (a hot page's queries: building and hashing a statement
# costs more than running it) names its seller with this parameter; see ``seller_param``.
SELLER = bindparam("tenancy_seller_id", type_=Integer)


def seller_param(seller=None) -> dict[str, int]:
    """The parameter value of ``SELLER`` for a statement built with it."""
    return {SELLER.key: _seller_id(seller)}


def _seller_id(seller) -> int:
    if seller is None:
        seller = current_user
    seller_id = seller if isinstance(seller, int) else getattr(seller, "id", None)
    if seller_id is None:
        raise PermissionError("a seller is required to read seller-owned data")
    return seller_id


def for_seller(model: type[M], seller=None) -> Select:
    """``select(model)`` restricted to one seller (the logged-in seller by default; ``SELLER``: built
    once, run with ``seller_param``)."""
    if seller is SELLER:
        return select(model).where(model.seller_id == SELLER)
    return select(model).where(model.seller_id == _seller_id(seller))


def table_for_seller(table: Table, seller=None) -> Select:
    """``select(table)`` restricted to one seller — the same rule for reads of plain rows (Core, no ORM
    objects), which hot pages use to skip the ORM's per-object work. ``seller`` may be ``SELLER``: the
    statement is then built once and run with ``seller_param(seller)``."""
    if seller is SELLER:
        return select(table).where(table.c.seller_id == SELLER)
    return select(table).where(table.c.seller_id == _seller_id(seller))


def get_for_seller(model: type[M], seller=None, **criteria) -> M | None:
    """The seller's row matching ``criteria`` (column=value), or None."""
    if not all(_fits(model, key, value) for key, value in criteria.items()):
        return None
    query = for_seller(model, seller).filter_by(**criteria)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def get_for_seller_or_404(model: type[M], ident=None, seller=None, **criteria) -> M:
    """The seller's row by primary key (or ``criteria``); 404 when missing or someone else's.

    An integer the column cannot hold (``/connect/etsy/99999999999999999999/disconnect``, or beyond 2^31
    for a 32-bit id on PostgreSQL) is a 404 too: the database refuses to bind it rather than find nothing.
    """
    if ident is not None:
        criteria[model.__mapper__.primary_key[0].key] = ident
    if not all(_fits(model, key, value) for key, value in criteria.items()):
        abort(404)
    obj = get_for_seller(model, seller, **criteria)
    if obj is None:
        abort(404)
    return obj
