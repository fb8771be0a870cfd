"""The benchmark: our crawl against trafilatura's feed mode and Scrapy alone, on a synthetic site.

    .venv/bin/python -m bench.run              # N=2000, then N=200 and N=5000 (several minutes)
    .venv/bin/python -m bench.run --quick      # N=400, then N=100 and N=1000

Every process is measured on its own against one loopback site (bench/site.py, in its own
process). At the main N: our crawl (`scrapy crawl icmpd_news` into an empty folder), the same
command again on that folder (an unchanged scheduled run), Scrapy's minimal crawl
(bench/minimal.py), our crawl text-only (ICMPD_TEXT_ONLY=True, a fresh folder), trafilatura's
feed mode, and the floor (bench/floor.py) through Scrapy's default HTTP client and its aiohttp
one. At each growth size, on a fresh site: our crawl, its re-run, the minimal crawl,
trafilatura and the floor. It prints the runs, then the targets of docs/benchmarks.md judged
on ratios of this one run (bench/report.py), and writes that report and a chart to
bench/results/. See bench/README.md.

Whatever pipelines and middlewares settings.py enables are part of the measured crawl: the
bench passes only politeness, concurrency and the feed size cap.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from bench import report
from devsite import crawl as commands

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SITE_NAME = "icmpd.localhost"

# Politeness off and concurrency raised: the site is ours, on loopback. ROBOTSTXT_OBEY stays
# on (the site's robots.txt allows everything): one request, and the production code path.
POLITENESS_OFF = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0")
# A feed that lists N full articles is a benchmark artefact (ICMPD's lists ten): at N=5000 it
# weighs 20 MB, over the production DOWNLOAD_MAXSIZE of 16 MiB, so the bench raises the cap.
BENCH_LIMITS = ("DOWNLOAD_MAXSIZE=268435456",)
# Our crawl doing the peer's work: article text only, no image or PDF fetched.
TEXT_ONLY = "ICMPD_TEXT_ONLY=True"
# trafilatura's settings.cfg with its politeness off: no sleep between requests to one host,
# and loopback allowed (its SSRF protection blocks 127.0.0.1); its download cap raised as ours is
# (BENCH_LIMITS: its 20 MB refuses the feed of 5000 full articles). Everything else is its default.
TRAFILATURA_CONFIG = """[DEFAULT]
DOWNLOAD_TIMEOUT = 30
MAX_FILE_SIZE = 268435456
MIN_FILE_SIZE = 10
SLEEP_TIME = 0
USER_AGENTS =
COOKIE =
MAX_REDIRECTS = 2
SSRF_PROTECTION = off
INSECURE_SSL_FALLBACK = on
MIN_EXTRACTED_SIZE = 250
MIN_OUTPUT_SIZE = 1
MIN_OUTPUT_COMM_SIZE = 1
MAX_TREE_SIZE =
EXTRACTION_TIMEOUT = 30
MIN_DUPLCHECK_SIZE = 100
MAX_REPETITIONS = 2
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
"""
_STAT_LINE = re.compile(r"^\s*\{?\s*'(?P<name>[^']+)': (?P<value>.*?),?\}?$")
_LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
_WORDS = re.compile(r"\w+")


@dataclass
class Run:
    """One measured process: what it cost and what it did."""

    label: str
    articles: int
    wall: float
    cpu: float
    max_rss_kib: int
    returncode: int
    server: dict
    stats: dict = field(default_factory=dict)
    records: int = 0
    # Whether the run writes records (our crawls, trafilatura): then it is complete only with all N.
    exports: bool = False

    @property
    def complete(self) -> bool:
        return not self.exports or self.records == self.articles

    @property
    def rate(self) -> float:
        return self.articles / self.wall

    @property
    def cpu_per_article_ms(self) -> float:
        return 1000 * self.cpu / self.articles

    @property
    def rss_mib(self) -> float:
        return self.max_rss_kib / 1024

    def requests(self) -> int:
        return sum(self.server["requests"].values())

    def fetched_bytes(self) -> int:
        return sum(self.server["bytes"].values())


@dataclass
class Measured:
    """Every run at one N (None: not measured there) and, at the main N, the texts' agreement."""

    articles: int
    full: Run
    rerun: Run
    minimal: Run
    text_only: Run | None = None
    trafilatura: Run | None = None
    floor: Run | None = None
    floor_aiohttp: Run | None = None
    agreement: dict | None = None
    text_only_agreement: dict | None = None

    def runs(self) -> list[Run]:
        """The runs measured, in the order they ran."""
        runs = (self.full, self.rerun, self.minimal, self.text_only, self.trafilatura, self.floor, self.floor_aiohttp)
        return [run for run in runs if run is not None]


class Site:
    """bench/site.py in its own process, serving N articles until closed. The same (articles,
    feed_bodies, seed) on the same port is the same site, byte for byte."""

    def __init__(self, articles: int, feed_bodies: bool = True, seed: int = 0, port: int = 0) -> None:
        self.articles = articles
        self.process = subprocess.Popen(
            [PYTHON, "-m", "bench.site", "--articles", str(articles), "--name", SITE_NAME, "--seed", str(seed),
             "--port", str(port), "--feed-bodies" if feed_bodies else "--no-feed-bodies"],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
        )
        ready = self.process.stdout.readline().split()
        if not ready or ready[0] != "READY":
            self.close()
            raise RuntimeError("the benchmark site did not start")
        self.url, self.listening = ready[1], ready[2]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.feed_url = f"{self.url}/feed.xml"

    def counters(self, reset: bool = False) -> dict:
        """The server's counters and CPU time (GET /_bench/stats, or /_bench/reset)."""
        with urllib.request.urlopen(f"{self.listening}/_bench/{'reset' if reset else 'stats'}", timeout=10) as answer:
            return json.load(answer)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# GNU time, when installed, measures each process: Linux carries the RSS of the process that spawns
# a child into the child's peak (ru_maxrss), so measured from this Python process, a small tool
# would show at least this process's own RSS (bench/README.md, "Method").
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None


def measure(label: str, command: list[str], site: Site, stdout: Path, stderr: Path,
            env: dict[str, str] | None = None) -> Run:
    """Run `command` to completion; its rusage (through GNU time, else os.wait4) gives CPU and peak RSS.
    `env`: variables added to this process's environment."""
    before = site.counters(reset=True)
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)} | (env or {})
    usage_file = stderr.with_suffix(".rusage")
    if GNU_TIME:
        command = [GNU_TIME, "-f", "%U %S %M", "-o", str(usage_file), *command]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu, max_rss_kib = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
    if GNU_TIME:
        user, system, max_rss_kib = usage_file.read_text(encoding="utf-8").split()[-3:]
        cpu, max_rss_kib = float(user) + float(system), int(max_rss_kib)
    after = site.counters()
    after["cpu_seconds"] -= before["cpu_seconds"]
    return Run(label, site.articles, wall, cpu, max_rss_kib, process.returncode, after)


def parse_stats(log: str) -> dict:
    """The final 'Dumping Scrapy stats' block of a Scrapy log as a dict (numbers parsed): the
    floor's (our crawl dumps its stats at DEBUG and keeps them in its summary file)."""
    stats: dict = {}
    for line in log.rsplit("Dumping Scrapy stats:", 1)[-1].splitlines()[1:]:
        if _LOG_RECORD.match(line):
            break
        match = _STAT_LINE.match(line)
        if not match:
            continue
        value = match.group("value")
        try:
            stats[match.group("name")] = json.loads(value)
        except json.JSONDecodeError:
            stats[match.group("name")] = value
    return stats


def scrapy_command(site: Site, arguments: list[str], concurrency: int, settings: list[str]) -> list[str]:
    """`scrapy <arguments> -a feed_url=...` through the loopback launcher, with politeness off,
    the bench's limits, `concurrency` and then `settings` as -s options."""
    return commands.scrapy_command(*arguments, arguments=[f"feed_url={site.feed_url}"],
                                   settings=[*POLITENESS_OFF, *BENCH_LIMITS, f"CONCURRENT_REQUESTS={concurrency}",
                                             f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", *settings],
                                   scrapy=(PYTHON, "-m", "bench.loopback_dns", SITE_NAME, "scrapy"))


def crawl_command(site: Site, output_dir: Path, concurrency: int, extra: list[str]) -> list[str]:
    return scrapy_command(site, ["crawl", "icmpd_news"], concurrency, [f"ICMPD_OUTPUT_DIR={output_dir}", *extra])


def crawl(label: str, site: Site, output_dir: Path, logs: Path, concurrency: int, extra: list[str],
          exports: bool = True, name: str | None = None) -> Run:
    """One `scrapy crawl icmpd_news` of the site into output_dir, logged to logs/<name>.log
    (name: the label by default); `exports=False` when the crawl runs without the export
    pipeline (--breakdown), so no record is expected."""
    from icmpd_news.extensions.run_summary import summary_file_in

    name = name or label
    log = logs / f"{name}.log"
    run = measure(label, crawl_command(site, output_dir, concurrency, extra), site, logs / f"{name}.out", log)
    # The crawl's stats are in its summary file, which its last log line names.
    summary = summary_file_in(log.read_text(encoding="utf-8", errors="replace"))
    run.stats = json.loads(summary.read_text(encoding="utf-8"))["stats"] if summary else {}
    export = output_dir / "articles.jsonl"
    run.records = sum(1 for _ in export.open(encoding="utf-8")) if export.exists() else 0
    run.exports = exports
    if run.returncode != 0 or (exports and run.records != site.articles):
        sys.stderr.write(f"warning: {label} exited with {run.returncode} and exported {run.records} of "
                         f"{site.articles} articles; see {log}\n")
    return run


def trafilatura_feed(site: Site, workdir: Path, parallel: int | None) -> tuple[Run, Path]:
    """trafilatura's own feed mode on the site; JSON Lines (with metadata, for the URL) on stdout."""
    config = workdir / "trafilatura.cfg"
    config.write_text(TRAFILATURA_CONFIG, encoding="utf-8")
    command = [PYTHON, "-m", "bench.loopback_dns", SITE_NAME, "trafilatura", "--feed", site.feed_url,
               "--json", "--with-metadata", "--config-file", str(config)]
    if parallel:
        command += ["--parallel", str(parallel)]
    output = workdir / f"trafilatura-{site.articles}.jsonl"
    run = measure("trafilatura --feed", command, site, output, workdir / f"trafilatura-{site.articles}.log")
    run.records = len(texts_by_slug(output, "source"))
    run.exports = True
    if not run.complete:
        sys.stderr.write(f"warning: trafilatura exported {run.records} of {site.articles} articles; "
                         f"see {workdir / f'trafilatura-{site.articles}.log'}\n")
    return run, output


# The floor's HTTP clients: Scrapy's default (Twisted's HTTP/1.1 client, which our crawl uses:
# the like-for-like floor) and the aiohttp-based handler Scrapy 2.19 ships as experimental
# ("not recommended for production use"), printed for scale.
AIOHTTP_HANDLER = "scrapy.core.downloader.handlers._aiohttp.AiohttpDownloadHandler"


def runspider(site: Site, workdir: Path, concurrency: int, spider: str, label: str, settings: list[str]) -> Run:
    """`scrapy runspider bench/<spider>.py` with Scrapy's default settings, not the project's
    (SCRAPY_SETTINGS_MODULE names Scrapy's own defaults, so no scrapy.cfg is read), plus
    politeness off, the same concurrency, INFO logging as our crawl logs, and `settings`."""
    from icmpd_news.settings import LOG_LEVEL

    command = scrapy_command(site, ["runspider", str(PROJECT_ROOT / "bench" / f"{spider}.py")], concurrency,
                             [f"LOG_LEVEL={LOG_LEVEL}", *settings])
    name = f"{label.replace(' ', '-').replace(',', '')}-{site.articles}"
    log = workdir / f"{name}.log"
    run = measure(label, command, site, workdir / f"{name}.out", log,
                  env={"SCRAPY_SETTINGS_MODULE": "scrapy.settings.default_settings"})
    run.stats = parse_stats(log.read_text(encoding="utf-8", errors="replace"))
    if run.returncode != 0:
        sys.stderr.write(f"warning: {label} exited with {run.returncode}; see {log}\n")
    return run


def scrapy_floor(site: Site, workdir: Path, concurrency: int, handler: str | None = None) -> Run:
    """bench/floor.py: Scrapy alone fetching what our crawl fetches (robots.txt, feed, pages,
    redirects, images, PDFs) and doing nothing else, with what our crawl sets for the engine
    itself: robots.txt obeyed and CONCURRENT_ITEMS (icmpd_news/settings.py). `handler`: the
    http download handler, when not Scrapy's default."""
    from icmpd_news.settings import CONCURRENT_ITEMS

    settings = ["ROBOTSTXT_OBEY=True", f"CONCURRENT_ITEMS={CONCURRENT_ITEMS}"]
    if handler:
        settings.append(f"DOWNLOAD_HANDLERS={json.dumps({'http': handler})}")
    label = "Scrapy floor, aiohttp" if handler else "Scrapy floor"
    run = runspider(site, workdir, concurrency, "floor", label, settings)
    if run.server["requests"]["pdf"] != site.articles:
        sys.stderr.write(f"warning: {label} fetched {run.server['requests']['pdf']} of {site.articles} PDFs\n")
    return run


def scrapy_minimal(site: Site, workdir: Path, concurrency: int) -> Run:
    """bench/minimal.py: Scrapy starting, asking the site's robots.txt (ROBOTSTXT_OBEY left at
    Scrapy's default, off, so that is the one request) and stopping."""
    run = runspider(site, workdir, concurrency, "minimal", "Scrapy minimal", [])
    if run.requests() != 1:
        sys.stderr.write(f"warning: Scrapy minimal made {run.requests()} requests, not 1\n")
    return run


def _slug(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def texts_by_slug(path: Path, url_key: str) -> dict[str, str]:
    """Article texts of a JSON Lines file by the URL's last path segment (both layouts share it)."""
    texts: dict[str, str] = {}
    if path.exists():
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            texts.setdefault(_slug(record.get(url_key) or ""), record.get("text") or "")
    return texts


def agreement(ours: dict[str, str], theirs: dict[str, str]) -> dict:
    """Per article present in both: difflib's ratio over the word sequences, and the share of
    our words (as a set) that trafilatura also has."""
    ratios, covered = [], []
    for slug in ours.keys() & theirs.keys():
        a, b = _WORDS.findall(ours[slug].lower()), _WORDS.findall(theirs[slug].lower())
        ratios.append(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio())
        covered.append(len(set(a) & set(b)) / max(1, len(set(a))))
    if not ratios:
        return {"common": 0}
    return {
        "common": len(ratios), "only_ours": len(ours.keys() - theirs.keys()), "only_theirs": len(theirs.keys() - ours.keys()),
        "median": statistics.median(ratios), "min": min(ratios), "coverage_median": statistics.median(covered),
    }


# --breakdown: cumulative sets of the project's item pipelines (matched by module name), so
# that each step's extra CPU per article is what that stage costs (bench/README.md, "What each pipeline costs").
BREAKDOWN_STEPS = (
    ("spider only: pages, extraction, loading", ()),
    ("+ dedupe, export", ("dedupe", "export")),
    ("+ schema validation", ("dedupe", "export", "validate")),
    ("+ images", ("dedupe", "export", "validate", "images")),
    ("+ attachments", ("dedupe", "export", "validate", "images", "attachments")),
    ("+ PDF text (everything)", ("dedupe", "export", "validate", "images", "attachments", "pdftext")),
)


def breakdown(articles: int, workdir: Path, concurrency: int, extra: list[str]) -> str:
    """First runs of one site with more and more of the item pipelines; a table of their cost."""
    from icmpd_news.settings import ITEM_PIPELINES  # the project's own, whatever they are

    rows: list[list[object]] = []
    previous = None
    with Site(articles) as site:
        for number, (label, modules) in enumerate(BREAKDOWN_STEPS):
            pipelines = {path: order for path, order in ITEM_PIPELINES.items()
                         if path.split(".")[-2] in modules}
            run = crawl(f"breakdown-{number}", site, workdir / f"breakdown-{number}", workdir, concurrency,
                        [*extra, f"ITEM_PIPELINES={json.dumps(pipelines)}"], exports="export" in modules)
            added = "" if previous is None else f"{run.cpu_per_article_ms - previous.cpu_per_article_ms:+.2f}"
            rows.append([label, round(run.wall, 2), round(run.cpu_per_article_ms, 2), added, run.requests(),
                         run.stats.get("item_scraped_count", 0)])
            previous = run
    return report.table(f"Cost by stage, N={articles} (first runs, CPU ms per article; each step adds pipelines)",
                 ["pipelines", "wall s", "CPU ms/art", "added", "requests", "items"], rows)


def profile(articles: int, workdir: Path, concurrency: int, extra: list[str], report: Path) -> int:
    """One crawl under pyinstrument (bench/requirements.txt); its call tree goes to `report`."""
    with Site(articles) as site:
        crawl_args = crawl_command(site, workdir / "profiled", concurrency, extra)[1:]
        command = [PYTHON, "-m", "pyinstrument", "-r", "text", "-o", str(report), *crawl_args]
        env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT)}
        done = subprocess.run(command, check=False, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    sys.stdout.write(f"profile of a crawl of {articles} articles: {report} (exit {done.returncode})\n")
    return done.returncode


def progress(message: str) -> None:
    """One line on stderr while the bench works (the report goes to stdout)."""
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} {message}\n")
    sys.stderr.flush()


def measure_size(articles: int, args: argparse.Namespace, workdir: Path, main: bool) -> Measured:
    """Every run at one N, on a fresh site: ours, its unchanged re-run, Scrapy minimal,
    trafilatura and the floor; at the main N also ours text-only, the aiohttp floor and how far
    the texts agree."""
    concurrency, extra = args.concurrency, args.setting
    with Site(articles, args.feed_bodies, args.seed) as site:
        output_dir = workdir / f"ours-{articles}"
        progress(f"N={articles}: ours")
        full = crawl("ours (full)", site, output_dir, workdir, concurrency, extra, name=f"ours-{articles}")
        progress(f"N={articles}: ours, unchanged re-run")
        rerun = crawl("ours, unchanged re-run", site, output_dir, workdir, concurrency, extra,
                      name=f"ours-rerun-{articles}")
        progress(f"N={articles}: Scrapy minimal")
        measured = Measured(articles, full, rerun, scrapy_minimal(site, workdir, concurrency))
        text_only_dir = workdir / f"ours-text-only-{articles}"
        if main:
            progress(f"N={articles}: ours, text-only")
            measured.text_only = crawl("ours, text-only", site, text_only_dir, workdir, concurrency,
                                       [*extra, TEXT_ONLY], name=f"ours-text-only-{articles}")
        if not args.no_trafilatura:
            progress(f"N={articles}: trafilatura")
            measured.trafilatura, their_output = trafilatura_feed(site, workdir, args.trafilatura_parallel)
        if not args.no_floor:
            progress(f"N={articles}: Scrapy floor")
            measured.floor = scrapy_floor(site, workdir, concurrency)
            if main:
                progress(f"N={articles}: Scrapy floor, aiohttp")
                measured.floor_aiohttp = scrapy_floor(site, workdir, concurrency, AIOHTTP_HANDLER)
    if main and measured.trafilatura is not None:
        theirs = texts_by_slug(their_output, "source")
        measured.agreement = agreement(texts_by_slug(output_dir / "articles.jsonl", "url"), theirs)
        measured.text_only_agreement = agreement(texts_by_slug(text_only_dir / "articles.jsonl", "url"), theirs)
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000, help="N for the main comparison (default 2000)")
    parser.add_argument("--sizes", default="200,5000",
                        help="the growth sizes, at which the re-run and memory growth are judged (default 200,5000)")
    parser.add_argument("--quick", action="store_true", help="N=400, growth sizes 100 and 1000")
    parser.add_argument("--concurrency", type=int, default=32, help="CONCURRENT_REQUESTS(_PER_DOMAIN) (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="the sites' content seed (bench/site.py; default 0)")
    parser.add_argument("--trafilatura-parallel", type=int, default=None,
                        help="trafilatura --parallel (default: its own, min(cores, 16))")
    parser.add_argument("--no-trafilatura", action="store_true", help="skip the peer baseline")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the floor: Scrapy alone fetching the same resources (bench/floor.py)")
    parser.add_argument("--no-feed-bodies", dest="feed_bodies", action="store_false",
                        help="the feed lists every article without its full body (title, link, teaser, date)")
    parser.add_argument("-s", "--setting", action="append", default=[], help="extra -s NAME=VALUE for our crawl")
    parser.add_argument("--workdir", type=Path, help="keep outputs and logs here (default: a temporary folder, removed)")
    parser.add_argument("--results", type=Path, default=PROJECT_ROOT / "bench" / "results",
                        help="write the report and its chart here as <UTC date>-<commit>.md/.svg (default bench/results)")
    parser.add_argument("--no-results", action="store_true", help="print the report only, write no results file")
    parser.add_argument("--profile", type=Path, metavar="REPORT",
                        help="only profile one crawl of N articles with pyinstrument and write its text report here")
    parser.add_argument("--breakdown", action="store_true",
                        help="only crawl N articles six times, adding the item pipelines one by one, and print what each costs")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.sizes = 400, "100,1000"
    sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="icmpd-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started, load = datetime.now(timezone.utc), os.getloadavg()[0]
    out = sys.stdout
    opening = (f"icmpd-news benchmark: N={args.articles}, growth {sizes}, concurrency {args.concurrency}, "
               f"seed {args.seed}, {os.cpu_count()} CPUs, load {load:.2f}; outputs in {workdir}\n\n")
    out.write(opening)
    out.flush()
    try:
        if args.profile:
            return profile(args.articles, workdir, args.concurrency, args.setting, args.profile.resolve())
        if args.breakdown:
            out.write(breakdown(args.articles, workdir, args.concurrency, args.setting))
            return 0
        main_runs = measure_size(args.articles, args, workdir, main=True)
        growth = [main_runs if size == args.articles else measure_size(size, args, workdir, main=False)
                  for size in sizes]
        text = report.render(main_runs, growth)
        if not args.no_results:
            written = report.write_results(args.results, started, load, opening + text,
                                           [main_runs, *(m for m in growth if m is not main_runs)])
            progress(f"report written to {written} and {written.with_suffix('.svg')}")
        out.write(text)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
