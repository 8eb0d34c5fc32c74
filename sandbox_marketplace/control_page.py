"""The state page's controls: the same actions as the JSON control API, as plain HTML forms.

Every form carries this process's form token (made at start, never stored): a page elsewhere on the
web cannot post to the sandbox behind the developer's back. Each action redirects back to the state
page with one sentence saying what happened.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import abort, redirect, request, url_for

from . import clock
from . import webhooks as wh
from .control import bp
from .core import sandbox
from .lifecycle import advance

FORM_TOKEN = secrets.token_urlsafe(24)
FAULT_FIELDS = ("latency_ms", "rate_429", "rate_500", "rate_503", "rate_timeout", "rate_malformed")


def _checked() -> dict[str, str]:
    form = request.form
    if not hmac.compare_digest(form.get("token", ""), FORM_TOKEN):
        abort(400)
    return form


def _back(message: str):
    return redirect(url_for("control.page", done=message[:300]) + "#controls", code=303)


def _number(form: dict[str, str], name: str, cast=float) -> Any:
    try:
        return cast(form.get(name) or 0)
    except ValueError:
        abort(400)


@bp.post("/ui/advance")
def ui_advance():
    form = _checked()
    count = max(1, min(_number(form, "count", int), 500))
    changed = advance(sandbox(), count, form.get("shop_id") or None)
    moved = ", ".join(f"{c['id']} → {c['status']}" for c in changed[:5])
    return _back(f"Moved {len(changed)} request(s) one step{': ' + moved if moved else ''}.")


@bp.post("/ui/faults")
def ui_faults():
    form = _checked()
    sb = sandbox()
    if form.get("clear"):
        sb.faults.clear()
        return _back("Faults cleared: every call answers normally.")
    values: dict[str, Any] = {"latency_ms": _number(form, "latency_ms", int)}
    for name in FAULT_FIELDS[1:]:
        values[name] = max(0.0, min(_number(form, name), 1.0))
    values["retry_after"] = max(0, _number(form, "retry_after", int))
    sb.faults.set(values)
    if form.get("expire_tokens_now"):
        now = int(clock.now()) - 1
        with sb.store.write() as conn:
            conn.execute("UPDATE tt_token SET access_expires_at=? WHERE access_expires_at>?", (now, now))
            conn.execute("UPDATE etsy_token SET expires_at=? WHERE expires_at>?", (now, now))
    active = sb.faults.active()
    return _back(f"Faults set: {active or 'none'}.")


@bp.post("/ui/reset")
def ui_reset():
    form = _checked()
    sb = sandbox()
    seed = _number(form, "seed", int) or int(sb.settings["SANDBOX_SEED"])
    returns = max(10, min(_number(form, "returns", int) or int(sb.settings["SANDBOX_RETURNS"]), 200_000))
    sb.reset(seed, returns, None)
    return _back(f"Demo data rebuilt: seed {seed}, {returns:,} requests. Connected apps must reconnect.")


@bp.post("/ui/webhook")
def ui_webhook():
    form = _checked()
    sb = sandbox()
    shop_id = form.get("shop_id", "")
    type_ = _number(form, "type", int)
    conn = sb.store.conn()
    shop = conn.execute("SELECT * FROM tt_shop WHERE id=?", (shop_id,)).fetchone()
    if shop is None:
        abort(404)
    with sb.store.write() as wconn:
        if type_ == wh.DEAUTHORIZATION:
            wconn.execute(
                "UPDATE tt_token SET revoked=1, refresh_revoked=1 WHERE seller_id=?", (shop["seller_id"],)
            )
            wh.queue(wconn, type_, shop_id, {"message": "The seller deauthorized the app."})
        elif type_ == wh.AUTHORIZATION_EXPIRING:
            expires = int(clock.now()) + 30 * 86400
            wh.queue(
                wconn,
                type_,
                shop_id,
                {"message": "Authorization expires in 30 days.", "expiration_time": expires},
            )
        else:
            abort(400)
    return _back(f"Webhook {type_} queued for shop {shop['name']}.")
