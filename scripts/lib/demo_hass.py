"""Home Assistant set-up steps of scripts/demo, through Home Assistant's HTTP and websocket APIs.

The steps are idempotent: each one checks what a previous run already did. None of them logs or
prints an Immich API key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import json
import secrets
from typing import Any

import aiohttp

TOKEN_CLIENT_NAME = "scripts/demo"
"""Name of the long-lived access token. Home Assistant allows one token per name and user."""
TOKEN_LIFESPAN_DAYS = 3650
OWNER_NAME = "Demo"
OWNER_USERNAME = "demo"
ENTRY_SETTLED_STATES = frozenset(
    {"loaded", "setup_error", "setup_retry", "migration_error", "failed_unload"}
)


class DemoError(Exception):
    """A set-up step failed. The message names the step and what to do next."""


@dataclass(slots=True)
class ImmichTarget:
    """The Immich server that the demo's config entry points at."""

    url: str
    api_key: str
    verify_ssl: bool

    def __repr__(self) -> str:
        # Keeps the API key out of tracebacks and debug output.
        return f"ImmichTarget(url={self.url!r}, verify_ssl={self.verify_ssl})"


class HomeAssistantClient:
    """Client for one Home Assistant on 127.0.0.1, authenticated as the demo's owner user."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url
        self.client_id = f"{base_url}/"
        self.token: str | None = None

    def _headers(self) -> dict[str, str]:
        if self.token is None:
            return {}
        return {"Authorization": f"Bearer {self.token}"}

    async def request(
        self, method: str, path: str, *, json_body: Any = None, data: Any = None
    ) -> tuple[int, Any]:
        """Send a request and return the status and the decoded JSON body (None if not JSON)."""
        async with self.session.request(
            method, self.base_url + path, json=json_body, data=data, headers=self._headers()
        ) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else None
            except json.JSONDecodeError:
                body = None
            return response.status, body

    async def expect(
        self, method: str, path: str, *, json_body: Any = None, data: Any = None
    ) -> Any:
        """Send a request and return its JSON body, or raise DemoError unless the status is 2xx."""
        status, body = await self.request(method, path, json_body=json_body, data=data)
        if not 200 <= status < 300:
            raise DemoError(f"{method} {path} failed with HTTP {status}: {body}")
        return body

    async def wait_until_up(self, is_alive: Callable[[], bool]) -> None:
        """Poll until the HTTP server responds. Raise DemoError if hass exits first.

        It polls without end, so callers bound it with `asyncio.timeout`.
        """
        while True:
            if not is_alive():
                raise DemoError("Home Assistant exited during start-up")
            try:
                status, _ = await self.request("GET", "/auth/providers")
            except aiohttp.ClientError:
                status = 0
            # 400 means that the auth API runs but onboarding has not created a user yet.
            if status in (200, 400):
                return
            await asyncio.sleep(1)

    async def complete_onboarding(self) -> bool:
        """Create the owner user if onboarding still expects one, and return True if it did.

        scripts/demo marks the other onboarding steps done before the first start, because the
        core configuration step would set up integrations that reach the internet (met,
        radio_browser, google_translate) and analytics.
        """
        status, steps = await self.request("GET", "/api/onboarding")
        if status == 404:
            return False
        if status != 200 or not isinstance(steps, list):
            raise DemoError(f"GET /api/onboarding failed with HTTP {status}: {steps}")
        pending = {step["step"] for step in steps if not step["done"]}
        if not pending:
            return False
        if pending != {"user"}:
            raise DemoError(
                f"onboarding steps {sorted(pending)} are pending, but scripts/demo only creates "
                "the user; run scripts/demo --reset to start from an empty configuration"
            )

        # The password is random and not stored, because logins from 127.0.0.1 use trusted_networks.
        await self.expect(
            "POST",
            "/api/onboarding/users",
            json_body={
                "client_id": self.client_id,
                "name": OWNER_NAME,
                "username": OWNER_USERNAME,
                "password": secrets.token_urlsafe(24),
                "language": "en",
            },
        )
        return True

    async def log_in(self) -> str:
        """Log in through the trusted_networks provider and return the session's refresh token.

        It sets `self.token` to the session's access token.
        """
        providers = await self.expect("GET", "/auth/providers")
        if isinstance(providers, dict):  # Home Assistant 2025.x returns {"providers": [...]}
            providers = providers.get("providers", [])
        trusted = [p for p in providers if p["type"] == "trusted_networks"]
        if not trusted:
            raise DemoError("the trusted_networks auth provider is missing from configuration.yaml")

        flow = await self.expect(
            "POST",
            "/auth/login_flow",
            json_body={
                "client_id": self.client_id,
                "handler": ["trusted_networks", trusted[0]["id"]],
                "redirect_uri": self.client_id,
            },
        )
        if flow.get("type") != "create_entry":
            raise DemoError(
                f"the trusted_networks login did not bypass the login form: {flow.get('type')} "
                f"{flow.get('reason') or flow.get('step_id')} (it bypasses only with exactly "
                "one user)"
            )

        tokens = await self.expect(
            "POST",
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": flow["result"],
                "client_id": self.client_id,
            },
        )
        self.token = tokens["access_token"]
        refresh_token: str = tokens["refresh_token"]
        return refresh_token

    async def revoke(self, refresh_token: str) -> None:
        await self.expect("POST", "/auth/revoke", data={"token": refresh_token})

    async def token_works(self, token: str) -> bool:
        previous, self.token = self.token, token
        try:
            status, _ = await self.request("GET", "/api/")
        finally:
            self.token = previous
        return status == 200

    async def websocket(self, commands: list[dict[str, Any]]) -> list[Any]:
        """Authenticate on the websocket API, send commands one by one and return their results."""
        results: list[Any] = []
        async with self.session.ws_connect(self.base_url + "/api/websocket") as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            reply = await socket.receive_json()
            if reply.get("type") != "auth_ok":
                raise DemoError(f"websocket authentication failed: {reply.get('type')}")
            for message_id, command in enumerate(commands, start=1):
                await socket.send_json({"id": message_id, **command})
                reply = await socket.receive_json()
                if not reply.get("success"):
                    error = reply.get("error")
                    raise DemoError(f"websocket command {command['type']} failed: {error}")
                results.append(reply.get("result"))
        return results

    async def create_long_lived_token(self) -> str:
        """Replace the demo's long-lived access token.

        Home Assistant shows a token only when it creates it, so a lost token file needs a new one.
        """
        (refresh_tokens,) = await self.websocket([{"type": "auth/refresh_tokens"}])
        stale = [
            token["id"]
            for token in refresh_tokens
            if token.get("client_name") == TOKEN_CLIENT_NAME
            and token.get("type") == "long_lived_access_token"
        ]
        commands: list[dict[str, Any]] = [
            {"type": "auth/delete_refresh_token", "refresh_token_id": token_id}
            for token_id in stale
        ]
        commands.append(
            {
                "type": "auth/long_lived_access_token",
                "client_name": TOKEN_CLIENT_NAME,
                "lifespan": TOKEN_LIFESPAN_DAYS,
            }
        )
        results = await self.websocket(commands)
        token: str = results[-1]
        return token

    async def wait_until_running(self, is_alive: Callable[[], bool]) -> None:
        """Poll until Home Assistant reports the RUNNING state, so start-up has finished."""
        while True:
            if not is_alive():
                raise DemoError("Home Assistant exited during start-up")
            config = await self.expect("GET", "/api/config")
            if config.get("state") == "RUNNING":
                return
            await asyncio.sleep(1)

    async def immich_entries(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = await self.expect(
            "GET", "/api/config/config_entries/entry?domain=immich"
        )
        return entries

    async def delete_entry(self, entry_id: str) -> None:
        await self.expect("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def add_immich_entry(self, target: ImmichTarget) -> str | None:
        """Run the integration's config flow and return the new entry's id, or None if configured.

        The flow aborts with `already_configured` when an entry for the same Immich user exists.
        """
        flow = await self.expect(
            "POST",
            "/api/config/config_entries/flow",
            json_body={"handler": "immich", "show_advanced_options": False},
        )
        if flow.get("type") != "form" or flow.get("step_id") != "user":
            raise DemoError(f"the Immich config flow did not show its form: {flow}")

        result = await self.expect(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            json_body={
                "url": target.url,
                "api_key": target.api_key,
                "verify_ssl": target.verify_ssl,
            },
        )
        if result.get("type") == "create_entry":
            entry_id: str = result["result"]["entry_id"]
            return entry_id
        if result.get("type") == "abort" and result.get("reason") == "already_configured":
            return None
        if result.get("type") == "form":
            placeholders = result.get("description_placeholders") or {}
            raise DemoError(
                f"Immich at {target.url} was rejected: {result.get('errors')} {placeholders}"
            )
        raise DemoError(f"the Immich config flow ended with {result.get('type')}: {result}")

    async def entry_state(self, entry_id: str) -> str:
        entries = await self.immich_entries()
        return next((e["state"] for e in entries if e["entry_id"] == entry_id), "missing")

    async def wait_for_entry(self, entry_id: str) -> str:
        """Poll until the entry's set-up has finished and return its state."""
        while True:
            state = await self.entry_state(entry_id)
            if state in ENTRY_SETTLED_STATES:
                return state
            await asyncio.sleep(1)


async def ensure_token(client: HomeAssistantClient, saved_token: str | None) -> str:
    """Return `saved_token` if it still works, otherwise a new long-lived access token.

    Leaves `client.token` set to the returned token.
    """
    if saved_token and await client.token_works(saved_token):
        client.token = saved_token
        return saved_token

    session_refresh_token = await client.log_in()
    token = await client.create_long_lived_token()
    await client.revoke(session_refresh_token)
    client.token = token
    return token


@dataclass(slots=True)
class EntryOutcome:
    """Result of `ensure_immich_entry`: the entry id, a short description and the record to save."""

    entry_id: str | None
    action: str
    record: dict[str, str] | None
    """Entry id and URL (never the key) for the next run. None deletes the saved record."""


KEPT_ENTRY_STATES = ("loaded", "setup_retry")
"""States of the previous run's entry that the demo keeps when the URL is the same."""


async def ensure_immich_entry(
    client: HomeAssistantClient, target: ImmichTarget, record: dict[str, str]
) -> EntryOutcome:
    """Make the demo's config entry point at `target`.

    `record` is what the previous run saved. When the URL changed, for example from the
    emulator to a real server, or the entry failed to load, the demo deletes its old entry and
    runs the config flow again, so re-runs do not pile up entries. An entry that waits for its
    server to answer (setup retry) is kept, with the entities a user enabled, as Home
    Assistant keeps it. Entries added by hand stay.
    """
    entries = {entry["entry_id"]: entry for entry in await client.immich_entries()}
    previous_entry = entries.get(record.get("entry_id", ""))
    if previous_entry is not None:
        if record.get("url") == target.url and previous_entry["state"] in KEPT_ENTRY_STATES:
            return EntryOutcome(previous_entry["entry_id"], "kept", record)
        await client.delete_entry(previous_entry["entry_id"])

    entry_id = await client.add_immich_entry(target)
    if entry_id is None:
        # An entry for this Immich user exists that the record does not know about.
        return EntryOutcome(None, "already configured", None)
    return EntryOutcome(entry_id, "added", {"entry_id": entry_id, "url": target.url})
