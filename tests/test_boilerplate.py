"""Boilerplate is not an article, however long: notices fail extraction with a reason, on both
paths, and real articles (a copyright line at the end included) pass."""

from __future__ import annotations

import copy
import html

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from devsite.fixture_site import article_path, expected_blocks, load_articles, render_page
from icmpd_news.extract import ExtractionFailed, extract_article, generic
from icmpd_news.extract.boilerplate import NOTICE_SHARE, boilerplate_reason, notice_shares

BASE = "http://127.0.0.1:8000"
OTHER = "http://127.0.0.2:8000"
SITE = "127.0.0.1"
ICMPD_MIN_TEXT_CHARS = 200
ARTICLES = load_articles()

# The shape of the notice trafilatura's precision mode kept as a whole article on one page of
# the Zyte benchmark (bench/README.md): a print-edition reprint line and the page's address.
REPRINT_NOTICE = (
    "This copy is for your personal, non-commercial use only. To order presentation-ready copies "
    "for distribution to your colleagues, clients or customers visit http://127.0.0.1:8000/reprints."
    "\nhttp://127.0.0.1:8000/news/ministers-agree-on-a-new-partnership-in-vienna"
)
COOKIE_NOTICES = {
    "en": (
        "We use cookies on our website. Some of them are essential, while others help us to improve "
        "this website and your experience. If you are under 16 and wish to give consent to optional "
        "services, you must ask your legal guardians for permission. Personal data may be processed "
        "(e.g. IP addresses), for example for personalised ads and content or ad and content "
        "measurement. You can find more information about the use of your data in our privacy policy. "
        "You can revoke or adjust your selection at any time under Settings.\n"
        "Essential cookies enable basic functions and are necessary for the proper function of the "
        "website. Statistics cookies collect information anonymously and help us understand how our "
        "visitors use our website. Marketing cookies are used by third-party advertisers or "
        "publishers to display personalised ads.\nAccept all\nSave\nIndividual privacy preferences"
    ),
    "de": (
        "Wir verwenden Cookies auf unserer Website. Einige von ihnen sind essenziell, während andere "
        "uns helfen, diese Website und Ihre Erfahrung zu verbessern. Personenbezogene Daten können "
        "verarbeitet werden (z. B. IP-Adressen). Weitere Informationen über die Verwendung Ihrer Daten "
        "finden Sie in unserer Datenschutzerklärung. Sie können Ihre Auswahl jederzeit unter "
        "Einstellungen widerrufen oder anpassen.\nAlle akzeptieren\nSpeichern"
    ),
    "fr": (
        "Nous utilisons des cookies sur notre site web. Certains sont essentiels, tandis que d'autres "
        "nous aident à améliorer ce site et votre expérience. Des données personnelles peuvent être "
        "traitées. Vous trouverez plus d'informations dans notre politique de confidentialité. Vous "
        "pouvez modifier vos paramètres ou retirer votre consentement à tout moment.\nTout accepter\n"
        "Tout refuser"
    ),
}
NOTICES = [
    ("reprint notice", REPRINT_NOTICE),
    *(("cookie notice", text) for text in COOKIE_NOTICES.values()),
    ("copyright notice", (
        "© 2021 International Centre for Migration Policy Development. All rights reserved. "
        "No part of this website may be reproduced without the prior written permission of ICMPD.")),
    ("copyright notice", "© 2021 ICMPD. Alle Rechte vorbehalten. Vervielfältigung nur mit schriftlicher Genehmigung."),
    ("copyright notice", "© 2021 ICMPD. Tous droits réservés. Reproduction interdite sans autorisation préalable."),
    ("error page", (
        "Page not found\nSorry, the page you are looking for does not exist or has been moved. "
        "Please check the address or go back to the home page.")),
    ("error page", (
        "Seite nicht gefunden\nDie angeforderte Seite existiert leider nicht oder wurde verschoben. "
        "Bitte prüfen Sie die Adresse oder kehren Sie zur Startseite zurück.")),
    ("error page", (
        "Page introuvable\nLa page que vous recherchez n'existe pas ou a été déplacée. Retour à la page d'accueil.")),
    ("login or paywall notice", (
        "Subscribe to continue reading. This article is available to subscribers only. "
        "Already a subscriber? Sign in. Create a free account to read three articles a month.")),
    ("login or paywall notice", (
        "Jetzt abonnieren und weiterlesen. Dieser Artikel ist nur für Abonnenten verfügbar. "
        "Sie haben bereits ein Abo? Hier anmelden.")),
    ("login or paywall notice", (
        "Cet article est réservé aux abonnés. Abonnez-vous pour lire la suite. Déjà abonné ? Connectez-vous.")),
    ("newsletter notice", (
        "Subscribe to our newsletter. Get the latest news from ICMPD in your inbox every month. "
        "Enter your e-mail address to sign up.")),
    ("JavaScript notice", (
        "Please enable JavaScript in your browser to view this page. "
        "JavaScript is disabled or not supported by your browser.")),
]
COPYRIGHT_LINE = "© 2021 ICMPD. All rights reserved."
# Real articles whose words come close to a notice's, without being one.
NEAR_MISSES = [
    # consent and personal data, but no cookie: not a cookie notice
    ("ICMPD trained 40 border officials in Tirana on the protection of personal data. The course covered "
     "consent, the rights of data subjects and the privacy policy of the new case management system. "
     "Participants drafted a guide to informed consent for migrants who register for assistance."),
    # numbers that are status codes elsewhere, and "sign in" as a verb phrase
    ("More than 500 experts from 404 organisations met in Vienna, where ministers will sign in December "
     "a declaration on legal pathways. The conference ended with a call for more cooperation."),
    # "mit Nachdruck" means "emphatically", not a reprint
    ("Die Ministerinnen und Minister forderten mit Nachdruck mehr legale Migrationswege. Das Treffen in "
     "Wien endete mit einer gemeinsamen Erklärung über die Zusammenarbeit in der Region."),
]


def fixture_text(article: dict) -> str:
    return "\n\n".join(expected_blocks(article))


def response(body: str, path: str = "/news/a-page") -> HtmlResponse:
    return HtmlResponse(url=BASE + path, body=body.encode("utf-8"), encoding="utf-8")


def plain_page(paragraphs: list[str], title: str = "A page") -> str:
    """A page of no known layout: the text in <main>, one <p> per line."""
    body = "".join(f"<p>{html.escape(line)}</p>" for text in paragraphs for line in text.split("\n"))
    return (f"<html lang='en'><head><title>{html.escape(title)}</title></head><body>"
            f"<main><h1>{html.escape(title)}</h1>{body}</main></body></html>")


@pytest.mark.parametrize(("reason", "text"), NOTICES, ids=[f"{reason}-{i}" for i, (reason, _) in enumerate(NOTICES)])
def test_every_kind_of_notice_is_named(reason: str, text: str) -> None:
    assert boilerplate_reason(text) == reason
    assert sum(notice_shares(text).values()) > NOTICE_SHARE


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_fixture_articles_are_not_boilerplate(article: dict) -> None:
    text = fixture_text(article)
    assert boilerplate_reason(text) is None
    assert boilerplate_reason(f"{text}\n\n{COPYRIGHT_LINE}") is None


@pytest.mark.parametrize("text", NEAR_MISSES, ids=["data-protection", "numbers", "mit-nachdruck"])
def test_articles_near_a_notice_are_not_boilerplate(text: str) -> None:
    assert boilerplate_reason(text) is None


def test_the_share_is_of_characters_with_urls_left_out() -> None:
    article = "The ministers met in Vienna to agree on new legal pathways for workers."
    notice = "We use cookies on this website."
    text = f"{article}\n{notice} http://127.0.0.1:8000/privacy\nhttp://127.0.0.1:8000/a-page"
    assert notice_shares(text) == {"cookie notice": len(notice) / (len(article) + len(notice))}
    assert boilerplate_reason(text) is None  # 30% of the text
    assert boilerplate_reason(f"{notice} {notice}\n{article}") is None  # 62 of 133 characters
    assert boilerplate_reason(f"{notice} {notice} {notice}\n{article}") == "cookie notice"  # 93 of 164
    assert notice_shares(REPRINT_NOTICE) == {"reprint notice": 1.0}
    assert boilerplate_reason("") == boilerplate_reason("http://127.0.0.1:8000/a-page") == "no text"


def test_a_reprint_notice_page_fails_with_its_reason() -> None:
    # Long enough to pass ICMPD_MIN_TEXT_CHARS, as the page that went through as an article was.
    assert len(REPRINT_NOTICE) == 261 > ICMPD_MIN_TEXT_CHARS
    with pytest.raises(ExtractionFailed, match="on the generic path is boilerplate, not an article: reprint notice"):
        extract_article(response(plain_page([REPRINT_NOTICE], "Reprints")), site=SITE, min_text_chars=ICMPD_MIN_TEXT_CHARS)


@pytest.mark.parametrize("language", sorted(COOKIE_NOTICES))
def test_a_long_cookie_notice_page_fails_on_the_generic_path(language: str) -> None:
    notice = COOKIE_NOTICES[language]
    page = response(plain_page([notice, notice.replace("\n", " ")], "Cookies"))
    found = generic.match(Selector(text=page.text), page.text, page.url)
    assert found is not None and len("\n\n".join(found.body_blocks)) >= ICMPD_MIN_TEXT_CHARS
    with pytest.raises(ExtractionFailed, match="on the generic path is boilerplate, not an article: cookie notice"):
        extract_article(page, site=SITE, min_text_chars=ICMPD_MIN_TEXT_CHARS)


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_a_cookie_notice_in_a_site_layout_fails_on_the_site_path(layout: str) -> None:
    article = copy.deepcopy(next(a for a in ARTICLES if a["layout"] == layout))
    notice = COOKIE_NOTICES["en"].split("\n")
    article.update(lead=notice[0], blocks=[{"type": "p", "text": line} for line in notice[1:] * 3],
                   inline_links=[], downloads=[], images=[])
    page = response(render_page(article, BASE, OTHER), article_path(article))
    with pytest.raises(ExtractionFailed, match="on the site path is boilerplate, not an article: cookie notice"):
        extract_article(page, site=SITE, min_text_chars=ICMPD_MIN_TEXT_CHARS)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["slug"][:40])
def test_fixture_articles_pass_on_both_paths(article: dict) -> None:
    page = response(render_page(article, BASE, OTHER), article_path(article))
    extracted = extract_article(page, site=SITE, min_text_chars=ICMPD_MIN_TEXT_CHARS)
    assert extracted.extraction == "site"
    assert extracted.text == fixture_text(article)
    found = generic.match(Selector(text=page.text), page.text, page.url)
    assert found is not None and boilerplate_reason("\n\n".join(found.body_blocks)) is None


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_an_article_ending_with_a_copyright_line_passes(layout: str) -> None:
    article = copy.deepcopy(next(a for a in ARTICLES if a["layout"] == layout))
    article["blocks"].append({"type": "p", "text": COPYRIGHT_LINE})
    page = response(render_page(article, BASE, OTHER), article_path(article))
    extracted = extract_article(page, site=SITE, min_text_chars=ICMPD_MIN_TEXT_CHARS)
    assert extracted.text == fixture_text(article)
    assert extracted.text.endswith(COPYRIGHT_LINE)
    # The same article on a page of no known layout: the generic path keeps the article.
    generic_page = response(plain_page(expected_blocks(article), article["title"]))
    extracted = extract_article(generic_page, site=SITE, min_text_chars=ICMPD_MIN_TEXT_CHARS)
    assert extracted.extraction == "generic"
    assert extracted.text.startswith(expected_blocks(article)[0])
