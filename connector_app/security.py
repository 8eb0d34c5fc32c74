"""Security headers on every response, and Secure cookies whenever the request came over https."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    "form-action 'self' http: https:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
]
CSP = "; ".join(CSP_DIRECTIVES)


def content_security_policy(app: Flask) -> str:
    """The CSP; product images come from the marketplace's API host, so a plain-http marketplace
    (the sandbox in development) is allowed as an image source too (real marketplaces are https)."""
    origin = urlsplit(app.config.get("TIKTOK_API_URL") or "")
    if origin.scheme != "http" or not origin.netloc:
        return CSP
    directives = [
        f"{d} {origin.scheme}://{origin.netloc}" if d.startswith("img-src") else d for d in CSP_DIRECTIVES
    ]
    return "; ".join(directives)


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when configured so, and always when served over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def _loopback_host() -> Response | None:
    """``localhost`` → ``127.0.0.1``: the marketplaces send the seller back to 127.0.0.1, and a session
    cookie set for one name is not sent to the other (the connect flows would lose their state)."""
    name, _, port = request.host.rpartition(":") if request.host.count(":") == 1 else (request.host, "", "")
    if name.lower() != "localhost":
        return None
    target = f"{request.scheme}://127.0.0.1{':' + port if port else ''}{request.full_path.rstrip('?')}"
    return redirect(target, 308)


def init_app(app: Flask) -> None:
    """Call before the extensions register theirs: after_request functions run in reverse order, so
    this one sees the cookies they set (e.g. Flask-Login's remember cookie)."""
    app.session_interface = SessionInterface()
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:  # the client's address and scheme as the configured proxies saw them, no further
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csp = content_security_policy(app)
    if app.config.get("CANONICAL_LOOPBACK"):
        app.before_request(_loopback_host)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            # Cookies set on an https response are always Secure, whatever the configuration says.
            cookies = response.headers.getlist("Set-Cookie")
            if cookies:
                response.headers.remove("Set-Cookie")
                for cookie in cookies:
                    if "; secure" not in cookie.lower():
                        cookie += "; Secure"
                    response.headers.add("Set-Cookie", cookie)
        return response
