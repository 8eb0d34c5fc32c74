"""``python -m sandbox_marketplace [--reseed] [--port N]``: threaded server on 127.0.0.1."""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from . import create_app
from .config import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the TikTok Shop / Etsy sandbox marketplace.")
    parser.add_argument("--port", type=int, default=None, help="default: SANDBOX_PORT or 5001")
    parser.add_argument("--reseed", action="store_true", help="rebuild the demo data (also SANDBOX_RESEED=1)")
    args = parser.parse_args()
    overrides = {"SANDBOX_RESEED": True} if args.reseed else {}
    port = args.port or int(load_settings()["SANDBOX_PORT"])
    app = create_app(overrides)
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
