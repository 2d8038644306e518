"""The emulated Immich server: an aiohttp application on 127.0.0.1 with auth and faults."""

from __future__ import annotations

from collections import Counter
import ssl
from typing import Any

from aiohttp import web

from . import captures
from .faults import Fault, FaultInjector, FaultKind, error_body
from .library import ApiKey, Library, build_library
from .profiles import DEFAULT_PROFILE, PROFILES, Profile

SERVER_KEY: web.AppKey[EmulatorServer] = web.AppKey("immich_emulator")
LOOPBACK = "127.0.0.1"


class RequestStats:
    """Counts of requests and response body bytes, for tests and benchmarks."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.body_bytes = 0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        self.requests.clear()
        self.body_bytes = 0


class EmulatorServer:
    """One emulated Immich server. Tests start it on their own event loop."""

    def __init__(self, profile: str = DEFAULT_PROFILE, library: Library | None = None) -> None:
        self.profile: Profile = PROFILES[profile]
        self.library = library or build_library()
        self.faults = FaultInjector()
        self.stats = RequestStats()
        self._runner: web.AppRunner | None = None
        self._scheme = "http"
        self.port: int | None = None
        self.reported_version: tuple[int, int, int] | None = None
        """Version to report instead of the profile's, for tests of version handling."""

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the emulator is not running")
        return f"{self._scheme}://{LOOPBACK}:{self.port}"

    def set_profile(self, name: str) -> None:
        """Switch to another Immich release while running, as an upgrade or downgrade would."""
        self.profile = PROFILES[name]

    def add_fault(self, kind: FaultKind | str, pattern: str = ".*", **options: Any) -> Fault:
        return self.faults.add(Fault(FaultKind(kind), pattern, **options))

    def create_app(self) -> web.Application:
        from .routes import register_routes

        app = web.Application(middlewares=[self._middleware], client_max_size=200 * 1024**2)
        app[SERVER_KEY] = self
        register_routes(app)
        return app

    async def start(self, port: int = 0, ssl_context: ssl.SSLContext | None = None) -> str:
        """Listen on 127.0.0.1 (a free port when 0) and return the base URL."""
        self._runner = web.AppRunner(self.create_app(), access_log=None)
        await self._runner.setup()
        self._scheme = "https" if ssl_context else "http"
        site = web.TCPSite(self._runner, LOOPBACK, port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        self.port = sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_emulator/"):
            response: web.StreamResponse = await handler(request)
            return response

        self.stats.requests[f"{request.method} {request.path}"] += 1
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            faulted = await self.faults.respond(fault, request)
            if faulted is not None:
                return faulted

        response = await self._authorized(request, handler)
        if isinstance(response, web.Response) and response.body is not None:
            self.stats.body_bytes += len(response.body)  # type: ignore[arg-type]
        return response

    async def _authorized(self, request: web.Request, handler: Any) -> web.StreamResponse:
        exception = request.match_info.http_exception
        if exception is not None:
            return missing_route(request)

        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        rule = captures.permissions(self.profile.permissions_spec).get(
            f"{request.method} {template.removeprefix('/api')}"
        )
        permission = rule["permission"] if rule else None
        admin_only = bool(rule and rule["adminOnly"])
        if permission is None and not admin_only:
            response: web.StreamResponse = await handler(request)
            return response

        key_text = request.headers.get("x-api-key")
        if not key_text:
            return json_error(401, "Authentication required", "Unauthorized")
        key = self.library.user_for_key(key_text)
        if key is None:
            return json_error(401, "Invalid API key", "Unauthorized")

        user = self.library.users[key.user_id]
        if admin_only and not user.get("isAdmin"):
            return json_error(403, "Forbidden", "Forbidden")
        if key.permissions is not None and permission not in key.permissions:
            return json_error(403, f"Missing required permission: {permission}", "Forbidden")

        request["api_key"] = key
        response = await handler(request)
        return response


def request_key(request: web.Request) -> ApiKey:
    key: ApiKey = request["api_key"]
    return key


def json_error(status: int, message: str | list[str], error: str) -> web.Response:
    """Return an error in Immich's shape; validation errors carry a list of messages."""
    return web.Response(
        status=status, body=error_body(status, message, error), content_type="application/json"
    )


def missing_route(request: web.Request) -> web.Response:
    """Answer as Immich's router does for a route it does not have."""
    return json_error(404, f"Cannot {request.method} {request.path}", "Not Found")
