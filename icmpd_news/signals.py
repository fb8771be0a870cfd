"""The project's own crawler signals (sent with crawler.signals.send_catch_log)."""

# An article request answered 404 or 410 (after redirects): the article is gone from the site.
# Arguments: urls (every URL of the request chain, first the feed's link, last the one that
# answered), status (the HTTP status). The export pipeline marks the article's record removed;
# the item stream carries only real articles.
article_gone = object()
