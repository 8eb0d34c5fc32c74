"""The connector's two TikTok apps, one per Partner Center.

US shops are authorized by the app registered in TikTok's US Partner Center (``TIKTOK_US_*``), every
other market by the app in the global Partner Center (``TIKTOK_*``). An authorization belongs to the app
that the seller authorized, recorded as its ``region_group``; its authorize link, token exchange and
refresh, request signatures and webhook signatures all use that app's key and secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

US = "US"
ROW = "ROW"


@dataclass(frozen=True)
class TikTokApp:
    group: str  # "US" or "ROW" (rest of world)
    app_key: str
    app_secret: str
    service_id: str

    @property
    def partner_center(self) -> str:
        return "US Partner Center" if self.group == US else "global Partner Center"


def region_group(region: str) -> str:
    """Which app (and authorize host) serves a TikTok market: "US" or "ROW"."""
    return US if region == US else ROW


def tiktok_app(group: str | None) -> TikTokApp:
    """The app of ``group``; anything but "US" is the global app."""
    config = current_app.config
    if group == US:
        return TikTokApp(
            US, config["TIKTOK_US_APP_KEY"], config["TIKTOK_US_APP_SECRET"], config["TIKTOK_US_SERVICE_ID"]
        )
    return TikTokApp(ROW, config["TIKTOK_APP_KEY"], config["TIKTOK_APP_SECRET"], config["TIKTOK_SERVICE_ID"])


def tiktok_apps() -> tuple[TikTokApp, TikTokApp]:
    return tiktok_app(ROW), tiktok_app(US)
