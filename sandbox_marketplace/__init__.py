"""Sandbox marketplace: a local stand-in for TikTok Shop Open API 202309 and Etsy Open API v3.

A separate WSGI app with its own SQLite file and port. The connector talks to it over HTTP only,
exactly as it talks to the real services.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, g, request

from .config import load_settings
from .core import Sandbox


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the sandbox app. ``config`` overrides the SANDBOX_* settings read from the environment."""
    app = Flask(__name__)
    settings = load_settings(config)
    app.config.update(settings)
    app.json.sort_keys = False
    register_sandbox(app, settings)
    register_blueprints(app)
    register_call_log(app)
    register_background(app)
    return app


def register_sandbox(app: Flask, settings: dict[str, Any]) -> None:
    sb = Sandbox(settings)
    app.extensions["sandbox"] = sb
    sb.ensure_seeded(force=bool(settings["SANDBOX_RESEED"]))


def register_blueprints(app: Flask) -> None:
    from . import order_flow  # noqa: F401  (order controls register on the control bp)
    from .control import bp as control_bp
    from .etsy import bp as etsy_bp
    from .faults_hook import install_fault_hook
    from .tiktok import bp as tiktok_bp
    from .tiktok.envelope import TikTokError, error

    app.register_blueprint(tiktok_bp)
    app.register_blueprint(etsy_bp)
    app.register_blueprint(control_bp)
    app.register_error_handler(TikTokError, error)
    install_fault_hook(app)


def register_call_log(app: Flask) -> None:
    @app.template_filter("clock_time")
    def _clock_time(seconds: int) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(seconds)))

    @app.before_request
    def _start_timer() -> None:
        g.sandbox_started = time.perf_counter()

    @app.after_request
    def _log_call(response):  # noqa: ANN001, ANN202
        if not request.path.startswith("/_sandbox"):
            app.extensions["sandbox"].log_call(
                {
                    "at": int(time.time()),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round(
                        (time.perf_counter() - g.get("sandbox_started", time.perf_counter())) * 1000, 1
                    ),
                }
            )
        return response


def register_background(app: Flask) -> None:
    from .lifecycle import Ticker
    from .webhooks import Dispatcher

    sb: Sandbox = app.extensions["sandbox"]
    sb.dispatcher = Dispatcher(app, float(app.config["SANDBOX_WEBHOOK_RETRY_SCALE"]))
    sb.dispatcher.start()
    if float(app.config["SANDBOX_TICK_SECONDS"]) > 0:
        sb.ticker = Ticker(
            app, float(app.config["SANDBOX_TICK_SECONDS"]), int(app.config["SANDBOX_TICK_COUNT"])
        )
        sb.ticker.start()
