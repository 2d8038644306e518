"""Original files of emulated assets, and Immich's redirect for fullsize renditions."""

from __future__ import annotations

from datetime import datetime
from functools import cache
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from PIL import Image

from .library import Library
from .media import render

SAMPLE_VIDEO_PATH = Path(__file__).parent / "media" / "sample_video.mp4"
"""A 3 s, 320x240 H.264 MP4 of 45677 bytes, the size of the captured video asset."""

# Extensions Immich serves as they are for a fullsize request (its `isWebSupportedImage`).
WEB_IMAGE_EXTENSIONS = frozenset({".avif", ".gif", ".jpeg", ".jpg", ".png", ".webp"})
PIL_FORMATS = {"image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}


@cache
def sample_video() -> bytes:
    return SAMPLE_VIDEO_PATH.read_bytes()


def original_file(library: Library, asset: dict[str, Any]) -> tuple[bytes, str]:
    """Return the bytes and content type of an asset's original file.

    Uploaded assets return what was uploaded, captured videos the sample video, and
    captured photos a rendering in their original format.
    """
    mime_type = str(asset.get("originalMimeType") or "application/octet-stream")
    uploaded = library.originals.get(asset["id"])
    if uploaded is not None:
        return uploaded, mime_type
    if asset["type"] == "VIDEO":
        return sample_video(), "video/mp4"

    width = int(asset.get("width") or 1600)
    height = int(asset.get("height") or 1200)
    jpeg, _ = render(asset["id"], asset["originalFileName"], "fullsize", width, height)
    pil_format = PIL_FORMATS.get(mime_type)
    if pil_format is None:
        return jpeg, "image/jpeg"
    buffer = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(buffer, format=pil_format)
    return buffer.getvalue(), mime_type


def entity_tag(content: bytes, asset: dict[str, Any]) -> str:
    """Return a weak ETag as Immich's file responses have: hex size and modification time."""
    modified = datetime.fromisoformat(str(asset["fileModifiedAt"]).replace("Z", "+00:00"))
    return f'W/"{len(content):x}-{round(modified.timestamp() * 1000):x}"'


def fullsize_redirect(request: web.Request, asset: dict[str, Any]) -> web.Response:
    """Return the redirect Immich sends for `size=fullsize` when it has no fullsize file.

    Immich makes fullsize files only when its settings ask for them, which they do not by
    default. It redirects a web-format original (unless `edited=true`) to `original`, which
    needs the `asset.download` permission, and anything else to the preview.
    """
    query = dict(request.query)
    extension = Path(str(asset.get("originalPath") or asset["originalFileName"])).suffix
    if extension.lower() in WEB_IMAGE_EXTENSIONS and query.get("edited") != "true":
        query.pop("size", None)
        location = f"original?{urlencode(query)}"
    else:
        query["size"] = "preview"
        location = f"{request.path}?{urlencode(query)}"
    # Express's `res.redirect`: 302 with a relative Location and a short text body.
    return web.Response(
        status=302,
        headers={"Location": location},
        text=f"Found. Redirecting to {location}",
    )
