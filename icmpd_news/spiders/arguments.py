"""Spider arguments are a closed list: an unknown one is an error (docs/design.md, "Rules of thumb")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from icmpd_news.extensions.settings_check import setting_name

# Spider arguments Scrapyd adds to every job it starts (scrapyd.launcher.get_crawl_args).
SCRAPYD_ARGUMENTS = frozenset({"_job", "_version"})


class SpiderArgumentError(ValueError):
    """A spider argument the spider does not take, or a value it cannot use: the crawl does not start."""


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
        elif setting_name(name):
            problems.append(f"{name!r} (a setting: pass it with -s {setting_name(name)}=...)")
        else:
            problems.append(repr(name))
    raise SpiderArgumentError(
        f"unknown spider argument{'s' if len(unknown) > 1 else ''} {', '.join(problems)}; "
        f"the spider takes {', '.join(accepted)}"
    )
