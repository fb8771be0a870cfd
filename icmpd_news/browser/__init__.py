"""Browser rendering (scrapy-playwright) for pages whose body only exists after JavaScript."""
