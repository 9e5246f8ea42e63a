"""Uploaded images decoded within bounds (pure): the pixel count is read from the header
and checked before a single pixel is decoded (a 1 MB PNG can declare 400 megapixels)."""

from __future__ import annotations

import re
import warnings
from typing import IO

from quizapp.i18n import N_

DEFAULT_MAX_PIXELS = 25_000_000


class ImageRefused(ValueError):
    """Not an image, or over the pixel limit; `message` (an N_ id) and `params` say why."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def open_bounded(stream: IO[bytes], max_pixels: int = DEFAULT_MAX_PIXELS, *, box: int = 1200):
    """The image in `stream`, verified and shrunk to fit `box` × `box` pixels.

    Raises ImageRefused when the file is not an image Pillow reads or when its header
    declares more than `max_pixels` pixels (checked before decoding)."""
    from PIL import Image, UnidentifiedImageError

    not_image = N_("This file is not a PNG image.")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns, then raises at twice its limit; ours comes first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRefused(
                    N_("The image has %(pixels)s pixels; the limit is %(max)s."),
                    pixels=f"{width} × {height}",
                    max=max_pixels,
                )
            image.verify()
            stream.seek(0)
            image = Image.open(stream)
            image.thumbnail((box, box))
    except ImageRefused:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's check, at twice its own limit
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise ImageRefused(
            N_("The image has %(pixels)s pixels; the limit is %(max)s."),
            pixels=found.group(1) if found else "?",
            max=max_pixels,
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused(not_image) from exc
    return image
