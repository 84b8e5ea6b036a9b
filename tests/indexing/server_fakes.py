"""A fake OpenAI-compatible embedding server, in process, behind httpx's `MockTransport`.

It answers `/v1/embeddings` with the hashing embedder's vectors of the texts exactly as
received (so a `ServerEmbedding` over it writes what the local `HashingEmbedding` would,
when both see the same texts), records every request (texts, headers), counts requests in
flight, and follows a script: each request takes the next step, `None` answering, an int
answering with that HTTP status, an exception being raised as the connection's failure.
`down=True` makes every request fail like a server that is gone, and `down_after=N` does
so from the request after the N-th on (counted from when it is set).

Not a mock of our code: it speaks the wire protocol our client speaks to real servers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from assistant.indexing.embeddings import HashingEmbedding
from assistant.indexing.server_embedding import ServerEmbedding

BASE_URL = "http://embed.test/v1"
Step = None | int | Exception


class FakeEmbeddingServer:
    def __init__(
        self,
        dimension: int = 256,
        script: Iterable[Step] = (),
        *,
        delay_s: float = 0.0,
        vector: Callable[[str], list[float]] | None = None,
    ) -> None:
        self.vector = vector or HashingEmbedding(dimension)._vector
        self.script = list(script)
        self.delay_s = delay_s
        self.down = False
        self.down_after: int | None = None
        self._answered = 0
        self.requests: list[dict[str, Any]] = []
        self.sleeps: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    @property
    def texts(self) -> list[str]:
        """Every text the server was sent, in the order the requests arrived."""
        return [text for request in self.requests for text in request["texts"]]

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay_s)
            body = json.loads(request.content)
            with self._lock:
                self.requests.append(
                    {
                        "url": str(request.url),
                        "texts": body["input"],
                        "body": body,
                        "headers": dict(request.headers),
                    }
                )
                step = self.script.pop(0) if self.script else None
                if self.down_after is not None:
                    self._answered += 1
                    self.down = self.down or self._answered > self.down_after
            if self.down:
                raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
            if isinstance(step, Exception):
                raise step
            if isinstance(step, int):
                return httpx.Response(step, text=f"scripted status {step}")
            data = [
                {"object": "embedding", "index": i, "embedding": self.vector(text)}
                for i, text in enumerate(body["input"])
            ]
            data.reverse()  # servers may answer out of order: `index` says which is which
            return httpx.Response(
                200, json={"object": "list", "data": data, "model": body["model"]}
            )
        finally:
            with self._lock:
                self.in_flight -= 1

    def embedder(self, **options: Any) -> ServerEmbedding:
        """A client of this server (no real sleeping between retries: waits are recorded)."""
        options = {"model_name": "hashing-256", "retry_backoff_s": 0.5, **options}
        return ServerEmbedding(
            options.pop("base_url", BASE_URL),
            transport=httpx.MockTransport(self.handle),
            sleep=self.sleeps.append,
            **options,
        )


def free_port() -> int:
    """A loopback port nothing listens on (for an unreachable server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
