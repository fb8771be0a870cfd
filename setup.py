"""Shim for `scrapyd-deploy`, which builds the egg with `python setup.py bdist_egg` (and writes a
setup.py of its own, without our package data, when none exists). All metadata is in pyproject.toml."""

from setuptools import setup

setup()
