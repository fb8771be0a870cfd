"""Images: the article's own images downloaded, verified by Pillow, with their dimensions."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any

from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.images import ImagesPipeline
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import ensure_awaitable

from icmpd_news.media.filetypes import IMAGE_EXTENSIONS, WrongType, check_image
from icmpd_news.pipelines.media import ArticleMediaMixin
from icmpd_news.stats import MEDIA_IMAGES

if TYPE_CHECKING:
    from PIL import Image
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.pipelines.media import MediaPipeline


class ArticleImagesPipeline(ArticleMediaMixin, ImagesPipeline):
    """Download each images[] entry into IMAGES_STORE/images/ as served, adding width and height; a
    broken image or one under IMAGES_MIN_WIDTH x IMAGES_MIN_HEIGHT fails. IMAGES_THUMBS still works."""

    FIELD = "images"
    FOLDER = "images"
    STATS = MEDIA_IMAGES
    STORE_SETTING = "IMAGES_STORE"
    EXTENSIONS = IMAGE_EXTENSIONS
    DETAIL_KEYS = ("width", "height")

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        # Scrapy reads IMAGES_THUMBS with get(): given with -s, as JSON, it would stay a string.
        self.thumbs = crawler.settings.getdict("IMAGES_THUMBS", self.thumbs)

    async def check_bytes(self, body: bytes, url: str) -> dict[str, Any]:
        content_type = check_image(body)
        width, height = await run_in_thread(displayed_size, body)
        if width < self.min_width or height < self.min_height:
            raise WrongType("too_small", f"image too small ({width}x{height}; IMAGES_MIN_WIDTH x IMAGES_MIN_HEIGHT "
                                         f"is {self.min_width}x{self.min_height})")
        return {"content_type": content_type, "width": width, "height": height}

    async def image_downloaded(
        self, response: Response, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> str:
        """The original bytes stored as a file is (check_bytes has checked them), without decoding them
        again; with IMAGES_THUMBS, Scrapy's, which makes the thumbnails."""
        if self.thumbs:
            return await super().image_downloaded(response, request, info, item=item)
        return await ensure_awaitable(FilesPipeline.file_downloaded(self, response, request, info, item=item))

    def convert_image(
        self, image: Image.Image, size: tuple[int, int] | None = None, *, response_body: BytesIO
    ) -> tuple[Image.Image, BytesIO]:
        """Keep the original bytes for the full image; thumbnails are converted as usual."""
        if size is None:
            return image, response_body
        return super().convert_image(image, size, response_body=response_body)


# The EXIF Orientation tag, and the orientations that swap width and height on display.
_ORIENTATION = 0x0112
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


def displayed_size(body: bytes) -> tuple[int, int]:
    """Width and height as displayed (EXIF orientation applied), once Pillow has read every byte;
    WrongType("broken") when it cannot."""
    from PIL import Image  # here: ImagesPipeline has imported Pillow already

    try:
        with Image.open(BytesIO(body)) as image:
            width, height = image.size
            if image.format == "PNG":
                exif = Image.Exif()
                if image.info.get("exif"):  # an eXIf chunk before the pixels, if any
                    exif.load(image.info["exif"])
                orientation = exif.get(_ORIENTATION)
                image.verify()
            else:
                orientation = image.getexif().get(_ORIENTATION)
                if image.format == "JPEG":
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise WrongType("broken", f"broken image: {type(error).__name__}: {error}") from error
    if orientation in _QUARTER_TURNS:
        return height, width
    return width, height
