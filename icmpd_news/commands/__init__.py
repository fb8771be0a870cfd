"""Project commands (settings.COMMANDS_MODULE): they replace Scrapy's commands of the same name."""
