"""icmpd-news: ICMPD's news as complete, deduplicated JSON Lines."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/icmpd-news/icmpd-news"
