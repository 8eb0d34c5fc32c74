"""Parse input once: the one place that turns query strings, form fields and URL segments into
integers and ids. ``str.isdigit`` and ``int()`` accept "²" and "٣", and a NUL byte reaches PostgreSQL
as an error: every route uses these instead, so hostile input is a 4xx, never a 500.

- ``parse_int`` / ``parse_id``: ASCII digits only, at most 19 of them, within bounds; else None.
- ``parse_key``: a marketplace id, job id or idempotency key: 1–64 characters of ``[0-9A-Za-z_.:-]``.
- URL converters ``<id:...>`` (an int) and ``<key:...>`` (a string) apply the same rules: a path that
  does not match is a 404 before any view runs.
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import BaseConverter

INT64_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(r"[0-9A-Za-z_.:\-]{1,64}")


def parse_int(value: str | None, *, minimum: int = 0, maximum: int = INT64_MAX) -> int | None:
    """``value`` as an int when it is plain ASCII digits within [minimum, maximum]; else None."""
    if value is None or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def parse_id(value: str | None) -> int | None:
    """A database id: a positive 64-bit integer."""
    return parse_int(value, minimum=1)


def parse_key(value: str | None) -> str | None:
    return value if value is not None and _KEY.fullmatch(value) else None


class IdConverter(BaseConverter):
    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        from werkzeug.routing import ValidationError

        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class KeyConverter(BaseConverter):
    regex = r"[0-9A-Za-z_.:\-]{1,64}"


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["key"] = KeyConverter
