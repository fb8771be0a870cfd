"""What a run is told on its command line, checked against what the project knows.

A misspelt spider argument (`-a feedurl=...`) would otherwise become a spider attribute that
nothing reads, and the crawl would go to the production site; a misspelt setting
(`-s OUTPUTDIR=...`) would be ignored, and the crawl would write into `output/`. Spider
arguments are a closed list (the spider names them), so an unknown one is an error; settings
are an open one (Scrapy's, ours, and those of the components in use), so only a name close
to a known one is reported, as a warning naming the likely intended setting.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings

from icmpd_news import settings as project_settings

# Spider arguments Scrapyd adds to every job it starts (scrapyd.launcher.get_crawl_args: the
# job id, and the egg version when one was asked for); its other schedule.json parameters
# (project, spider, setting, jobid, priority) never reach the spider.
SCRAPYD_ARGUMENTS = frozenset({"_job", "_version"})
# How alike a given setting name and a known one must be (difflib's ratio) to call it a slip:
# OUTPUTDIR/OUTPUT_DIR is 0.95, RETRY_TIME/RETRY_TIMES 0.95.
CLOSE_ENOUGH = 0.85


class SpiderArgumentError(ValueError):
    """A spider argument the spider does not take, or a value it cannot use: the crawl does
    not start (the crawl command logs it as one line, without a traceback)."""


def check_spider_arguments(given: Iterable[str], accepted: Sequence[str]) -> None:
    """Raise SpiderArgumentError naming every argument in `given` that is neither one of
    `accepted` nor one of Scrapyd's own, with the likely intended one and the accepted list."""
    unknown = sorted(set(given) - set(accepted) - SCRAPYD_ARGUMENTS)
    if not unknown:
        return
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name.lower(), accepted, n=1, cutoff=0.6)
        if close:
            problems.append(f"{name!r} (did you mean {close[0]}?)")
        elif name.upper() in known_settings():
            problems.append(f"{name!r} (a setting: pass it with -s {name.upper()}=...)")
        else:
            problems.append(repr(name))
    raise SpiderArgumentError(
        f"unknown spider argument{'s' if len(unknown) > 1 else ''} {', '.join(problems)}; "
        f"the spider takes {', '.join(accepted)}"
    )


def known_settings() -> frozenset[str]:
    """Every setting Scrapy defines a default for, and every setting of the project."""
    return frozenset(name for module in (default_settings, project_settings) for name in dir(module) if name.isupper())


def misspelt_settings(settings: BaseSettings) -> dict[str, str]:
    """{given: likely intended} for each setting given on the command line (`-s`, also how
    Scrapyd passes them) that is not a known setting but is close to one (compared in
    capitals: `-s output_dir=...` is OUTPUT_DIR). Unknown names close to nothing are left
    alone: components (Spidermon, scrapy-playwright) read settings nobody lists."""
    known = known_settings()
    command_line = SETTINGS_PRIORITIES["cmdline"]
    found = {}
    for name in settings:
        if settings.getpriority(name) != command_line or name in known:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=CLOSE_ENOUGH)
        if close:
            found[name] = close[0]
    return found
