"""Diagnostics: entry settings, the server's API generation and the polled data, redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_HOST
from homeassistant.core import HomeAssistant

from .const import CONF_URL
from .coordinator import ImmichConfigEntry

# Besides the key, `host` and `url` contain the server address, and the title also the user name.
TO_REDACT_ENTRY = {CONF_API_KEY, CONF_HOST, CONF_URL, "title"}
TO_REDACT_USERS = {"email", "name", "user_name"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ImmichConfigEntry
) -> dict[str, Any]:
    """Return the entry, the server's version and routes, and each coordinator's data."""
    runtime_data = entry.runtime_data
    client = runtime_data.client
    queues = runtime_data.queues

    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT_ENTRY),
        "server": {
            "version": str(client.version) if client.version else None,
            "generation": client.generation.name if client.generation else None,
            "chosen_routes": {
                operation.value: route for operation, route in sorted(client.chosen_routes.items())
            },
        },
        "user": async_redact_data(_as_dict(runtime_data.user), TO_REDACT_USERS),
        "server_data": _as_dict(runtime_data.server.data),
        "statistics": async_redact_data(_as_dict(runtime_data.statistics.data), TO_REDACT_USERS),
        "queues": (
            {name: _as_dict(queue) for name, queue in queues.data.items()} if queues else None
        ),
        "live_updates": runtime_data.live.as_diagnostics() if runtime_data.live else None,
    }


def _as_dict(model: Any) -> dict[str, Any]:
    """Convert a dataclass to a dict with lists for tuples, which `async_redact_data` skips."""
    converted: dict[str, Any] = _tuples_to_lists(asdict(model))
    return converted


def _tuples_to_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _tuples_to_lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tuples_to_lists(item) for item in value]
    return value
