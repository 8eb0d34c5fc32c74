"""Etsy Open API v3 emulation: OAuth 2.0 with PKCE, x-api-key checks, rate limits and shop data."""

from flask import Blueprint

bp = Blueprint("etsy", __name__)

from . import api, inventory, listing_state, oauth  # noqa: E402,F401  (routes register on bp)
