"""Spiders: what to fetch and in which order."""
