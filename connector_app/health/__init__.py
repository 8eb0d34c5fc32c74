"""Health and operations endpoints.

- ``/healthz``: web readiness (database and Redis). The public gets ``ok`` / ``unavailable``; an
  operator also gets the details. Workers do not count: a worker outage must not take web nodes out
  of a load balancer. Workers are probed with ``flask worker --check``.
- ``/status``: the operator's page (queue depth, oldest job, workers, last sync per shop, webhook lag).
- ``/metrics``: Prometheus text format.

"Operator" means the request carries ``OPERATOR_TOKEN`` or comes straight from loopback
(``connector_app.health.access``).
"""

from flask import Blueprint

bp = Blueprint("health", __name__)

from connector_app.health import routes  # noqa: E402,F401
