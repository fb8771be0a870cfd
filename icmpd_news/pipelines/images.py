"""Images: the article's own images downloaded, verified by Pillow, with their dimensions."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any

from scrapy.pipelines.images import ImagesPipeline
from scrapy.utils.asyncio import run_in_thread

from icmpd_news.filetypes import IMAGE_EXTENSIONS, WrongType, check_image
from icmpd_news.pipelines.media import ArticleMediaMixin

if TYPE_CHECKING:
    from PIL import Image


class ArticleImagesPipeline(ArticleMediaMixin, ImagesPipeline):
    """Download each images[] entry into IMAGES_STORE/images/ and add path, checksum, size,
    content_type, width, height, status and error (see ArticleMediaMixin).

    Unlike Scrapy's default, the original bytes are stored, not a JPEG re-encoding: the file
    on disk is the one the site serves (checksum and all), and PNG charts or infographics keep
    their lossless pixels. Pillow still decodes every image, so a truncated or fake image
    fails, and IMAGES_MIN_WIDTH / IMAGES_MIN_HEIGHT turn away icons and pixels that slipped
    through extraction. IMAGES_THUMBS still works (thumbnails are JPEG, as in Scrapy).

    Stats: icmpd/images/...
    """

    FIELD = "images"
    FOLDER = "images"
    STATS = "icmpd/images"
    STORE_SETTING = "IMAGES_STORE"
    EXTENSIONS = IMAGE_EXTENSIONS
    DETAIL_KEYS = ("width", "height")

    async def check_bytes(self, body: bytes, url: str) -> dict[str, Any]:
        content_type = check_image(body)
        width, height = await run_in_thread(self._decoded_size, body)
        if width < self.min_width or height < self.min_height:
            raise WrongType("too_small", f"image too small ({width}x{height}; IMAGES_MIN_WIDTH x IMAGES_MIN_HEIGHT "
                                         f"is {self.min_width}x{self.min_height})")
        return {"content_type": content_type, "width": width, "height": height}

    def _decoded_size(self, body: bytes) -> tuple[int, int]:
        """The displayed size (EXIF orientation applied) after a full decode, which is what
        finds a truncated or corrupt image; WrongType when Pillow cannot decode it."""
        try:
            with self._Image.open(BytesIO(body)) as image:
                image.load()
                return self._ImageOps.exif_transpose(image).size
        except (OSError, ValueError, SyntaxError, self._Image.DecompressionBombError) as error:
            raise WrongType("broken", f"broken image: {type(error).__name__}: {error}") from error

    def convert_image(
        self, image: Image.Image, size: tuple[int, int] | None = None, *, response_body: BytesIO
    ) -> tuple[Image.Image, BytesIO]:
        """Keep the original bytes for the full image; thumbnails are converted as usual."""
        if size is None:
            return image, response_body
        return super().convert_image(image, size, response_body=response_body)
