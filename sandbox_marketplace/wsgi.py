"""WSGI entry point: ``gunicorn sandbox_marketplace.wsgi:app``."""

from . import create_app

app = create_app()
