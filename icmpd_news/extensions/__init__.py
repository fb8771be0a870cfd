"""Scrapy extensions: components that hold the state of a whole crawl."""
