"""Run the emulated Immich server on its own: `python -m immich_emulator --port 2283`.

It listens on 127.0.0.1 only and stops on SIGINT or SIGTERM, or by itself after `--lifetime`
seconds, so that a forgotten server does not keep running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import sys

from .control import CONTROL_PATH, ControlledEmulatorServer
from .faults import Fault, FaultKind
from .library import ADMIN_KEY, SCOPED_KEY, USER_KEY
from .profiles import DEFAULT_PROFILE, PROFILES
from .socket.endpoint import SOCKET_PATH

DEFAULT_PORT = 2283
"""Immich's own default port."""
DEFAULT_LIFETIME = 12 * 60 * 60
FAULT_VALUE_OPTION = {
    FaultKind.DELAY: "seconds",
    FaultKind.HANG: "seconds",
    FaultKind.SERVER_ERROR: "status",
    FaultKind.HTML_ERROR: "status",
    FaultKind.MISSING_PERMISSION: "permission",
}
"""The Fault field that `KIND=VALUE` sets for each fault kind."""


class ListenError(OSError):
    """The server could not open its port, for example because another program uses it."""


def parse_fault_argument(text: str) -> Fault:
    """Parse `KIND[=VALUE][:PATTERN]`, for example `delay=2:GET /api/server/.*`."""
    head, _, pattern = text.partition(":")
    kind_text, has_value, value = head.partition("=")
    try:
        kind = FaultKind(kind_text)
    except ValueError:
        kinds = ", ".join(kind.value for kind in FaultKind)
        raise argparse.ArgumentTypeError(
            f"invalid fault kind {kind_text!r}, expected one of {kinds}"
        ) from None

    pattern = pattern or ".*"
    try:
        re.compile(pattern)
    except re.error as err:
        raise argparse.ArgumentTypeError(f"invalid pattern {pattern!r}: {err}") from None

    fault = Fault(kind, pattern)
    if not has_value:
        return fault
    option = FAULT_VALUE_OPTION.get(kind)
    if option is None:
        raise argparse.ArgumentTypeError(f"fault kind {kind.value!r} takes no =VALUE")
    try:
        if option == "seconds":
            fault.seconds = float(value)
        elif option == "status":
            fault.status = int(value)
        else:
            fault.permission = value
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {option} {value!r} in fault {text!r}") from None
    return fault


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m immich_emulator",
        description="Serve an emulated Immich API on 127.0.0.1 for manual tests and the demo.",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"TCP port on 127.0.0.1 (default {DEFAULT_PORT}, 0 picks a free port)",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help=f"Immich release to emulate (default {DEFAULT_PROFILE})",
    )
    parser.add_argument(
        "--lifetime",
        type=positive_seconds,
        default=DEFAULT_LIFETIME,
        metavar="SECONDS",
        help=f"stop by itself after this many seconds (default {DEFAULT_LIFETIME}, 12 hours)",
    )
    parser.add_argument(
        "--fault",
        type=parse_fault_argument,
        action="append",
        default=[],
        metavar="KIND[=VALUE][:PATTERN]",
        help=(
            "inject a fault into requests whose 'METHOD /api/path' matches the regular "
            "expression PATTERN (default: every request); repeatable. KIND is one of "
            f"{', '.join(kind.value for kind in FaultKind)}. VALUE sets the seconds of delay "
            "and hang, the HTTP status of server_error and html_error, or the permission of "
            "missing_permission. Example: --fault 'delay=3:GET /api/server/statistics'"
        ),
    )
    return parser


async def serve(port: int, profile: str, lifetime: float, faults: list[Fault]) -> None:
    """Serve until SIGINT, SIGTERM or the end of the lifetime."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    server = ControlledEmulatorServer(profile)
    for fault in faults:
        server.faults.add(fault)
    try:
        url = await server.start(port)
    except OSError as err:
        await server.stop()
        raise ListenError(f"failed to listen on 127.0.0.1:{port}: {err}") from err

    print(f"Immich emulator {server.profile.version_text} listening on {url}")
    print(f"  admin key:  {ADMIN_KEY}")
    print(f"  user key:   {USER_KEY}")
    print(f"  scoped key: {SCOPED_KEY} (photos only: no people, tags or queues)")
    for fault in faults:
        print(f"  fault: {fault.kind.value} on {fault.pattern!r}")
    print(f"  control:    {url}{CONTROL_PATH}")
    print(f"  socket:     {url.replace('http', 'ws', 1)}{SOCKET_PATH}?EIO=4&transport=websocket")
    print(f"Stops on Ctrl-C, SIGTERM or after {lifetime:g} s.", flush=True)

    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=lifetime)
        reason = "signal" if stop.is_set() else f"lifetime of {lifetime:g} s reached"
        print(f"Immich emulator stopping ({reason})", flush=True)
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(serve(args.port, args.profile, args.lifetime, args.fault))
    except ListenError as err:
        print(f"Immich emulator {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
