"""An ASGI middleware that keeps the web app's answers from granting or leaking to others.

`HttpGuard` wraps the whole web app (`server.py` mounts Gradio inside it) and edits only the
headers of each HTTP response, on their way out:

- **No CORS for another origin.** Unless the request's `Origin` is the app's own origin
  (the request's scheme and `Host`), every `Access-Control-*` header is dropped, whatever
  the app behind decided. Gradio 6.31 grants any origin, with credentials, as soon as the
  `Host` header is not a loopback name (`CustomCORSMiddleware.is_valid_origin`): a LAN
  address (`--allow-remote`) or a proxy that forwards `Host` is enough. The page itself
  needs no CORS (its requests are same-origin), so nothing it uses is lost.
- **No request header comes back.** A response never carries `Cookie`, `Authorization` or
  `Proxy-Authorization`, nor any header the request carried, but for those both sides send
  with their own meaning (`Content-Type`, `Cache-Control`, ...). Gradio 6.31 answers a
  `Range` request for a file with the request's own headers (`route_utils.file_fetch`),
  the HttpOnly login cookie among them, where a script on the page could read it.

Hand-written because Gradio has no option for either: `strict_cors=False` only widens its
policy, and it steps aside for a parent app's CORS only when it finds Starlette's
`CORSMiddleware` class there (which would still leave the echo). This guard holds whatever
the app behind it does.

Not here: granting CORS to anyone (it only takes away), CSRF protection (another site can
still send a form; it just cannot read the answer), WebSocket and lifespan traffic (passed
through untouched), the login itself (Gradio's `auth`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CREDENTIALS = frozenset({b"cookie", b"authorization", b"proxy-authorization"})
# Headers that requests and responses both carry, each side with its own value.
SHARED = frozenset(
    {
        b"cache-control",
        b"connection",
        b"content-disposition",
        b"content-encoding",
        b"content-language",
        b"content-length",
        b"content-location",
        b"content-type",
        b"date",
        b"keep-alive",
        b"link",
        b"pragma",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"via",
        b"warning",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}


class HttpGuard:
    """Drops CORS grants to other origins and echoed request headers from every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = {name.lower() for name, _ in scope["headers"]}
        own_origin = is_same_origin(scope)

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                kept = [(n, v) for n, v in headers if _kept(n.lower(), asked, own_origin)]
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, guarded_send)


def _kept(name: bytes, asked: set[bytes], own_origin: bool) -> bool:
    if name.startswith(b"access-control-"):
        return own_origin
    if name in CREDENTIALS:
        return False
    return name not in asked or name in SHARED


def is_same_origin(scope: Scope) -> bool:
    """Whether the request has exactly one `Origin`, equal to its own scheme and `Host`."""
    origins = [value for name, value in scope["headers"] if name.lower() == b"origin"]
    hosts = [value for name, value in scope["headers"] if name.lower() == b"host"]
    if len(origins) != 1 or len(hosts) != 1:
        return False
    origin = origin_key(origins[0].decode("latin-1"))
    own = origin_key(f"{scope.get('scheme', 'http')}://{hosts[0].decode('latin-1')}")
    return origin is not None and origin == own


def origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a serialised origin; None for "null" and anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if "@" in parts.netloc or parts.path or parts.query or parts.fragment:
        return None
    return parts.scheme, parts.hostname, DEFAULT_PORTS[parts.scheme] if port is None else port
