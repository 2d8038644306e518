"""ETags and 304 Not Modified for JSON bodies, as Immich's web framework (Express) sends them.

Every captured JSON `GET` response of Immich v2.7.5 (albums, storage, statistics, queues,
about) carries `ETag: "<body length in hex>-<27 characters of a base64 hash of the body>"`,
Express's strong form, and the emulator hashes with SHA-1. The server's middleware adds it
to each JSON `GET` response. A request whose `If-None-Match` names that ETag, without
`Cache-Control: no-cache`, gets 304 and no body.
NOTE: the captures contain no 304, so that part follows Express's documented freshness check.
"""

from __future__ import annotations

import base64
import hashlib

from aiohttp import web

NOT_MODIFIED = 304


def express_etag(body: bytes) -> str:
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()
    return f'"{len(body):x}-{digest[:27]}"'


def with_etag(request: web.Request, response: web.Response) -> web.Response:
    """Add an ETag to a 200 JSON response, or return 304 when the request's copy is current."""
    body = response.body
    if response.status != 200 or not isinstance(body, bytes):
        return response
    etag = express_etag(body)
    if _is_fresh(request, etag):
        return web.Response(status=NOT_MODIFIED, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return response


def _is_fresh(request: web.Request, etag: str) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if not if_none_match or "no-cache" in request.headers.get("Cache-Control", ""):
        return False
    if if_none_match.strip() == "*":
        return True
    # Express compares weakly: `W/"x"` matches `"x"`.
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates
