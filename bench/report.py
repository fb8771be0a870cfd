"""The benchmark's report: the per-run tables, the targets judged, the results file and its chart.

bench/run.py measures; this module only reads its runs. The targets and why each compares like
with like are in docs/benchmarks.md; their thresholds live here, in TARGETS.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.run import Measured, Run


@dataclass(frozen=True)
class Target:
    """One threshold: a ratio at least (or at most) `limit`."""

    limit: float
    at_least: bool

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def __str__(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.limit:.2f}x"


TARGETS = {
    "text_only_vs_trafilatura": Target(2.0, at_least=True),
    "full_vs_floor": Target(0.5, at_least=True),
    "full_vs_trafilatura": Target(1.0, at_least=True),
    "rerun_vs_minimal": Target(1.5, at_least=False),
    "rss_vs_trafilatura": Target(1.5, at_least=False),
    "rss_growth": Target(1.15, at_least=False),
}
MET, NOT_MET, NOT_MEASURED = "met", "NOT met", "not measured"


def table(title: str, header: list[str], rows: list[list[object]]) -> str:
    """A plain-text table, right-aligned numbers."""
    cells = [[f"{c:,.2f}" if isinstance(c, float) else (f"{c:,}" if isinstance(c, int) else str(c)) for c in row]
             for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(cells[0], widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in cells[1:]]
    return "\n".join(lines) + "\n"


RUN_HEADER = ["run", "N", "records", "wall s", "art/s", "CPU ms/art", "peak RSS MiB", "requests",
              "page/img/pdf/304", "MiB sent", "server CPU s", "exit"]


def article_fetches(run: Run) -> tuple[int, int, int]:
    """Article pages (legacy links' 301s included), images and PDFs the site answered in full."""
    requests = run.server["requests"]
    return requests["page"] + requests["redirect"], requests["image"], requests["pdf"]


def run_row(run: Run) -> list[object]:
    requests = run.server["requests"]
    return [run.label, run.articles, run.records, round(run.wall, 2), round(run.rate, 1),
            round(run.cpu_per_article_ms, 2), round(run.rss_mib, 1), run.requests(),
            f"{requests['page']}/{requests['image']}/{requests['pdf']}/{requests['not_modified']}",
            round(run.fetched_bytes() / 2**20, 2), round(run.server["cpu_seconds"], 2), run.returncode]


def agreement_row(label: str, agree: dict) -> list[object]:
    return [label, agree.get("common", 0), agree.get("only_ours", "-"), agree.get("only_theirs", "-"),
            round(agree.get("median", 0.0), 3), round(agree.get("min", 0.0), 3), f"{agree.get('coverage_median', 0.0):.1%}"]


# Stats worth a line in the report: the export's merge, what was downloaded (pages, 304s,
# files and images, whichever pipelines the project enables), failures and the monitors.
REPORTED_STATS = re.compile(
    r"^(downloader/response_bytes|downloader/response_status_count/304|icmpd/export/(new|updated|unchanged)|"
    r"icmpd/run/(new|updated|unchanged|failed)|icmpd/(images|files|pdf)/[a-z_]+|icmpd/articles/failed|"
    r"icmpd/monitors/failed|file_count|file_status_count/.*)$"
)


def stats_table(runs: list[Run]) -> str:
    """The REPORTED_STATS any of our crawls has, one column per crawl."""
    keys = sorted({key for run in runs for key in run.stats if REPORTED_STATS.match(key)})
    return table(f"Crawl stats, N={runs[0].articles}", ["stat", *(run.label for run in runs)],
                 [[key, *(run.stats.get(key, "-") for run in runs)] for key in keys])


def render(main: Measured, growth: list[Measured]) -> str:
    """The whole report: runs, stats, agreement, other ratios, and the targets table last."""
    parts = [table(f"Runs at N={main.articles} (records: lines exported; page/img/pdf/304: server answers)",
                   RUN_HEADER, [run_row(run) for run in main.runs()])]
    others = [measured for measured in growth if measured is not main]
    if others:
        parts.append(table("Runs at the growth sizes, each on a fresh site", RUN_HEADER,
                           [run_row(run) for measured in others for run in measured.runs()]))
    parts.append(stats_table([run for run in (main.full, main.rerun, main.text_only) if run is not None]))
    agreements = [(label, agree) for label, agree in (("ours full", main.agreement),
                                                       ("ours text-only", main.text_only_agreement)) if agree]
    if agreements:
        parts.append(table("Text agreement with trafilatura (word sequences, difflib ratio)",
                           ["crawl", "articles in both", "only ours", "only theirs", "median", "min",
                            "our words they have (median)"], [agreement_row(*pair) for pair in agreements]))
    parts.append(table("Other ratios (context, not targets)", ["measure", "value"], other_ratios(main)))
    parts.append(table("Targets (docs/benchmarks.md; ratios measured in this one run)",
                       ["measure", "value", "target", "verdict"], judge(main, growth)))
    return "\n".join(parts)


def _ratio(name: str, measure: str, ours: Run | None, other: Run | None, value: str) -> list[str]:
    """A target row for ours / other of `value` ("rate", "wall" or "rss_mib"). A crawl of ours
    that failed or exported fewer than N records fails its targets, however fast it was."""
    target = TARGETS[name]
    if ours is None or other is None:
        return [measure, "-", str(target), NOT_MEASURED]
    ratio = getattr(ours, value) / getattr(other, value)
    if ours.returncode != 0 or ours.records != ours.articles:
        return [measure, f"{ratio:.2f}x, but {ours.label} exited {ours.returncode} with {ours.records} records",
                str(target), NOT_MET]
    if not other.complete:
        return [measure, f"{ratio:.2f}x, but {other.label} exported {other.records} of {other.articles}",
                str(target), NOT_MEASURED]
    return [measure, f"{ratio:.2f}x", str(target), MET if target.met(ratio) else NOT_MET]


def _agreement_row(main: Measured) -> list[str]:
    """Target 1's condition: the text-only crawl agrees with trafilatura as the full crawl does."""
    measure = "text-only texts vs trafilatura (median, min)"
    full, text_only = main.agreement, main.text_only_agreement
    if full is None or text_only is None:
        return [measure, "-", "as the full crawl's, all N", NOT_MEASURED]
    if "median" not in text_only or "median" not in full:  # no article in both outputs
        return [measure, f"{text_only['common']}/{main.articles} (full {full['common']})",
                "as the full crawl's, all N", NOT_MET]
    value = (f"{text_only['common']}/{main.articles}: {text_only['median']:.3f}, {text_only['min']:.3f} "
             f"(full {full['median']:.3f}, {full['min']:.3f})")
    met = (text_only["common"] == main.articles
           and round(text_only["median"], 3) >= round(full["median"], 3)
           and round(text_only["min"], 3) >= round(full["min"], 3))
    return [measure, value, "as the full crawl's, all N", MET if met else NOT_MET]


def judge(main: Measured, growth: list[Measured]) -> list[list[str]]:
    """Every target as [measure, value, target, verdict], in the order of docs/benchmarks.md."""
    n = main.articles
    rows = [
        _ratio("text_only_vs_trafilatura", f"1. articles/s ours text-only / trafilatura, N={n}",
               main.text_only, main.trafilatura, "rate"),
        ["   " + cell if i == 0 else cell for i, cell in enumerate(_agreement_row(main))],
        _ratio("full_vs_floor", f"2. articles/s ours full / Scrapy floor, N={n}", main.full, main.floor, "rate"),
        _ratio("full_vs_trafilatura", f"   articles/s ours full / trafilatura, N={n}", main.full, main.trafilatura, "rate"),
    ]
    for number, measured in enumerate(growth):
        rows.append(_ratio("rerun_vs_minimal", f"{'3.' if number == 0 else '  '} wall unchanged re-run / Scrapy "
                           f"minimal, N={measured.articles}", measured.rerun, measured.minimal, "wall"))
    if growth:
        fetched = {measured.articles: article_fetches(measured.rerun) for measured in growth}
        value = "; ".join(f"N={size}: {'/'.join(map(str, counts))}" for size, counts in fetched.items())
        zero = all(counts == (0, 0, 0) for counts in fetched.values())
        rows.append(["   pages/images/PDFs fetched by the re-runs", value, "0/0/0", MET if zero else NOT_MET])
    else:
        rows.append(["3. unchanged re-run / Scrapy minimal", "-", str(TARGETS["rerun_vs_minimal"]), NOT_MEASURED])
    rows.append(_ratio("rss_vs_trafilatura", f"4. peak RSS ours full / trafilatura, N={n}", main.full,
                       main.trafilatura, "rss_mib"))
    smallest, largest = (growth[0], growth[-1]) if len(growth) > 1 else (None, None)
    sizes = f"N={largest.articles} / N={smallest.articles}" if smallest else "(two growth sizes needed)"
    rows.append(_ratio("rss_growth", f"   peak RSS ours full {sizes}", largest and largest.full,
                       smallest and smallest.full, "rss_mib"))
    return rows


def other_ratios(main: Measured) -> list[list[str]]:
    """Ratios printed for context, not judged."""
    rows = []
    if main.trafilatura:
        for run in (main.floor, main.floor_aiohttp):
            if run:
                rows.append([f"articles/s {run.label} / trafilatura", f"{run.rate / main.trafilatura.rate:.2f}x"])
        rows.append(["CPU per article ours full / trafilatura", f"{main.full.cpu / main.trafilatura.cpu:.2f}"])
    if main.floor_aiohttp:
        rows.append([f"articles/s ours full / {main.floor_aiohttp.label}", f"{main.full.rate / main.floor_aiohttp.rate:.2f}x"])
    rows.append([f"wall unchanged re-run / Scrapy minimal, N={main.articles}",
                 f"{main.rerun.wall / main.minimal.wall:.2f}x (fetched {'/'.join(map(str, article_fetches(main.rerun)))})"])
    rows.append([f"wall unchanged re-run / first run, N={main.articles}", f"{main.rerun.wall / main.full.wall:.1%}"])
    return rows


def head(started: datetime, load: float) -> str:
    """What a results file starts with: command line, commit, date, CPUs, load at the start."""
    root = Path(__file__).resolve().parent.parent
    commit = _git(root, "rev-parse", "HEAD")
    dirty = " + uncommitted changes" if _git(root, "status", "--porcelain") else ""
    command = shlex.join([Path(sys.executable).name, "-m", "bench.run", *sys.argv[1:]])
    return (f"# Benchmark run {started:%Y-%m-%d %H:%M} UTC\n\n"
            f"- command: `{command}`\n- commit: {commit}{dirty}\n- date: {started:%Y-%m-%d %H:%M:%S} UTC\n"
            f"- CPUs: {os.cpu_count()}\n- load average at start: {load:.2f}\n")


def _git(root: Path, *words: str) -> str:
    done = subprocess.run(["git", *words], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def results_stem(directory: Path, started: datetime) -> Path:
    """directory/<UTC date>-<short commit>, with -2, -3... when that name is taken."""
    short = _git(Path(__file__).resolve().parent.parent, "rev-parse", "--short", "HEAD")
    stem = directory / f"{started:%Y-%m-%d}-{short}"
    number = 1
    while stem.with_suffix(".md").exists() or stem.with_suffix(".svg").exists():
        number += 1
        stem = directory / f"{started:%Y-%m-%d}-{short}-{number}"
    return stem


def write_results(directory: Path, started: datetime, load: float, text: str, measured: list[Measured]) -> Path:
    """The printed report as <stem>.md (after head()) and chart() as <stem>.svg; returns the .md."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = results_stem(directory, started)
    markdown = stem.with_suffix(".md")
    markdown.write_text(f"{head(started, load)}\n![articles/s and peak RSS against N]({stem.name}.svg)\n\n"
                        f"```\n{text}```\n", encoding="utf-8")
    chart(stem.with_suffix(".svg"), measured)
    return markdown


def chart(path: Path, measured: list[Measured]) -> None:
    """Two panels, articles/s and peak RSS MiB against N: ours full, ours text-only, the floor
    (Scrapy's default client) and trafilatura, wherever measured."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    lines = {"ours (full)": "full", "ours (text-only)": "text_only", "Scrapy floor (default client)": "floor",
             "trafilatura --feed": "trafilatura"}
    every_size = sorted(m.articles for m in measured)
    figure, (speed, memory) = pyplot.subplots(1, 2, figsize=(11, 4.5))
    for label, attribute in lines.items():
        # A run that exported fewer than N records (a peer that refused the feed) is no point of the line.
        points = sorted((m.articles, run) for m in measured
                        if (run := getattr(m, attribute)) is not None and run.complete)
        if not points:
            continue
        sizes = [size for size, _ in points]
        speed.plot(sizes, [run.rate for _, run in points], marker="o", label=label)
        memory.plot(sizes, [run.rss_mib for _, run in points], marker="o", label=label)
    for axes, title in ((speed, "articles/s"), (memory, "peak RSS MiB")):
        axes.set_xscale("log")
        axes.set_xticks(every_size, [str(size) for size in every_size])
        axes.minorticks_off()
        axes.set_xlabel("N (articles)")
        axes.set_title(title)
        axes.set_ylim(bottom=0)
        axes.grid(True, alpha=0.3)
    speed.legend()
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    pyplot.close(figure)
