"""The project's own crawler signals (sent with crawler.signals.send_catch_log)."""

# An article request answered 404 or 410; arguments: urls (the request chain, first to last), status.
article_gone = object()
