"""The emulated Immich server: an aiohttp application on 127.0.0.1 with auth and faults."""

from __future__ import annotations

from collections import Counter, deque
import ssl
from typing import Any

from aiohttp import web

from .etag import with_etag
from .faults import Fault, FaultInjector, FaultKind, error_body
from .legacy_shapes import (
    access_rule,
    hidden_queue_names,
    reshape_response,
    route_exists,
    served_route,
)
from .library import ApiKey, Library, build_library
from .profiles import DEFAULT_PROFILE, PROFILES, Profile
from .socket import SocketHub, SocketStats

SERVER_KEY: web.AppKey[EmulatorServer] = web.AppKey("immich_emulator")
LOOPBACK = "127.0.0.1"
SOCKET_MODES = ("open", "refuse", "html", "absent")
SOCKET_ROUTE = "GET /socket.io/"
MAX_BODY_BYTES = 200 * 1024**2


class RequestStats:
    """Counts of requests and response body bytes, for tests and benchmarks."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.body_bytes = 0
        self.log: deque[str] = deque(maxlen=5000)
        """The latest requests as `METHOD /path?query`, oldest first."""

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        self.requests.clear()
        self.body_bytes = 0
        self.log.clear()


class EmulatorServer:
    """One emulated Immich server. Tests start it on their own event loop."""

    def __init__(
        self,
        profile: str = DEFAULT_PROFILE,
        library: Library | None = None,
        *,
        path_prefix: str = "",
    ) -> None:
        self.profile: Profile = PROFILES[profile]
        self.path_prefix = "/" + path_prefix.strip("/") if path_prefix.strip("/") else ""
        """Sub-path of the API behind a reverse proxy: `/photos` serves `/photos/api/...`."""
        self.library = library or build_library()
        self.faults = FaultInjector()
        self.stats = RequestStats()
        self._runner: web.AppRunner | None = None
        self._scheme = "http"
        self.port: int | None = None
        self.reported_version: tuple[int, int, int] | None = None
        """Version to report instead of the profile's, for tests of version handling."""
        self.sockets = SocketHub()
        self.socket_ping_interval = 25.0
        """Seconds between engine.io pings (Immich's 25000 ms)."""
        self.socket_ping_timeout = 20.0
        """Seconds a client has to send a pong before its socket closes (Immich's 20000 ms)."""
        self.upload_event_delay = 0.3
        """Seconds from an upload to its socket events; Immich sends them when thumbnails exist."""
        self.socket_mode = "open"
        """Behaviour of `/api/socket.io/`: `open` serves the socket, `refuse` returns a proxy's
        502 page, `html` a 200 HTML page, `absent` a 404 as a server without the endpoint."""

    @property
    def socket_stats(self) -> SocketStats:
        """Counters of the socket endpoint: `connections`, `rejected`, `open` and `events`."""
        return self.sockets.stats

    def emit_event(self, user_id: str, name: str, payload: Any) -> int:
        """Send an event to every socket of a user; return how many sockets it reached."""
        return self.sockets.emit(user_id, name, payload)

    async def drop_sockets(self) -> None:
        """Close every open socket, as a server restart or a proxy timeout does."""
        await self.sockets.close_all()

    @property
    def url(self) -> str:
        """The address a user opens Immich with, sub-path included."""
        return self.origin + self.path_prefix

    @property
    def origin(self) -> str:
        """Scheme, host and port, without the sub-path."""
        if self.port is None:
            raise RuntimeError("the emulator is not running")
        return f"{self._scheme}://{LOOPBACK}:{self.port}"

    def set_profile(self, name: str) -> None:
        """Switch to another Immich release while running, as an upgrade or downgrade would."""
        self.profile = PROFILES[name]

    @property
    def queues(self) -> dict[str, dict[str, Any]]:
        """The library's job queues that this release lists; old ones lack the newer queues."""
        hidden = hidden_queue_names(self.profile)
        return {name: queue for name, queue in self.library.queues.items() if name not in hidden}

    def add_fault(self, kind: FaultKind | str, pattern: str = ".*", **options: Any) -> Fault:
        return self.faults.add(Fault(FaultKind(kind), pattern, **options))

    def create_app(self) -> web.Application:
        """Build the application. With a path prefix, the API is a sub-application under it."""
        app = web.Application(middlewares=[self._middleware], client_max_size=MAX_BODY_BYTES)
        app[SERVER_KEY] = self
        app.on_shutdown.append(self._close_sockets)
        if not self.path_prefix:
            _register_api(app)
            return app

        api_app = web.Application(client_max_size=MAX_BODY_BYTES)
        api_app[SERVER_KEY] = self
        _register_api(api_app)
        app.add_subapp(self.path_prefix, api_app)
        return app

    async def _close_sockets(self, app: web.Application) -> None:
        # Open websockets would otherwise keep the runner's cleanup waiting.
        await self.sockets.shutdown()

    def api_path(self, request: web.Request) -> str:
        """Return the request's path without the sub-path, as a proxy passes it on to Immich."""
        path = request.path
        if self.path_prefix and path.startswith(self.path_prefix + "/"):
            return path[len(self.path_prefix) :]
        return path

    async def start(self, port: int = 0, ssl_context: ssl.SSLContext | None = None) -> str:
        """Listen on 127.0.0.1 (a free port when 0) and return the base URL."""
        # Without lingering, a connection whose request body was answered early (an upload
        # refused with 403) closes at once instead of being read for up to 10 s more.
        self._runner = web.AppRunner(self.create_app(), access_log=None, lingering_time=0)
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
        path = self.api_path(request)
        if path.startswith("/_emulator/"):
            response: web.StreamResponse = await handler(request)
            return response

        # Statistics keep the full path, so tests can check that a sub-path was sent.
        self.stats.requests[f"{request.method} {request.path}"] += 1
        self.stats.log.append(f"{request.method} {request.path_qs}")
        fault = self.faults.take(request.method, path)
        if fault is not None:
            faulted = await self.faults.respond(fault, request)
            if faulted is not None:
                return faulted

        response = await self._authorized(request, handler)
        if (
            request.method == "GET"
            and isinstance(response, web.Response)
            and response.content_type == "application/json"
        ):
            response = with_etag(request, response)
        if isinstance(response, web.Response) and response.body is not None:
            self.stats.body_bytes += len(response.body)  # type: ignore[arg-type]
        return response

    async def _authorized(self, request: web.Request, handler: Any) -> web.StreamResponse:
        exception = request.match_info.http_exception
        if exception is not None:
            return missing_route(request)

        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        template = template.removeprefix(self.path_prefix).removeprefix("/api")
        route = served_route(self.profile, f"{request.method} {template}")
        if not route_exists(self.profile, route):
            return missing_route(request)
        if route == SOCKET_ROUTE:
            # The socket authenticates when it joins a namespace, as Immich's gateway does.
            return await handler(request)  # type: ignore[no-any-return]
        rule = access_rule(self.profile, route)
        if rule is None:
            response: web.StreamResponse = await handler(request)
            return reshape_response(self.profile, route, response)

        key_text = request.headers.get("x-api-key")
        if not key_text:
            return json_error(401, "Authentication required", "Unauthorized")
        key = self.library.user_for_key(key_text)
        if key is None:
            return json_error(401, "Invalid API key", "Unauthorized")

        user = self.library.users[key.user_id]
        if rule.admin_only and not user.get("isAdmin"):
            return json_error(403, "Forbidden", "Forbidden")
        permission = rule.permission
        if (
            permission is not None
            and key.permissions is not None
            and permission not in key.permissions
        ):
            return json_error(403, f"Missing required permission: {permission}", "Forbidden")

        request["api_key"] = key
        response = await handler(request)
        return reshape_response(self.profile, route, response)


def _register_api(app: web.Application) -> None:
    from .routes import register_routes
    from .routes_asset_edits import register_asset_edit_routes
    from .socket.endpoint import register_socket_routes

    register_routes(app)
    register_asset_edit_routes(app)
    register_socket_routes(app)


def request_key(request: web.Request) -> ApiKey:
    key: ApiKey = request["api_key"]
    return key


def json_error(status: int, message: str | list[str], error: str) -> web.Response:
    """Return an error in Immich's shape; validation errors carry a list of messages."""
    return web.Response(
        status=status, body=error_body(status, message, error), content_type="application/json"
    )


def missing_route(request: web.Request) -> web.Response:
    """Return the error Immich's router sends for a route it does not have."""
    path = request.app[SERVER_KEY].api_path(request)
    return json_error(404, f"Cannot {request.method} {path}", "Not Found")
