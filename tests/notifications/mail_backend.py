"""A mail backend for tests whose senders run in other processes: every message is a file, and the
backend can be told to stop and wait (to be killed) when it connects or when it sends.

``ALERT_TEST_MAILDIR``: where messages go (``<pid>-<n>.eml``). ``ALERT_TEST_HANG`` = ``open`` or
``send``: write ``ALERT_TEST_MARK`` and sleep there until killed.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from flask_mailman.backends.base import BaseEmailBackend

_count = itertools.count(1)


def _hang(where: str) -> None:
    if os.environ.get("ALERT_TEST_HANG") == where:
        Path(os.environ["ALERT_TEST_MARK"]).write_text(where)
        time.sleep(3600)


class EmailBackend(BaseEmailBackend):
    def open(self):
        _hang("open")
        return True

    def send_messages(self, email_messages):
        _hang("send")
        folder = Path(os.environ["ALERT_TEST_MAILDIR"])
        for message in email_messages:
            path = folder / f"{os.getpid()}-{next(_count)}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(email_messages)


def sent_files(folder: Path) -> list[str]:
    return [path.read_text() for path in sorted(folder.glob("*.eml"))]
