"""A Chroma server as the vector store (`store.mode: http`): connecting, and saying why not.

The client sends `store.token` through Chroma's own token client
(`chromadb.auth.token_authn.TokenAuthClientProvider`: `Authorization: Bearer <token>`).
Before chromadb's client is built, one request with a timeout asks the server who we are:
chromadb's client waits without limit on a silent host and reports a refused token as
"could not connect to tenant", so a probe is what turns both into a message that names
the server and the setting to change. Transport failures later on (the server stopped
mid-update) become `IndexStoreError` too, through `ServerGuard`.

Not here: the server itself (`make chroma`, docs/scaling.md), local stores (`store.py`).
`chroma run` 1.5 enforces no token itself; a proxy in front of it must (docs/scaling.md).
"""

from __future__ import annotations

import functools
from typing import Any

from assistant.config import StoreSettings
from assistant.errors import IndexStoreError

TOKEN_CLIENT = "chromadb.auth.token_authn.TokenAuthClientProvider"
PROBE_TIMEOUT_S = 5.0
_SERVER_API = "chromadb.api.fastapi.FastAPI"  # chromadb's settings name of a server client


def server_address(store: StoreSettings) -> str:
    return f"{store.host}:{store.port}"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def server_client(store: StoreSettings) -> Any:
    """A chromadb client of the server in `store`; `IndexStoreError` if it cannot be used."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    options: dict[str, Any] = {"anonymized_telemetry": False}
    token = store.token.get_secret_value() if store.token else None
    if token:
        options |= {"chroma_client_auth_provider": TOKEN_CLIENT}
        options |= {"chroma_client_auth_credentials": token}
    probe(store, token)
    try:
        return chromadb.HttpClient(
            host=store.host, port=store.port, ssl=store.ssl, settings=ChromaSettings(**options)
        )
    except Exception as error:  # chromadb raises many kinds; the user needs one line
        raise IndexStoreError(
            f"cannot use the Chroma server at {server_address(store)}: {_one_line(error)}"
        ) from error


def probe(store: StoreSettings, token: str | None) -> None:
    """Ask the server for our identity: `IndexStoreError` saying what to fix, if it fails."""
    import httpx
    from chromadb.api.fastapi import FastAPI

    where = server_address(store)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        base = FastAPI.resolve_url(
            chroma_server_host=store.host,
            chroma_server_ssl_enabled=store.ssl,
            default_api_path="/api/v2",
            chroma_server_http_port=store.port,
        )
        response = httpx.get(f"{base}/auth/identity", headers=headers, timeout=PROBE_TIMEOUT_S)
    except ValueError as error:  # chromadb's check of the host name
        raise IndexStoreError(f"store.host {store.host!r} is not usable: {error}") from error
    except httpx.TimeoutException as error:
        raise IndexStoreError(
            f"the Chroma server at {where} did not answer within {PROBE_TIMEOUT_S:g} s; "
            "check ASSISTANT_STORE__HOST / ASSISTANT_STORE__PORT and the network"
        ) from error
    except httpx.ConnectError as error:
        if _tls_failed(error):
            raise IndexStoreError(
                f"TLS with the Chroma server at {where} failed ({_one_line(error)}); "
                f"check ASSISTANT_STORE__SSL (now {str(store.ssl).lower()}) and, for a "
                "private certificate authority, SSL_CERT_FILE"
            ) from error
        raise IndexStoreError(
            f"cannot reach the Chroma server at {where} ({_one_line(error)}); start it "
            "(`make chroma`) or point ASSISTANT_STORE__HOST / ASSISTANT_STORE__PORT at it"
        ) from error
    except httpx.HTTPError as error:  # e.g. HTTPS spoken to a plain HTTP server
        raise IndexStoreError(
            f"cannot talk to the Chroma server at {where} ({_one_line(error)}); "
            f"check ASSISTANT_STORE__SSL (now {str(store.ssl).lower()})"
        ) from error
    if response.status_code in (401, 403):
        fix = "check ASSISTANT_STORE__TOKEN" if token else "set ASSISTANT_STORE__TOKEN"
        said = "refused the token" if token else "wants a token"
        raise IndexStoreError(
            f"the Chroma server at {where} {said} (HTTP {response.status_code}); {fix}"
        )
    if response.is_error:
        raise IndexStoreError(
            f"{where} answered HTTP {response.status_code} to a Chroma 1.x request; "
            "is it a Chroma server of version 1 or later?"
        )


def _tls_failed(error: BaseException) -> bool:
    import ssl

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def server_address_of(client: Any) -> str | None:
    """`host:port` of the server `client` talks to; None for files or memory of this process."""
    try:
        settings = client.get_settings()
    except AttributeError:  # not a chromadb client (a test double)
        return None
    if settings.chroma_api_impl != _SERVER_API:
        return None
    return f"{settings.chroma_server_host}:{settings.chroma_server_http_port}"


class ServerGuard:
    """A server client or collection whose transport failures become `IndexStoreError`s.

    Wraps every method (`get`, `query`, `upsert`...), including those llama-index's
    `ChromaVectorStore` calls, so losing the server mid-run is one line, not a traceback.
    """

    def __init__(self, target: Any, where: str) -> None:
        self._target = target
        self._where = where

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            import httpx

            try:
                return value(*args, **kwargs)
            except httpx.TransportError as error:
                raise IndexStoreError(
                    f"lost the Chroma server at {self._where} ({_one_line(error)}); "
                    "check that it is running and try again"
                ) from error

        return call
