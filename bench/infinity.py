"""Starting and stopping a real embedding server (Infinity, from `make embed-server-venv`).

`InfinityServer` runs `infinity_emb v2` on the cached model folder, on a free loopback port,
in a process group of its own, and waits until `/v1/models` answers (start-up takes
20-50 s on 2 CPU cores; model warm-up, minutes there, is off). `kill()` ends the whole group
at once (the fault tests), `start()` brings it back on the same port, and leaving the `with`
block ends it. Used by tests/indexing/test_embed_server.py and `python -m bench embed-server`.

Not here: the client (`assistant/indexing/server_embedding.py`), installing the server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path
from types import TracebackType

import httpx

PROJECT = Path(__file__).resolve().parents[1]
EMBED_VENV = PROJECT / ".venv-embed-server"
START_TIMEOUT_S = 240.0


def infinity_binary(venv: Path = EMBED_VENV) -> Path | None:
    """The server's command when `make embed-server-venv` has installed it, else None."""
    binary = venv / "bin" / "infinity_emb"
    return binary if (venv / ".installed").exists() and binary.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class InfinityServer:
    """An Infinity server for `model_dir`, served under `model_name`, on 127.0.0.1."""

    def __init__(
        self, model_dir: Path, model_name: str, log_path: Path, *, venv: Path = EMBED_VENV
    ) -> None:
        binary = infinity_binary(venv)
        if binary is None:
            raise RuntimeError(f"no embedding server in {venv}; run `make embed-server-venv`")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = log_path
        self.command = [
            str(binary), "v2", "--model-id", str(model_dir), "--served-model-name", model_name,
            "--url-prefix", "/v1", "--no-model-warmup", "--device", "cpu",
            "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None
        self.started_in_s = 0.0

    def start(self, timeout_s: float = START_TIMEOUT_S) -> InfinityServer:
        """Start the server and wait until it answers; RuntimeError with its log if not."""
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: kill() ends all of it
                env=os.environ | {"INFINITY_ANONYMOUS_USAGE_STATS": "0", "HF_HUB_OFFLINE": "1"},
            )
        while time.monotonic() - began < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"the embedding server exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    self.started_in_s = time.monotonic() - began
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        self.kill()
        raise RuntimeError(
            f"the embedding server did not start in {timeout_s:.0f} s: {self.log_tail()}"
        )

    def kill(self) -> None:
        """SIGKILL the server's whole process group and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return " ".join(self.log_path.read_text(errors="replace")[-chars:].split())
        except OSError:
            return "(no log)"

    def __enter__(self) -> InfinityServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.kill()
