"""WSGI entry point: ``gunicorn wsgi:app`` (and ``flask --app wsgi …``): logging, then the app."""

from connector_app import create_app
from connector_app.config import Config
from connector_app.logging_setup import configure_logging

configure_logging(Config.LOG_LEVEL, Config.LOG_FORMAT)
app = create_app()
