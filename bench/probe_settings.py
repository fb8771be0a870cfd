"""The project's settings plus bench.memprobe's MemoryProbe (used only by bench/memprobe.py)."""

from icmpd_news.settings import *  # the production settings, unchanged
from icmpd_news.settings import EXTENSIONS

EXTENSIONS["bench.memprobe.MemoryProbe"] = 1
PROBE_DIR = "memprobe"
PROBE_ARTICLES = 0
PROBE_INTERVAL = 1.0
PROBE_TRACEMALLOC = 0
PROBE_TRIM = ""  # "always" (every sample) or "after_feed" (once)
PROBE_GC = False  # a full gc.collect() at every sample
