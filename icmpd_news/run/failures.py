"""Why a request failed for good, as a short stable name for stats and log lines."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError

# Private, but the only way to tell a decompression bomb from any other IgnoreRequest (a test notices if it moves).
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.python.failure import Failure

from icmpd_news.middlewares.robotstxt import RobotsTxtUnreachable

_BY_TYPE: tuple[tuple[type[BaseException], str], ...] = (
    (RobotsTxtUnreachable, "robots_txt_unreachable"),
    (DownloadTimeoutError, "timeout"),
    (ResponseDataLossError, "data_loss"),
    # The download handler cancels a body larger than DOWNLOAD_MAXSIZE (announced or received).
    (DownloadCancelledError, "too_large"),
    (CannotResolveHostError, "dns"),
    (DownloadConnectionRefusedError, "connection_refused"),
)


def failure_kind(failure: Failure, max_redirects: int) -> str:
    """The kind of a final request failure: http_<status>, redirect_refused, redirect_loop,
    too_large, data_loss, timeout, dns, connection_refused, robots_txt, robots_txt_unreachable,
    or the exception's class name. `max_redirects` is REDIRECT_MAX_TIMES."""
    error = failure.value
    request = getattr(failure, "request", None)
    if isinstance(error, HttpError):
        status = error.response.status
        # A 3xx reaching the spider is a redirect Scrapy refused to follow (file:, data:, ...).
        return "redirect_refused" if 300 <= status < 400 else f"http_{status}"
    for exception_type, kind in _BY_TYPE:
        if isinstance(error, exception_type):
            return kind
    if isinstance(error, IgnoreRequest):
        if isinstance(error.__cause__, _DecompressionMaxSizeExceeded):
            return "too_large"
        if request is not None and request.meta.get("redirect_times", 0) >= max_redirects:
            return "redirect_loop"
        if str(error) == "Forbidden by robots.txt":
            return "robots_txt"
    return type(error).__name__
