"""Page dates found inside lines of other text, day before month."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from icmpd_news.extract.dates import find_date

UTC = timezone.utc


@pytest.mark.parametrize(("text", "expected"), [
    ("14 December 2020", datetime(2020, 12, 14, tzinfo=UTC)),
    ("14. Dezember 2020", datetime(2020, 12, 14, tzinfo=UTC)),
    ("14 décembre 2020", datetime(2020, 12, 14, tzinfo=UTC)),
    ("December 14, 2020", datetime(2020, 12, 14, tzinfo=UTC)),
    ("Posted on Dec 3rd, 2020 at 10:15", datetime(2020, 12, 3, 10, 15, tzinfo=UTC)),
    # tt_news's stock rightbox: "%d.%m.%y %H:%M", then the category.
    ("\n\t\t15.12.20 13:38\n\t\t Project News ", datetime(2020, 12, 15, 13, 38, tzinfo=UTC)),
    ("03.04.2019", datetime(2019, 4, 3, tzinfo=UTC)),
    ("The meeting took place on 03.04.2019.", datetime(2019, 4, 3, tzinfo=UTC)),
    ("Published 08 April 2022The first teaser", datetime(2022, 4, 8, tzinfo=UTC)),
    ("2021-01-15T09:04:33+01:00", datetime(2021, 1, 15, 9, 4, 33, tzinfo=timezone(timedelta(hours=1)))),
    ("2021-01-15T09:04:33Z", datetime(2021, 1, 15, 9, 4, 33, tzinfo=UTC)),
    ("Published 2021-01-15", datetime(2021, 1, 15, tzinfo=UTC)),
])
def test_dates_in_the_forms_pages_print(text: str, expected: datetime) -> None:
    assert find_date(text) == expected


@pytest.mark.parametrize("text", [
    None, "", "Project News", "Room 14, floor 3", "31.02.2020", "14 Smarch 2020", "1 January 1850",
    "EUR 6,13 million", "phone +43 1 504 4677 0", "version 1.2.3.4",
])
def test_no_date(text: str | None) -> None:
    assert find_date(text) is None
