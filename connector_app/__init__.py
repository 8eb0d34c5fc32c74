"""Etsy ⇄ TikTok Shop Connector: the application factory."""

from __future__ import annotations

import logging

from flask import Flask

from connector_app.config import BASE_DIR, Config

FEATURES = (
    "accounts",
    "home",
    "connect",
    "returns",
    "sync",
    "actions",
    "listings",
    "notifications",
    "settings",
    "insights",
    "orders",
    "webhooks",
    "products",
    "health",
)


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_relative_config=False,
    )
    configure(app, config)
    register_logging(app)
    register_inputs(app)
    register_security(app)
    register_extensions(app)
    register_blueprints(app)
    register_dev_tools(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure(app: Flask, config: type | dict | None) -> None:
    from connector_app import production
    from connector_app.embedded import apply_embedded_defaults

    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.instance_path = app.config["INSTANCE_PATH"]
    production.apply(app.config)  # before anything is created: a half-configured production stops here
    apply_embedded_defaults(app)


def register_logging(app: Flask) -> None:
    """Request ids and the app's logger; the process's handlers are the entry point's (``wsgi.py``).
    The secret-redacting filter is a backstop on every handler there is (gunicorn's loggers too)."""
    from connector_app import redaction
    from connector_app.logging_setup import init_app

    init_app(app)
    redaction.install(app.logger, logging.getLogger("gunicorn.error"), logging.getLogger("gunicorn.access"))


def register_extensions(app: Flask) -> None:
    from connector_app import embedded, transactions
    from connector_app.extensions import csrf, db, login_manager, migrate, oauth, rq, token_cipher

    db.init_app(app)
    embedded.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    token_cipher.init_app(app)
    rq.init_app(app)
    transactions.init_app(app)
    oauth.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    import connector_app.models  # noqa: F401 - the whole schema, for create_all and Alembic
    from connector_app.accounts import limits, mail, sessions

    login_manager.user_loader(sessions.load_login)  # a cookie is a login only while its record lives
    limits.init_app(app)
    mail.init_app(app)


def register_blueprints(app: Flask) -> None:
    import importlib

    for name in FEATURES:
        module = importlib.import_module(f"connector_app.{name}")
        app.register_blueprint(module.bp)
        # Features may add CLI commands, template globals, cron jobs ... through an init_app hook.
        if hasattr(module, "init_app"):
            module.init_app(app)


def register_inputs(app: Flask) -> None:
    from connector_app.inputs import init_app

    init_app(app)  # the <id:...> and <key:...> URL converters, before any blueprint uses them


def register_dev_tools(app: Flask) -> None:
    from connector_app.devmail import init_app

    init_app(app)  # /dev/mail, in development with the local SMTP sink only


def register_security(app: Flask) -> None:
    from connector_app.security import init_app

    init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from connector_app.errors import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from connector_app.templating import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from connector_app.commands import init_app

    init_app(app)
