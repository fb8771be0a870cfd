"""Servers for what a well-behaved site never does: scripted faults (FaultServer) and a host
the crawler must never reach (Catcher).

devsite/fixture_site.py's server always tells the truth (Content-Length is the body's length,
bodies end). Here every reply is written byte for byte as scripted: a Content-Length longer
than the body, a chunked body that never ends, a compressed body whose headers lie about its
size, a reply that comes too late. Each path answers a list of replies, one per request (the
last one repeats), and every request is logged with its arrival time, so tests can check
retries, waits and that something was never fetched.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
import zlib
from dataclasses import dataclass, field

import brotli

from devsite.server import LoopbackServer

try:  # Python 3.14 has zstd in the standard library; Scrapy installs the backport before that.
    from compression import zstd
except ImportError:
    from backports import zstd


@dataclass
class Reply:
    """One scripted answer.

    `content_length` defaults to len(body); `cut_after` closes the connection after that many
    body bytes; `chunked` sends the body in chunked encoding (without the final chunk when cut);
    `delay` waits before answering (a timeout).
    """

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_length: int | None = None
    cut_after: int | None = None
    chunked: bool = False
    delay: float = 0.0

    def wire(self) -> tuple[bytes, bytes]:
        """(head, body) exactly as they go on the wire."""
        lines = [f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Whatever')}", "Connection: close"]
        if self.content_type:
            lines.append(f"Content-Type: {self.content_type}")
        body = self.body
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
            size = 1024
            chunks = [body[i:i + size] for i in range(0, len(body), size)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        else:
            lines.append(f"Content-Length: {len(body) if self.content_length is None else self.content_length}")
        lines += [f"{name}: {value}" for name, value in self.headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.cut_after is not None:
            body = body[: self.cut_after]
        return head, body


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 410: "Gone",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class Hit:
    """One request as the server saw it."""

    at: float
    path: str
    headers: dict[str, str]


class FaultServer(LoopbackServer):
    """Serve scripted replies on host:<free port> in background threads.

    `routes[path]` is a list of Reply (one per request, the last repeats); unknown paths 404.
    `hits` logs every request (time.monotonic(), path, headers).
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request_line = self.rfile.readline(65537).decode("latin-1").strip()
                if not request_line:
                    return
                headers: dict[str, str] = {}
                while (line := self.rfile.readline(65537).decode("latin-1").strip()):
                    name, _, value = line.partition(":")
                    headers[name.strip()] = value.strip()
                path = request_line.split(" ")[1] if " " in request_line else "/"
                reply = server._next_reply(path, headers)
                if reply.delay:
                    time.sleep(reply.delay)
                head, body = reply.wire()
                try:
                    self.wfile.write(head)
                    if request_line.startswith("GET "):
                        self.wfile.write(body)
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        super().__init__(Handler, host)

    def _next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.hits.append(Hit(time.monotonic(), path, headers))
            replies = self.routes.get(path)
            if not replies:
                return Reply(status=404, body=b"<html><body><h1>Not found</h1></body></html>")
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def times(self, path: str) -> list[float]:
        """When each request for `path` arrived (monotonic seconds)."""
        with self.lock:
            return [hit.at for hit in self.hits if hit.path == path]


class Catcher(LoopbackServer):
    """A listener on another loopback address that counts every connection made to it, from
    its creation on. It stands for "another host": the crawler must never connect to it."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.connections = 0
        lock = threading.Lock()
        catcher = self

        class Count(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with lock:
                    catcher.connections += 1

        super().__init__(Count, host)
        self.start()


def compression_bomb(encoding: str, size: int = 1 << 30) -> bytes:
    """`size` bytes of zeros compressed as Content-Encoding `encoding` (gzip, deflate, br, zstd).

    About 1 MB for 1 GiB (gzip, deflate) or less (br, zstd). gzip and deflate are built from one
    fully flushed 1 MiB block repeated (what compressing 1 GiB would give, in a fraction of a
    second instead of fifteen), with the real checksum and length in the trailer.
    """
    unit = 1 << 20
    zeros = b"\0" * unit
    if encoding == "br":
        compressor = brotli.Compressor(quality=1)
        return b"".join(compressor.process(zeros) for _ in range(size // unit)) + compressor.finish()
    if encoding == "zstd":
        zstd_compressor = zstd.ZstdCompressor(level=1)
        return b"".join(zstd_compressor.compress(zeros) for _ in range(size // unit)) + zstd_compressor.flush()
    wbits = {"gzip": 31, "deflate": 15}[encoding]
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.flush(zlib.Z_FINISH)
    count = size // unit
    if encoding == "gzip":
        crc = 0
        for _ in range(count):
            crc = zlib.crc32(zeros, crc)
        trailer = crc.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little")
        final = final[:-8] + trailer
    else:
        adler = 1
        for _ in range(count):
            adler = zlib.adler32(zeros, adler)
        final = final[:-4] + adler.to_bytes(4, "big")
    return first + block * (count - 1) + final
