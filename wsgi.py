"""WSGI entry point: ``gunicorn wsgi:app``."""

from connector_app import create_app

app = create_app()
