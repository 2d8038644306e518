"""Real image files for the emulated assets, drawn with Pillow and cached."""

from __future__ import annotations

from functools import lru_cache
import hashlib
import io

from PIL import Image, ImageDraw

# Immich's defaults: previews are JPEG with a 1440 px long edge, thumbnails WebP at 250 px.
PREVIEW_LONG_EDGE = 1440
THUMBNAIL_LONG_EDGE = 250


@lru_cache(maxsize=256)
def render(asset_id: str, label: str, size: str, width: int, height: int) -> tuple[bytes, str]:
    """Return (bytes, content type) of a rendition showing the asset's colour and label."""
    long_edge = PREVIEW_LONG_EDGE if size in ("preview", "fullsize") else THUMBNAIL_LONG_EDGE
    scale = long_edge / max(width, height, 1)
    pixels = (max(1, round(width * scale)), max(1, round(height * scale)))

    digest = hashlib.sha256(asset_id.encode()).digest()
    top, bottom = digest[0:3], digest[3:6]
    image = Image.new("RGB", pixels)
    draw = ImageDraw.Draw(image)
    for row in range(pixels[1]):
        mix = row / max(pixels[1] - 1, 1)
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, row), (pixels[0], row)], fill=colour)
    draw.text((pixels[0] // 20, pixels[1] // 20), label, fill=(255, 255, 255))

    buffer = io.BytesIO()
    if size == "thumbnail":
        image.save(buffer, format="WEBP", quality=70)
        return buffer.getvalue(), "image/webp"
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue(), "image/jpeg"
