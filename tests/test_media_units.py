"""The parts of the media pipelines that need no crawl: which images and links are the
article's own, what bytes are, and what a PDF says."""

from __future__ import annotations

import io

import pypdf
import pytest
from PIL import Image
from scrapy.http import HtmlResponse

from devsite.fixture_site import article_path, load_articles, make_pdf, make_png, render_page
from icmpd_news.extract import extract_article
from icmpd_news.media.filetypes import WrongType, check_document, check_image, file_extension, sniff
from icmpd_news.media.pdf import BrokenPdf, check_pdf, pdf_text
from icmpd_news.pipelines.images import displayed_size

BASE = "http://127.0.0.1:8000"
OTHER = "http://127.0.0.2:8000"
ARTICLES = load_articles()
CURRENT = next(a for a in ARTICLES if a["layout"] == "current" and a["images"])
LEGACY = next(a for a in ARTICLES if a["layout"] == "legacy" and a["images"])
NO_LINKS = next(a for a in ARTICLES if a["layout"] == "current" and not a["downloads"] and not a["inline_links"])

# Images that sit inside the article container but are not the article's.
NOT_THE_ARTICLES = (
    '<p><img src="/typo3conf/ext/stats/pixel.gif" alt=""></p>'
    '<p><img src="/fileadmin/img/spacer.gif" style="width: 1px; height: 1px"></p>'
    '<p><img src="/fileadmin/img/hidden.jpg" style="display:none"></p>'
    '<p><img src="/fileadmin/logos/eu-flag.png" alt="EU"></p>'
    '<p><a href="/"><img class="site-logo" src="/fileadmin/img/brand.png" alt="ICMPD"></a></p>'
    '<p><img class="icon" src="/fileadmin/img/download.svg" alt="Download"></p>'
    '<div class="news-teaser"><img src="/fileadmin/_processed_/other-story.jpg" alt="Other story">'
    '<a href="/news/other-story">Other story</a></div>'
    '<div class="related-articles"><img src="/fileadmin/_processed_/related.jpg" alt="Related"></div>'
    '<p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt=""></p>'
)
# Images that are the article's: a figure with caption, one without, a plain inline image.
THE_ARTICLES = (
    '<figure><img src="/fileadmin/_processed_/workshop.jpg" alt="Workshop">'
    '<figcaption>The workshop in Vienna.</figcaption></figure>'
    '<figure><img data-src="/fileadmin/_processed_/map.png" src="/fileadmin/img/lazy-placeholder.gif" alt="Map"></figure>'
    '<p><img src="/fileadmin/_processed_/inline-photo.jpg" alt="Participants" width="640" height="480"></p>'
)


def page(article: dict, extra_body: str) -> HtmlResponse:
    html = render_page(article, BASE, OTHER)
    marker = '<div class="news-detail__body rte">' if article["layout"] == "current" else '<div class="news-single-content">'
    html = html.replace(marker, marker + extra_body, 1)
    return HtmlResponse(url=BASE + article_path(article), body=html.encode(), encoding="utf-8")


@pytest.mark.parametrize("article", [CURRENT, LEGACY], ids=["current", "legacy"])
def test_only_the_articles_own_images(article: dict) -> None:
    found = extract_article(page(article, NOT_THE_ARTICLES + THE_ARTICLES), site="127.0.0.1").images
    own = [{"url": BASE + i["src"], "alt": i["alt"] or None, "caption": i["caption"]} for i in article["images"]]
    body = [
        {"url": f"{BASE}/fileadmin/_processed_/workshop.jpg", "alt": "Workshop", "caption": "The workshop in Vienna."},
        {"url": f"{BASE}/fileadmin/_processed_/map.png", "alt": "Map", "caption": None},
        {"url": f"{BASE}/fileadmin/_processed_/inline-photo.jpg", "alt": "Participants", "caption": None},
    ]
    # Current pages show their figures before the body, legacy pages after the lead: page order either way.
    assert found == own + body


def test_attachments_only_on_the_site_or_its_file_hosts() -> None:
    links = (
        '<p>Read <a href="/fileadmin/user_upload/report.pdf">the report</a>, '
        f'<a href="{OTHER}/their-report.pdf">their report</a>, '
        '<a href="http://127.0.0.3:8000/docs/annex.xlsx">the annex</a> and '
        '<a href="/news/another-story">another story</a>.</p>'
    )
    response = page(NO_LINKS, links)
    plain = extract_article(response, site="127.0.0.1")
    assert [a["url"] for a in plain.attachments] == [f"{BASE}/fileadmin/user_upload/report.pdf"]
    assert {"url": f"{OTHER}/their-report.pdf", "text": "their report"} in plain.links
    with_host = extract_article(response, site="127.0.0.1", file_hosts=frozenset({"127.0.0.3"}))
    assert [a["url"] for a in with_host.attachments] == [
        f"{BASE}/fileadmin/user_upload/report.pdf", "http://127.0.0.3:8000/docs/annex.xlsx"]


def test_types_by_bytes_not_by_name() -> None:
    pdf = make_pdf("x")
    assert sniff(pdf) == "application/pdf"
    assert check_document(pdf, f"{BASE}/a.pdf") == "application/pdf"
    assert check_document(b"PK\x05\x06" + b"\x00" * 18, f"{BASE}/a.docx") == "application/zip"
    assert check_document(b"year,arrivals\n2020,10\n", f"{BASE}/a.csv") == "text/plain"
    with pytest.raises(WrongType, match="HTML page, not a .pdf file") as html:
        check_document(b"\xef\xbb\xbf\n  <!DOCTYPE html><html><body>Not found</body></html>", f"{BASE}/a.pdf")
    assert html.value.kind == "html"
    with pytest.raises(WrongType, match="the bytes are image/png, not a .pdf file") as png:
        check_document(make_png(4, 4), f"{BASE}/a.pdf")
    assert png.value.kind == "wrong_type"
    assert check_image(make_png(4, 4)) == "image/png"
    with pytest.raises(WrongType, match="HTML page, not an image"):
        check_image(b"<html><body>Error</body></html>")
    with pytest.raises(WrongType, match="application/pdf, not an image"):
        check_image(pdf)


def test_stored_extension_tells_the_truth() -> None:
    assert file_extension("image/png", f"{BASE}/photo.jpg") == ".png"
    assert file_extension("image/jpeg", f"{BASE}/photo.JPEG") == ".jpeg"
    assert file_extension("application/zip", f"{BASE}/factsheet.docx") == ".docx"
    assert file_extension("application/pdf", f"{BASE}/download.php?id=3") == ".pdf"
    assert file_extension("text/plain", f"{BASE}/..%2F..%2Fevil") == ""


def encrypted(text: str, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(text))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_text_and_its_failures() -> None:
    found = pdf_text(make_pdf("Known words on page one"), max_pages=10)
    assert (found.text, found.page_count, found.error) == ("Known words on page one", 1, None)
    # "Protected" with an empty user password: opens, text extracted.
    assert pdf_text(encrypted("Only printing is restricted", ""), max_pages=10).text == "Only printing is restricted"
    locked = pdf_text(encrypted("Secret", "secret"), max_pages=10)
    assert (locked.text, locked.kind) == (None, "encrypted")
    check_pdf(encrypted("Secret", "secret"))  # a valid PDF, just locked
    broken = pdf_text(make_pdf("Cut short")[:300], max_pages=10)
    assert (broken.text, broken.kind) == (None, "broken") and broken.error.startswith("broken PDF: ")
    for bad in (make_pdf("Cut short")[:300], b"%PDF-1.4\ngarbage\n%%EOF\n"):
        with pytest.raises(BrokenPdf):
            check_pdf(bad)
    writer = pypdf.PdfWriter()
    for number in (1, 2, 3):
        writer.append(pypdf.PdfReader(io.BytesIO(make_pdf(f"Page {number}"))))
    three_pages = io.BytesIO()
    writer.write(three_pages)
    capped = pdf_text(three_pages.getvalue(), max_pages=2)
    assert (capped.text, capped.page_count, capped.pages_read) == ("Page 1\n\nPage 2", 3, 2)
    scan = pypdf.PdfWriter()
    scan.add_blank_page(595, 842)
    blank = io.BytesIO()
    scan.write(blank)
    assert pdf_text(blank.getvalue(), max_pages=10).kind == "no_text_layer"


def _image(kind: str, width: int, height: int, orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, kind, exif=exif)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF"])
def test_image_size_is_read_to_the_end_of_the_file(kind: str) -> None:
    whole = _image(kind, 320, 180)
    assert displayed_size(whole) == (320, 180)
    for cut in (whole[: len(whole) // 2], whole[:-12]):
        with pytest.raises(WrongType, match="^broken image: ") as broken:
            displayed_size(cut)
        assert broken.value.kind == "broken"


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_image_size_is_as_displayed_after_exif_rotation(kind: str) -> None:
    assert displayed_size(_image(kind, 300, 100, orientation=6)) == (100, 300)  # a quarter turn
    assert displayed_size(_image(kind, 300, 100, orientation=3)) == (300, 100)  # upside down
