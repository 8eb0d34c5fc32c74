"""Applies the configured faults to the marketplace API routes (TikTok and Etsy, never /_sandbox)."""

from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request

from .tiktok.envelope import INTERNAL, RATE_LIMITED, envelope

UNAFFECTED = ("/_sandbox", "/open/authorize", "/us/open/authorize", "/oauth/connect", "/static")


def _is_etsy() -> bool:
    return request.path.startswith("/v3/")


def install_fault_hook(app: Flask) -> None:
    @app.before_request
    def _inject_fault() -> Response | None:
        if request.path.startswith(UNAFFECTED):
            return None
        sb = app.extensions["sandbox"]
        outcome = sb.faults.draw()
        if outcome is None:
            return None
        config = sb.faults.snapshot()
        etsy = _is_etsy()
        if outcome == "429":
            response = (
                jsonify({"error": "Rate limit exceeded. Retry later."})
                if etsy
                else envelope(RATE_LIMITED, "Too many requests, please retry later.", {})
            )
            response.status_code = 429
            response.headers["Retry-After"] = str(config["retry_after"])
            return response
        if outcome == "500":
            response = (
                jsonify({"error": "Internal server error"})
                if etsy
                else envelope(INTERNAL, "Internal error, please retry.", {})
            )
            response.status_code = 500
            return response
        if outcome == "503":
            return Response(
                "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                status=503,
                mimetype="text/html",
            )
        if outcome == "timeout":
            time.sleep(float(config["timeout_seconds"]))
            return Response(
                "<html><body><h1>504 Gateway Time-out</h1></body></html>", status=504, mimetype="text/html"
            )
        # malformed: a 200 whose JSON is cut off half way
        return Response(
            '{"code":0,"message":"Success","data":{"return_orders":[{"return_id":"40',
            status=200,
            mimetype="application/json",
        )
