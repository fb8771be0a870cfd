"""Run a console script (scrapy, trafilatura) with one host name resolving to 127.0.0.1.

    python -m bench.loopback_dns icmpd.localhost scrapy crawl icmpd_news ...

Why: trafilatura's feed mode (through courlan) refuses URLs whose host is an IP address or a
name without a dot, so the benchmark site cannot be http://127.0.0.1:PORT. It is served as
http://icmpd.localhost:PORT instead (RFC 6761 reserves .localhost for loopback), but this
machine's resolver does not map *.localhost names, and we may not edit /etc/hosts. This
launcher does what one /etc/hosts line would: it maps exactly that name to 127.0.0.1 in
Python's socket module, then runs the tool's own console-script entry point unchanged. Both
tools go through it, so neither gets an advantage, and no name lookup leaves the machine.
"""

from __future__ import annotations

import socket
import sys
from importlib.metadata import entry_points

LOOPBACK = "127.0.0.1"


def map_to_loopback(name: str) -> None:
    """Make `name` resolve to 127.0.0.1 for getaddrinfo and gethostbyname(_ex)."""
    getaddrinfo, gethostbyname, gethostbyname_ex = socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex

    def _host(host: object) -> object:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        return LOOPBACK if isinstance(host, str) and host.lower().rstrip(".") == name else host

    socket.getaddrinfo = lambda host, *args, **kwargs: getaddrinfo(_host(host), *args, **kwargs)
    socket.gethostbyname = lambda host: gethostbyname(_host(host))
    socket.gethostbyname_ex = lambda host: gethostbyname_ex(_host(host))


def main() -> int:
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    name, script, args = sys.argv[1].lower(), sys.argv[2], sys.argv[3:]
    if not name.endswith(".localhost"):
        sys.stderr.write("only names under .localhost may be mapped to loopback\n")
        return 2
    (entry,) = entry_points(group="console_scripts", name=script)
    map_to_loopback(name)
    sys.argv = [script, *args]
    result = entry.load()()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
