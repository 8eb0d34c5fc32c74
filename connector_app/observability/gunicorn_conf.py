"""gunicorn settings of the web process (``--config python:connector_app.observability.gunicorn_conf``).

Command-line flags still override these. With ``PROMETHEUS_MULTIPROC_DIR`` set, a web worker that exits
is marked dead so its live gauges leave ``/metrics``.
"""

from __future__ import annotations

import os

accesslog = "-"
# The access line carries the request id the app puts on every response (X-Request-ID), and the path
# only (%(U)s, not the request line %(r)s, nor the referer): OAuth callbacks carry the authorization
# code and state in their query string.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
control_socket_disable = True  # several stacks on one machine must not share one control socket

if os.environ.get("LOG_FORMAT", "text").lower() == "json":
    # gunicorn's own lines (start-up, access log) as JSON too, through the app's formatter.
    _handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "connector_app.logging_setup.json_formatter"}},
        "handlers": {"console": _handler},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def child_exit(_server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
