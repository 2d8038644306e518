"""Helpers that read optional JSON fields leniently, so older or newer servers parse alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def as_object(value: Any) -> dict[str, Any]:
    """Return value when it is a JSON object; raise ValueError otherwise."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: Any) -> list[Any]:
    """Return value when it is a JSON array; raise ValueError otherwise."""
    if not isinstance(value, list):
        raise ValueError(f"expected a JSON array, got {type(value).__name__}")
    return value


def optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    return str(value)


def optional_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if type(value) is int:
        # The common case first: queue lists carry a hundred counts every 30 seconds.
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def optional_float(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def optional_bool(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    if isinstance(value, bool):
        return value
    return default


def parse_datetime(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp as Immich writes it (`Z` or an offset); None when absent."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def optional_datetime(data: dict[str, Any], key: str) -> datetime | None:
    return parse_datetime(data.get(key))


class FieldError(ValueError):
    """A required JSON field is missing or has the wrong type; the text names the field."""

    def __init__(self, key: str, expected: str, value: Any) -> None:
        if value is None:
            text = f"without the field `{key}`"
        else:
            text = f"with the field `{key}` as {type(value).__name__}, not {expected}"
        super().__init__(text)


def required_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise FieldError(key, "a non-empty string", value)
    return value


def required_int(data: dict[str, Any], key: str) -> int:
    """Return an integer field, also when sent as a string of digits; raise FieldError."""
    value = data.get(key)
    number = None if isinstance(value, bool) else optional_int(data, key)
    if number is None:
        raise FieldError(key, "an integer", value)
    return number


def describe_shape_error(err: Exception) -> str:
    """Return what was wrong with a response's JSON, for `<request> returned JSON <text>`."""
    if isinstance(err, KeyError) and err.args:
        return f"without the field `{err.args[0]}`"
    if isinstance(err, FieldError):
        return str(err)
    return f"of an unexpected shape ({err})"


def int_or_zero(data: dict[str, Any], key: str) -> int:
    return optional_int(data, key) or 0
