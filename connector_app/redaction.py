"""A logging filter that blanks credentials out of every log record: the backstop behind the code
that already never logs them (transport errors name only the error type and the host).

It rewrites ``name=value`` (query strings, form bodies, ``repr`` of dicts/kwargs) and JSON
``"name": "value"`` pairs for the names in ``SECRET_NAMES``, in the message, its arguments and the
formatted traceback. Installed on the root logger's handlers and on gunicorn's, so every line any
library writes passes through it.
"""

from __future__ import annotations

import logging
import re

SECRET_NAMES = ("app_secret", "access_token", "refresh_token", "auth_code", "code", "state", "sign")
REDACTED = "[redacted]"

_NAMES = "|".join(SECRET_NAMES)
# name=value up to the next separator; "name": "value" and 'name': 'value' as JSON or repr writes them.
_PAIR = re.compile(rf"(?<![A-Za-z0-9_])({_NAMES})=([^&\s'\",;)\]}}]+)", re.IGNORECASE)
_QUOTED = re.compile(rf"""(["']({_NAMES})["']\s*:\s*["'])([^"']*)(["'])""", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the value of every secret-named parameter replaced by ``[redacted]``."""
    if not text:
        return text
    text = _PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return _QUOTED.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(4)}", text)


class RedactingFilter(logging.Filter):
    """Rewrites the record in place (message, arguments, traceback text); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # the handler would format the raw traceback again otherwise
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


FILTER = RedactingFilter()
_FILTER = FILTER


def install(*loggers: logging.Logger) -> None:
    """Add the filter to the root logger and its handlers (and to ``loggers`` and theirs), once each.

    Handler filters see records propagated from every child logger; the logger filter covers records
    logged directly on it. Gunicorn's own loggers do not propagate, so they are passed explicitly.
    """
    for logger in (logging.getLogger(), *loggers):
        targets = [logger, *logger.handlers]
        for target in targets:
            if _FILTER not in target.filters:
                target.addFilter(_FILTER)
