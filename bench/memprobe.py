"""Where a crawl's memory goes, over time: a Scrapy extension for the benchmark, never for production.

    .venv/bin/python -m bench.memprobe --articles 5000 --out DIR [--tracemalloc 1]

runs one crawl of a bench/site.py site with this extension added to the project's settings
(through a settings module that imports icmpd_news.settings and adds it: `-s EXTENSIONS=...`
would replace the project's extensions instead of adding one). Every PROBE_INTERVAL seconds
it writes a line to DIR/rss.tsv: seconds since start, VmRSS and VmHWM (MiB), the scheduler's
queue length, requests in the downloader, responses received, items scraped, and, with
--tracemalloc, the traced Python heap (MiB). With --tracemalloc FRAMES it also dumps tracemalloc
snapshots to DIR/snap-<label>.pickle: when the scheduler first holds 90% of the
articles (the feed's requests), once the first pages download after that, when half the articles are scraped, and at spider_idle (everything done, before the pipelines close). `python -m bench.memprobe
--compare A.pickle B.pickle` prints the top allocation sites that grew from A to B.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import linecache
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet.task import LoopingCall

PROBE_SETTINGS = "bench.probe_settings"
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"))


def _status_mib(*names: str) -> list[float]:
    values = dict.fromkeys(names, 0.0)
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024
    return [values[name] for name in names]


def _smaps_summary() -> str:
    """Resident MiB by kind of mapping: the main heap, anonymous memory (thread arenas, mmapped
    blocks, Python's arenas), and files (libraries), largest mappings first."""
    rows: list[tuple[float, str]] = []
    name = ""
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and ":" not in fields[0]:
                name = fields[5] if len(fields) > 5 else f"[anon {fields[0]}]"
            elif fields[0] == "Rss:":
                rows.append((int(fields[1]) / 1024, name))
    rows.sort(reverse=True)
    anon = sum(rss for rss, name in rows if name.startswith("[anon"))
    heap = sum(rss for rss, name in rows if name == "[heap]")
    files = sum(rss for rss, name in rows if name.startswith("/"))
    lines = [f"total {sum(r for r, _ in rows):.1f}  heap {heap:.1f}  anon {anon:.1f}  files {files:.1f}"]
    lines += [f"{rss:8.1f}  {name}" for rss, name in rows[:40]]
    return "\n".join(lines) + "\n"


class MemoryProbe:
    """Samples RSS and the crawl's progress; dumps tracemalloc snapshots (PROBE_DIR, PROBE_TRACEMALLOC: frames, 0 for none)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.out = Path(crawler.settings["PROBE_DIR"])
        self.out.mkdir(parents=True, exist_ok=True)
        self.traced = crawler.settings.getint("PROBE_TRACEMALLOC")
        self.articles = crawler.settings.getint("PROBE_ARTICLES")
        self.trim = crawler.settings.get("PROBE_TRIM")
        self.collect = crawler.settings.getbool("PROBE_GC")
        if self.traced and not tracemalloc.is_tracing():
            tracemalloc.start(self.traced)
        self.start = time.monotonic()
        self.rows = (self.out / "rss.tsv").open("w", encoding="utf-8")
        self.rows.write("t\trss\thwm\tqueued\tdownloading\tresponses\titems\ttraced\n")
        self.taken: set[str] = set()
        self.loop = LoopingCall(self.sample)
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MemoryProbe:
        return cls(crawler)

    def engine_started(self) -> None:
        self.loop.start(self.crawler.settings.getfloat("PROBE_INTERVAL"))

    def sample(self) -> None:
        engine = self.crawler.engine
        scheduler = engine._slot.scheduler if engine and engine._slot else None
        # "after_feed": once, when the feed's requests are queued and the first pages are downloading.
        feed_done = scheduler is not None and len(scheduler) >= 0.9 * self.articles and engine.downloader.active
        if self.trim == "always" or (self.trim == "after_feed" and feed_done and "trimmed" not in self.taken):
            self.taken.add("trimmed")
            _LIBC.malloc_trim(0)
        if self.traced and feed_done:
            self.snapshot("after_feed")
        if self.collect:
            gc.collect()
        rss, hwm = _status_mib("VmRSS", "VmHWM")
        stats = self.crawler.stats
        items = stats.get_value("item_scraped_count", 0)
        traced = tracemalloc.get_traced_memory()[0] / 2**20 if self.traced else 0.0
        self.rows.write(f"{time.monotonic() - self.start:.1f}\t{rss:.1f}\t{hwm:.1f}\t{len(scheduler) if scheduler else 0}\t"
                        f"{len(engine.downloader.active) if engine else 0}\t{stats.get_value('response_received_count', 0)}\t"
                        f"{items}\t{traced:.1f}\n")
        self.rows.flush()
        if self.traced and scheduler is not None and len(scheduler) >= 0.9 * self.articles:
            self.snapshot("queued")
        if self.traced and items >= self.articles // 2:
            self.snapshot("half")

    def snapshot(self, label: str) -> None:
        """Dump a snapshot under `label`, once per label."""
        if label not in self.taken:
            self.taken.add(label)
            tracemalloc.take_snapshot().dump(str(self.out / f"snap-{label}.pickle"))

    def spider_idle(self) -> None:
        if "idle" not in self.taken:
            (self.out / "smaps-idle.txt").write_text(_smaps_summary(), encoding="utf-8")
        if self.traced:
            self.sample()
            self.snapshot("idle")

    def spider_closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.sample()
        self.rows.close()


def compare(before: Path, after: Path, group: str, top: int) -> None:
    """The allocation sites (group: lineno, filename or traceback) that grew most from before to after."""
    old, new = tracemalloc.Snapshot.load(str(before)), tracemalloc.Snapshot.load(str(after))
    total_old = sum(stat.size for stat in old.statistics("filename"))
    total_new = sum(stat.size for stat in new.statistics("filename"))
    sys.stdout.write(f"traced: {total_old / 2**20:.1f} MiB -> {total_new / 2**20:.1f} MiB\n")
    for stat in new.compare_to(old, group)[:top]:
        sys.stdout.write(f"{stat.size_diff / 2**20:+8.2f} MiB {stat.count_diff:+9d} blocks  {stat.size / 2**20:7.2f} MiB now\n")
        frames = stat.traceback if group == "traceback" else stat.traceback[:1]
        for frame in list(frames)[-12:] if group == "traceback" else frames:
            source = linecache.getline(frame.filename, frame.lineno).strip()
            sys.stdout.write(f"      {frame.filename}:{frame.lineno}  {source[:110]}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES",
                        help="trace Python allocations, keeping FRAMES frames each (25 for tracebacks; 1 is fastest)")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("-s", "--setting", action="append", default=[])
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--group", default="lineno")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare, args.group, args.top)
        return 0
    from bench.run import PROJECT_ROOT, Site, crawl_command

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    extra = [*args.setting, f"PROBE_DIR={out}", f"PROBE_ARTICLES={args.articles}",
             f"PROBE_INTERVAL={args.interval}", f"PROBE_TRACEMALLOC={args.tracemalloc}"]
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "SCRAPY_SETTINGS_MODULE": PROBE_SETTINGS}
    with Site(args.articles) as site:
        command = crawl_command(site, out / "output", args.concurrency, extra)
        with (out / "crawl.log").open("wb") as log:
            start = time.perf_counter()
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
            _, status, usage = os.wait4(process.pid, 0)
    sys.stdout.write(f"N={args.articles}: exit {os.waitstatus_to_exitcode(status)}, wall {time.perf_counter() - start:.1f} s, "
                     f"peak RSS {usage.ru_maxrss / 1024:.1f} MiB; samples in {out / 'rss.tsv'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
