"""The sandbox's two TikTok apps: the global Partner Center's (every market but the US) and the US one's.

A seller is authorized by the app of its market; every later call, token refresh and webhook of that
authorization belongs to that app, and the other app's key, secret or service id is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

US, GLOBAL = "US", "ROW"


@dataclass(frozen=True)
class App:
    group: str  # "US" or "ROW", the connector's name for the authorize host it serves
    app_key: str
    app_secret: str
    service_id: str
    redirect_url: str


def apps(settings: dict[str, Any]) -> dict[str, App]:
    return {
        GLOBAL: App(
            GLOBAL,
            settings["SANDBOX_APP_KEY"],
            settings["SANDBOX_APP_SECRET"],
            settings["SANDBOX_SERVICE_ID"],
            settings["SANDBOX_TIKTOK_REDIRECT_URL"],
        ),
        US: App(
            US,
            settings["SANDBOX_US_APP_KEY"],
            settings["SANDBOX_US_APP_SECRET"],
            settings["SANDBOX_US_SERVICE_ID"],
            settings["SANDBOX_TIKTOK_US_REDIRECT_URL"],
        ),
    }


def by_key(settings: dict[str, Any], app_key: str | None) -> App | None:
    return next((app for app in apps(settings).values() if app.app_key == app_key), None)


def group_of(base_region: str) -> str:
    """US sellers are authorized by the US app, every other market by the global one."""
    return US if base_region == "US" else GLOBAL
