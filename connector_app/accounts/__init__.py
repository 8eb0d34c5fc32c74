"""Seller accounts: sign up, log in, log out. Every other feature hangs off a Seller."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from connector_app.accounts import routes  # noqa: E402,F401
