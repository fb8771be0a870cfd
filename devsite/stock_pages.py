"""Article pages in markup the selectors were not written from: the stock views of TYPO3's two
news extensions, as their public templates render them.

- tt_news, which ICMPD's legacy pages used: TEMPLATE_SINGLE of res/tt_news_v3_template.html with
  the wraps of static/ts_new/setup.txt (news-single-rightbox holding date "%d.%m.%y %H:%M",
  time and category; an h1 title; the subheader in an h3; news-single-img blocks of a lightbox
  link, the image and a news-single-imgcaption paragraph; the RTE's <p class="bodytext">
  directly inside the item, no wrapper; news-single-additional-info with news-single-related
  (tt_news's 11x12 ext_icon.gif before each link) and news-single-files (18x16 file icons);
  news-single-backlink).
- tx_news, the news extension of current TYPO3 sites: see render_txnews_page.

Both declare <base href> and link relatively, as TYPO3 pages do.
"""

from __future__ import annotations

import html
import json
from email.utils import parsedate_to_datetime

from devsite.fixture_site import LEGACY_PREFIX, body_html

_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
<head>
<base href="{base}/" />
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>ICMPD: {title_original}</title>
<meta name="generator" content="TYPO3 4.5 CMS" />
<link rel="stylesheet" type="text/css" href="typo3temp/stylesheet_3b5a2e1f9c.css" media="all" />
<script src="typo3temp/javascript_93077bb238.js" type="text/javascript"></script>
</head>
<body>
<div id="page">
<div id="header"><a href="index.php?id=1"><img src="fileadmin/templates/images/icmpd_logo.gif" width="220" height="60" alt="ICMPD" /></a>
<ul id="topmenu"><li><a href="about-us/">About us</a></li><li><a href="news-centre/">News Centre</a></li><li><a href="publications/">Publications</a></li></ul></div>
<div id="leftcol"><ul class="submenu"><li><a href="news-centre/press-releases/">Press releases</a></li><li><a href="news-centre/news-archive/">News archive</a></li></ul></div>
<div id="maincol">
<div id="c412" class="csc-default"><h1 class="csc-firstHeader">News - Detail</h1></div>
<div id="c413" class="csc-default">
<div class="news-single-item">
	<div class="news-single-rightbox">
		{date} {time}
		<div class="news-single-category"> {category} </div>
	</div>
		<h1>{title_original}</h1>
		<h3>{lead}</h3>
		<hr class="cl-right" />
		{images}
		{body}
		<hr class="cl-right" />
			<div class="news-single-additional-info">
				<dl class="news-single-related"><dt>Related News:</dt>{related}</dl>
				{files}
				{links}
			</div>
	<div class="news-single-backlink">
	<a href="news-centre/">&lt;- Back to list</a>
	</div>
</div>
</div>
</div>
<div id="rightcol"><div class="csc-default"><h2>Contact</h2><p>ICMPD Headquarters, Gonzagagasse 1, 5th floor, 1010 Vienna, Austria. Tel: +43 1 504 4677 0</p></div></div>
<div id="footer"><p>&copy; 2020 International Centre for Migration Policy Development. All rights reserved.</p></div>
</div>
</body>
</html>
"""
_RELATED = (
    ("news-centre/news-detail/icmpd-opens-a-new-regional-office-in-bishkek/", "ICMPD opens a new regional office in Bishkek"),
    ("news-centre/news-detail/budapest-process-ministerial-conference/", "Budapest Process ministerial conference concluded"),
)


def relative(href: str) -> str:
    """A root-relative address as the page writes it: relative to its <base href>."""
    return href.removeprefix("/")


def _body(article: dict, other: str) -> str:
    """The fixture's body as the tt_news RTE wrote it: <p class="bodytext">, h2 subheadings,
    links relative to <base href>."""
    body = body_html(article, other)
    for old, new in (("<p>", '<p class="bodytext">'), ("<h3>", "<h2>"), ("</h3>", "</h2>"), ('href="/', 'href="')):
        body = body.replace(old, new)
    return body


def _images(article: dict) -> str:
    if not article["images"]:
        return ""
    inner = "".join(
        f'<a href="{relative(image["src"]).replace("_processed_/", "user_upload/big/")}" target="thePicture" '
        f'onclick="openPic(this.href); return false;"><img src="{relative(image["src"])}" width="200" height="113" '
        f'border="0" alt="{html.escape(image["alt"])}" title="" /></a>'
        + (f'<p class="news-single-imgcaption">{html.escape(image["caption"])}</p>' if image["caption"] else "")
        for image in article["images"]
    )
    return f'<div class="news-single-img">{inner}</div>'


def _files(article: dict) -> str:
    if not article["downloads"]:
        return ""
    items = "".join(
        f'<dd><a href="{relative(d["href"])}" target="_blank"><img src="typo3/gfx/fileicons/pdf.gif" width="18" height="16" '
        f'border="0" alt="" /></a> <a href="{relative(d["href"])}" target="_blank">{html.escape(d["title"])}</a> 412 K</dd>'
        for d in article["downloads"]
    )
    return f'<dl class="news-single-files"><dt>Files:</dt>{items}</dl>'


def render_stock_page(article: dict, base: str, other: str) -> str:
    """The article as tt_news's stock single view renders it (see the module docstring)."""
    published = parsedate_to_datetime(article["pubDate"])
    related = "".join(
        f'<dd> <img src="typo3conf/ext/tt_news/ext_icon.gif" width="11" height="12" border="0" alt="" /> &nbsp;'
        f'<a href="{href}">{title}</a> &nbsp;-&nbsp; 01-12-20 10:00 </dd>' for href, title in _RELATED
    )
    return _PAGE.format(
        base=base,
        title_original=html.escape(f"{article['category']}: {article['title']}"),
        date=f"{published:%d.%m.%y}", time=f"{published:%H:%M}",
        category=html.escape(article["category"]),
        lead=html.escape(article["lead"]),
        images=_images(article),
        body=_body(article, other),
        related=related,
        files=_files(article),
        links="",
    )


def stock_path(article: dict) -> str:
    """Where a stock page is served: the legacy detail URL, deep enough that resolving its
    relative links against the page's own URL instead of its <base href> goes wrong."""
    return f"{LEGACY_PREFIX}{article['slug']}/"


_TXNEWS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="{base}/">
<title>{title} - ICMPD</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:title" content="{title}">
<meta property="og:type" content="article">
{og_image}<meta name="description" content="{teaser}">
<script type="application/ld+json">{json_ld}</script>
</head>
<body>
<header class="page-header"><a class="navbar-brand" href="/"><img src="typo3conf/ext/sitepackage/Resources/Public/Images/logo.svg" alt="ICMPD"></a>
<nav class="navbar"><ul><li><a href="our-work">Our Work</a></li><li><a href="news">News</a></li></ul></nav></header>
<main id="content">
<div id="c21" class="frame frame-default frame-type-news_newsdetail frame-layout-0">
<div class="news news-single">
	<div class="article" itemscope="itemscope" itemtype="https://schema.org/Article">
		<div class="header"><h1 itemprop="headline">{title}</h1></div>
		<div class="footer"><p>
			<span class="news-list-date"><time itemprop="datePublished" datetime="{date_iso}">{date_text}</time></span>
			<span class="news-list-category">{category}</span>
		</p></div>
		<div class="teaser-text" itemprop="description"><p>{lead}</p></div>
		{content_elements}
		{media}
		<div class="news-text-wrap" itemprop="articleBody"></div>
		<div class="news-backlink-wrap"><a href="news">Back to the news</a></div>
		<div class="news-related-wrap">
			<div class="news-related news-related-news"><h4>Related news</h4><ul>{related}</ul></div>
			{files}
		</div>
	</div>
</div>
</div>
</main>
<footer class="page-footer"><p>&copy; ICMPD 2024 &middot; Gonzagagasse 1, 1010 Vienna</p></footer>
</body>
</html>
"""


def _content_elements(article: dict, other: str, leave_out: str | None) -> str:
    """The body as fluid_styled_content text elements: one per subheading, its header in a
    <header><h2>, as tx_news renders a news record's content elements; without the paragraph
    `leave_out`."""
    body = [part for part in _body(article, other).replace('<p class="bodytext">', "<p>").split("\n")
            if leave_out is None or part != f"<p>{html.escape(leave_out, quote=False).replace('  ', '&nbsp; ')}</p>"]
    frames, current = [], []
    for part in body:
        if part.startswith("<h2>") and current:
            frames.append(current)
            current = []
        current.append(part.replace("<h2>", '<header><h2 class="">').replace("</h2>", "</h2></header>"))
    frames.append(current)
    return "\n\t\t".join(f'<div id="c{300 + index}" class="frame frame-default frame-type-text frame-layout-0">'
                         f'{"".join(parts)}</div>' for index, parts in enumerate(frames))


def render_txnews_page(article: dict, base: str, other: str) -> str:
    """The article as tx_news's stock detail view (georgringer/news, Templates/News/Detail.html
    in Layouts/Detail.html, its media and related-files partials) renders it on a current
    TYPO3 site: schema.org microdata, OpenGraph, a JSON-LD object that alone names the authors
    (the byline is not in the body), content elements with <header> subheadings, images in
    news-img-wrap with news-img-caption, related news with thumbnails linking to other articles,
    related files. Links are relative to <base href>."""
    published = parsedate_to_datetime(article["pubDate"])
    byline = next((block["text"] for block in article["blocks"]
                   if block["type"] == "p" and block["text"].startswith("By ") and len(block["text"]) < 80), None)
    authors = [{"@type": "Person", "name": name} for name in byline[3:].split(" and ")] if byline else []
    json_ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article["title"],
               "datePublished": published.isoformat(), "author": authors}
    media = "".join(
        f'<div class="outer"><div class="mediaelement mediaelement-image"><a href="{relative(image["src"])}" '
        f'class="lightbox" rel="lightbox[myImageSet]"><img class="img-responsive" src="{relative(image["src"])}" '
        f'width="282" height="158" alt="{html.escape(image["alt"])}" loading="lazy" itemprop="image"></a></div>'
        + (f'<p class="news-img-caption">{html.escape(image["caption"])}</p>' if image["caption"] else "") + "</div>"
        for image in article["images"]
    )
    files = "".join(
        f'<li><span class="news-related-files-link"><a href="{relative(d["href"])}" target="_blank">'
        f'{html.escape(d["title"])}</a></span><span class="news-related-files-size">412 KB</span></li>'
        for d in article["downloads"]
    )
    related = "".join(
        f'<li><span class="news-related-news-date">01.12.2020</span><a href="news/{href.rstrip("/").rsplit("/", 1)[1]}">'
        f'<img src="fileadmin/_processed_/related-{index}.jpg" width="120" height="80" alt=""></a> '
        f'<a href="news/{href.rstrip("/").rsplit("/", 1)[1]}" title="{title}">{title}</a></li>'
        for index, (href, title) in enumerate(_RELATED)
    )
    first_image = article["images"][0]["src"] if article["images"] else None
    return _TXNEWS_PAGE.format(
        base=base, title=html.escape(article["title"]), teaser=html.escape(article["teaser"]),
        og_image=f'<meta property="og:image" content="{base}{first_image}">\n' if first_image else "",
        json_ld=json.dumps(json_ld, ensure_ascii=False),
        date_iso=published.isoformat(), date_text=f"{published:%d.%m.%Y}", category=html.escape(article["category"]),
        lead=html.escape(article["lead"]),
        content_elements=_content_elements(article, other, leave_out=byline),
        media=f'<div class="news-img-wrap">{media}</div>' if media else "",
        related=related,
        files=f'<div class="news-related news-related-files"><h4>Related files</h4><ul>{files}</ul></div>' if files else "",
    )


def txnews_path(article: dict) -> str:
    """Where a tx_news page is served: the current site's /news/<slug>."""
    return f"/news/{article['slug']}"
