"""Processes of their own for the fault tests, against the test's database and Redis (settings in
``CONNECTOR_TEST_CONFIG``), with the file mail backend (``tests.notifications.mail_backend``).

- ``flask --app tests.notifications.child:create worker --burst``: a real RQ worker for the queue.
- ``python -m tests.notifications.child tick <rounds>``: the scheduled tick, ``rounds`` times;
  ``... event <seller_id> <pk,pk>``: the event path for these requests. Both start at
  ``ALERT_TEST_START_AT`` (a unix time), so processes started one after another run at once.
"""

from __future__ import annotations

import json
import os
import sys
import time

from flask import Flask

from connector_app import create_app
from connector_app.config import TestConfig


def create() -> Flask:
    return create_app(type("ChildConfig", (TestConfig,), json.loads(os.environ["CONNECTOR_TEST_CONFIG"])))


def main(argv: list[str]) -> int:
    app = create()
    with app.app_context():
        from connector_app.notifications import jobs

        time.sleep(max(0.0, float(os.environ.get("ALERT_TEST_START_AT") or 0) - time.time()))
        if argv[0] == "tick":
            for _ in range(int(argv[1])):
                jobs.tick()
        elif argv[0] == "event":
            jobs.alerts_for_requests(int(argv[1]), [int(pk) for pk in argv[2].split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
