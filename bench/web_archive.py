"""What the web archive costs and what re-extraction from it does, on the benchmark site.

    python -m bench.web_archive [--articles N]      # N=1000 by default

In one run, each a separate process against the same loopback site (bench/site.py):
  1. `scrapy crawl icmpd_news` into an empty folder with the web archive off (ICMPD_WARC_ENABLED=False);
  2. the same with the archive on (the default);
  3. `scrapy crawl icmpd_news_reextract` on the second folder: every article extracted again
     from the archive, offline.
It prints wall time and articles/s of each, the archive's ratio of wall time, and the archive's
bytes per article.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from bench.report import table
from bench.run import PYTHON, Site, crawl, measure

logger = logging.getLogger("bench.web_archive")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-warc-") as folder, Site(args.articles) as site:
        work = Path(folder)
        without = crawl("archive off", site, work / "off", work, args.concurrency, ["ICMPD_WARC_ENABLED=False"])
        with_archive = crawl("archive on", site, work / "on", work, args.concurrency, [])
        warc = sorted((work / "on" / "warc").glob("*.warc.gz"))
        size = sum(path.stat().st_size for path in warc)
        reextract = measure("reextract (offline)", [PYTHON, "-m", "scrapy", "crawl", "icmpd_news_reextract",
                                                    "-s", f"ICMPD_OUTPUT_DIR={work / 'on'}"],
                            site, work / "reextract.out", work / "reextract.log")
        if min(without.returncode, with_archive.returncode, reextract.returncode) or reextract.returncode:
            sys.stderr.write(f"a run failed: see the logs in {work}\n")
        rows = [[run.label, f"{run.wall:.1f}", f"{run.rate:.1f}", f"{run.cpu_per_article_ms:.1f}", f"{run.rss_mib:.0f}",
                 run.requests()] for run in (without, with_archive, reextract)]
        logger.info(table(f"Web archive, N={args.articles}", ["run", "wall s", "articles/s", "CPU ms/article", "peak MiB",
                                                               "requests to the site"], rows))
        logger.info("wall time with the archive / without: %.2f; archive: %d files, %.1f MiB, %.1f KiB per article; "
                    "re-extraction offline: %.1f articles/s", with_archive.wall / without.wall, len(warc), size / 2**20,
                    size / 1024 / args.articles, reextract.rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
