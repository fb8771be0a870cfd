"""Extraction quality on the Zyte article-extraction benchmark: ours beside plain trafilatura.

    .venv/bin/python -m bench.extraction PATH     # PATH: a checkout of
        scrapinghub/article-extraction-benchmark (ground-truth.json, html/, evaluate.py)

Nothing of the benchmark is copied into the project: its pages and its evaluate.py are read
from PATH at run time. Each of its 181 pages goes, in turn and in this one process, through:
  - ours, generic path: `icmpd_news.extract.generic.match` on the parsed page (timed without
    the parse, which the crawl does once for every path);
  - ours, extract_article: the whole extraction of an HtmlResponse of the page with the
    crawler's settings (parse included); a page it refuses exports no text;
  - trafilatura, favor_precision: the mode the generic path starts from;
  - trafilatura: `trafilatura.extract(html, include_comments=False)`, as the benchmark's own
    extractors/run_trafilatura.py calls it;
  - with `--baseline DIR`: the generic path of another checkout of this project (DIR, e.g. main
    exported with `git archive`), its icmpd_news/extract/generic.py loaded beside ours: a
    before and after in one run.
Scores are evaluate.py's own (`evaluate`: precision, recall and F1 over 4-word shingles per
page, averaged over pages, with its bootstrap standard deviation). The published trafilatura
output (output/trafilatura.json) is scored too, to show that the figures are the benchmark's.
It also prints the pages whose text is empty or refused, those whose text is only boilerplate
(`boilerplate_reason`), the mean time per page, and our lowest-scoring pages. bench/README.md
("Extraction quality: the Zyte article-extraction benchmark") has the method and the figures.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import random
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from parsel import Selector
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from bench.report import table
from icmpd_news.extract import ExtractionFailed, extract_article, extract_options, generic
from icmpd_news.extract.boilerplate import boilerplate_reason
from icmpd_news.urls import site_host

GENERIC = "ours, generic path"
ARTICLE = "ours, extract_article"
PRECISION = "trafilatura, favor_precision"
TRAFILATURA = "trafilatura (default)"
BASELINE = "baseline: generic path of --baseline"
SYSTEMS = (GENERIC, ARTICLE, PRECISION, TRAFILATURA)
WORST_PAGES = 12


def load_evaluate(path: Path) -> ModuleType:
    """The benchmark's evaluate.py, imported from its checkout."""
    spec = importlib.util.spec_from_file_location("article_extraction_benchmark_evaluate", path / "evaluate.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no evaluate.py in {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_generic(checkout: Path) -> ModuleType:
    """Another checkout's generic path (icmpd_news/extract/generic.py) as a module of its own;
    what it imports from icmpd_news comes from this checkout."""
    spec = importlib.util.spec_from_file_location("baseline_generic", checkout / "icmpd_news" / "extract" / "generic.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no icmpd_news/extract/generic.py in {checkout}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_generic(module: ModuleType, page: Selector, html: str, url: str, max_tree_size: int | None) -> tuple[str, float]:
    """A generic path's text for the page, and its time in seconds."""
    started = time.process_time()
    found = module.match(page, html, url, max_tree_size=max_tree_size)
    took = time.process_time() - started
    return ("\n\n".join(found.lead_blocks + found.body_blocks) if found else ""), took


def run_page(html: str, url: str, options: dict, baseline: ModuleType | None, baseline_first: bool,
             failures: Counter, paths: Counter) -> dict[str, tuple[str, float]]:
    """Each system's text for one page and its CPU time in seconds."""
    import trafilatura  # after the project's imports, as the crawl has it

    results: dict[str, tuple[str, float]] = {}
    page = Selector(text=html, type="html", base_url=url)
    if baseline is not None and baseline_first:
        results[BASELINE] = run_generic(baseline, page, html, url, options["max_tree_size"])
    results[GENERIC] = run_generic(generic, page, html, url, options["max_tree_size"])
    if baseline is not None and not baseline_first:
        results[BASELINE] = run_generic(baseline, page, html, url, options["max_tree_size"])

    response = HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8")
    started = time.process_time()
    try:
        article = extract_article(response, site=site_host(urlsplit(url).hostname), **options)
        text = article.text
        paths[article.extraction] += 1
    except ExtractionFailed as error:
        text = ""
        failures[str(error)] += 1
    results[ARTICLE] = (text, time.process_time() - started)

    started = time.process_time()
    text = trafilatura.extract(html, include_comments=False, favor_precision=True) or ""
    results[PRECISION] = (text, time.process_time() - started)
    started = time.process_time()
    text = trafilatura.extract(html, include_comments=False) or ""
    results[TRAFILATURA] = (text, time.process_time() - started)
    return results


def page_f1(evaluate: ModuleType, true: str, pred: str) -> float:
    """One page's F1, from evaluate.py's shingle counts and scores."""
    tp, fp, fn = evaluate.string_shingle_matching(true=true, pred=pred)
    precision = evaluate.precision_score(tp, fp, fn) if tp + fp > 0 else 0.0
    recall = evaluate.recall_score(tp, fp, fn)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_row(evaluate: ModuleType, ground_truth: dict, name: str, outputs: dict[str, dict[str, str]],
              seconds: float | None, bootstrap: int) -> list[object]:
    """One line of the main table: evaluate.py's scores (± bootstrap std), empty and
    boilerplate-only texts, CPU ms per page."""
    random.seed(0)
    metrics = evaluate.evaluate(ground_truth, outputs, bootstrap)
    texts = [output.get("articleBody") or "" for output in outputs.values()]
    empty = sum(not text.strip() for text in texts)
    boilerplate = sum(bool(text.strip()) and boilerplate_reason(text) is not None for text in texts)
    return [name, *(f"{metrics[key]:.3f} ± {metrics[key + '_std']:.3f}" for key in ("precision", "recall", "f1")),
            f"{metrics['f1']:.4f}", empty, boilerplate,
            "" if seconds is None else round(seconds / len(ground_truth) * 1000, 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmark", type=Path, help="checkout of scrapinghub/article-extraction-benchmark")
    parser.add_argument("--baseline", type=Path, help="another checkout of this project: its generic path too")
    parser.add_argument("--bootstrap", type=int, default=1000, help="evaluate.py's --n-bootstrap (default 1000)")
    args = parser.parse_args()
    evaluate = load_evaluate(args.benchmark)
    ground_truth = evaluate.load_json(args.benchmark / "ground-truth.json")
    settings = Settings()
    settings.setmodule("icmpd_news.settings")
    options = extract_options(settings)
    baseline = load_generic(args.baseline) if args.baseline else None
    systems = (GENERIC, BASELINE, *SYSTEMS[1:]) if baseline else SYSTEMS
    for module in (generic, baseline):
        if module is not None:
            module.warm_up()
    outputs: dict[str, dict[str, dict[str, str]]] = {name: {} for name in systems}
    seconds: dict[str, float] = dict.fromkeys(systems, 0.0)
    failures: Counter = Counter()
    paths: Counter = Counter()
    for number, (key, truth) in enumerate(ground_truth.items(), start=1):
        with gzip.open(args.benchmark / "html" / f"{key}.html.gz", "rt", encoding="utf8") as file:
            html = file.read()
        # the baseline runs first on every other page: neither is always the one on a fresh tree
        results = run_page(html, truth["url"], options, baseline, number % 2 == 0, failures, paths)
        for name, (text, took) in results.items():
            outputs[name][key] = {"articleBody": text}
            seconds[name] += took
        if number % 30 == 0 or number == len(ground_truth):
            sys.stderr.write(f"{number}/{len(ground_truth)} pages\n")

    rows = [score_row(evaluate, ground_truth, name, outputs[name], seconds[name], args.bootstrap) for name in systems]
    published, version = evaluate.load_prediction(args.benchmark / "output" / "trafilatura.json")
    rows.append(score_row(evaluate, ground_truth, f"published output/trafilatura.json ({version})", published, None,
                          args.bootstrap))
    page_scores = {
        key: tuple(page_f1(evaluate, truth["articleBody"], outputs[name][key]["articleBody"])
                   for name in (GENERIC, ARTICLE, TRAFILATURA))
        for key, truth in ground_truth.items()
    }
    worst = sorted(page_scores, key=lambda key: min(page_scores[key][:2]))[:WORST_PAGES]
    out = sys.stdout
    out.write("\n" + table(f"Our lowest-scoring pages (generic path or extract_article), of {len(ground_truth)}",
                           ["page", "F1 generic path", "F1 extract_article", "F1 trafilatura", "url"],
                           [[key[:10], *(round(f1, 3) for f1 in page_scores[key]), ground_truth[key]["url"][:80]]
                            for key in worst]))
    if failures:
        out.write("\nPages extract_article refused:\n"
                  + "".join(f"  {count} x {reason}\n" for reason, count in failures.most_common()))
    out.write(f"\nextract_article took the {' and '.join(f'{path} path on {count}' for path, count in paths.most_common())} pages\n")
    ratios = [f"ours (generic path) / trafilatura (default) {seconds[GENERIC] / seconds[TRAFILATURA]:.2f}"]
    if baseline:
        ratios.append(f"ours / baseline (generic paths) {seconds[GENERIC] / seconds[BASELINE]:.2f}")
    out.write("\n" + table(
        f"Zyte article-extraction benchmark, {len(ground_truth)} pages, one run (evaluate.py; ± bootstrap std)",
        ["system", "precision", "recall", "F1", "F1 (4 digits)", "empty/refused", "boilerplate only", "CPU ms/page"],
        rows))
    out.write(f"CPU time per page: {'; '.join(ratios)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
