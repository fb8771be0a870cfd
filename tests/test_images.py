"""Image sizes (icmpd_news/pipelines/images.py): the size an image is displayed at, read to the
end of the file."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from icmpd_news.media.filetypes import WrongType
from icmpd_news.pipelines.images import displayed_size


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
