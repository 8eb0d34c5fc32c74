"""Search text: what a seller types, folded the same way as what is stored.

A request's ``search_text`` is written by ``returns.services`` whenever the request is written: its ids
(return or cancellation id, order id), the return's tracking number, and each item's SKU, product and
variant names, all *folded* — lower-cased (``casefold``) and stripped of accents — so "macrame" finds
"Macramé" on SQLite and PostgreSQL alike, with no per-row function at query time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

MAX_SEARCH_TEXT = 4000

# Letters that carry no combining mark to strip (NFKD leaves them whole); what sellers type instead.
_PLAIN = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"})


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form of ``text`` ("Macramé Wall Hanging" → "macrame wall hanging")."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()  # nothing to strip, and casefold() of ASCII is lower()
    return _fold_unicode(text)


@lru_cache(maxsize=4096)  # a sync writes the same product and variant names page after page
def _fold_unicode(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.translate(_PLAIN)


def search_text(parts: Iterable[str | None]) -> str:
    """The stored search column: the folded, non-empty ``parts`` joined by spaces (bounded)."""
    return " ".join(fold(part) for part in parts if part)[:MAX_SEARCH_TEXT]
