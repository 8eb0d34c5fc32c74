"""What an operator sees: health probes, Prometheus metrics, request/job ids in logs (no blueprint here;
the endpoints live in ``connector_app.health``)."""
