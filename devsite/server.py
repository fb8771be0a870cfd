"""LoopbackServer: a socket server answering on a loopback address in background threads.

The replica site (fixture_site.FixtureSite), the tests' scripted fault server and their
"other host" catcher are all one of these with their own request handler: `with` starts the
server, leaving the block shuts it down and frees the port.
"""

from __future__ import annotations

import socketserver
import sys
import threading
from typing import Self


class _ThreadingServer(socketserver.ThreadingTCPServer):
    """One thread per connection, none of them keeping the process alive; quiet when a client
    hangs up mid-answer (a killed crawl), loud on any other handler error."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LoopbackServer:
    """Serve `handler` on host:port (port 0: a free one) once started; `base` is its http:// URL."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler], host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = _ThreadingServer((host, port), handler)
        self.host = host
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def start(self) -> None:
        """Start answering (in a daemon thread), unless already started."""
        if self._thread.ident is None:
            self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def serve_until_interrupted(self, message: str) -> int:
        """Started: say `message` on stderr and answer until Ctrl-C; the exit status (0)."""
        self.start()
        sys.stderr.write(message + "; Ctrl-C stops\n")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        return 0

    def close(self) -> None:
        """Stop serving (when started) and free the port."""
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
