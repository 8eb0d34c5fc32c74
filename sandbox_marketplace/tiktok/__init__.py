"""TikTok Shop Open API 202309 emulation: authorization, token exchange and the Return & Refund API."""

from flask import Blueprint

bp = Blueprint("tiktok", __name__)

from . import actions, api, auth, fulfillment, orders, products  # noqa: E402,F401  (routes register on bp)
