"""A check of API key text before it is sent in the `x-api-key` header."""

from __future__ import annotations

# NOTE: Immich's API keys are about 43 characters (random bytes in base64); the length is
# not checked against Immich's source here. The limit leaves room for other formats, and
# rejects a paste of a whole page before a server or proxy rejects the oversized header
# with HTTP 400 or 431.
MAX_API_KEY_LENGTH = 1024


def is_plausible_api_key(api_key: str) -> bool:
    """Return whether the text can be an Immich API key: non-empty, printable (so no line
    break, which no HTTP header may contain) and at most MAX_API_KEY_LENGTH characters."""
    return bool(api_key) and api_key.isprintable() and len(api_key) <= MAX_API_KEY_LENGTH
