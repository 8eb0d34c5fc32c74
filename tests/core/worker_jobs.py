"""Jobs the worker tests enqueue (RQ imports a job's function by its dotted path)."""

from __future__ import annotations

import os
import time

from flask import current_app


def where_am_i() -> dict:
    return {"pid": os.getpid(), "app": current_app.import_name}


def take_a_while(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def fail() -> None:
    raise RuntimeError("this job fails on purpose")


def log_a_line() -> str:
    import logging

    logging.getLogger(__name__).warning("a line from inside the job")
    return "logged"
