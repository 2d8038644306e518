"""Run Home Assistant with this integration beside an emulated (or real) Immich server.

scripts/demo runs this module with the newest test environment's Python, from the project root:
`python -m scripts.lib.demo_run [options]`. It starts both servers on 127.0.0.1, completes
Home Assistant's onboarding, writes a long-lived access token to `.demo/token`, adds the
Immich config entry through the config flow and then waits. Ctrl-C, SIGTERM or the end of
`--lifetime` stops both servers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass
import errno
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import IO
import urllib.error
import urllib.request

import aiohttp

from immich_emulator.library import ADMIN_KEY
from immich_emulator.profiles import DEFAULT_PROFILE, PROFILES
from scripts.lib.demo_config import (
    INTEGRATIONS,
    ConfigFolderError,
    prepare_config_dir,
    write_private,
)
from scripts.lib.demo_hass import (
    OWNER_USERNAME,
    DemoError,
    EntryOutcome,
    HomeAssistantClient,
    ImmichTarget,
    ensure_immich_entry,
    ensure_token,
)
from scripts.lib.demo_packages import PackageError, install_missing

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEMO_DIR = PROJECT_DIR / ".demo"
CONFIG_DIR = DEMO_DIR / "config"
TOKEN_FILE = DEMO_DIR / "token"
ENTRY_STATE_FILE = DEMO_DIR / "entry.json"
PID_FILE = DEMO_DIR / "demo.pid"
EMULATOR_LOG = DEMO_DIR / "emulator.log"
HASS_CONSOLE_LOG = DEMO_DIR / "hass-console.log"
HASS_LOG = CONFIG_DIR / "home-assistant.log"
SITE_PACKAGES = DEMO_DIR / "site-packages"

LOOPBACK = "127.0.0.1"
DEFAULT_HASS_PORT = 8123
DEFAULT_EMULATOR_PORT = 2283
DEFAULT_LIFETIME = 12 * 60 * 60
API_KEY_VARIABLE = "IMMICH_API_KEY"

EMULATOR_START_TIMEOUT = 30.0
# A first start on an empty configuration creates the database and loads the frontend.
HASS_START_TIMEOUT = 300.0
ENTRY_SETUP_TIMEOUT = 60.0
HASS_STOP_TIMEOUT = 90.0
# The emulator may be serving a hang fault, which lasts up to 30 s.
EMULATOR_STOP_TIMEOUT = 40.0


@dataclass(slots=True)
class Child:
    """A server process that the demo started, with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_timeout: float


class StartError(Exception):
    """The demo failed to start. The message gives the reason and the next step."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        allow_abbrev=False,
        description=(
            "Run Home Assistant with the Immich integration on 127.0.0.1, configured against "
            "the Immich emulator or a real Immich server. Ctrl-C stops everything."
        ),
    )
    parser.add_argument(
        "--generation",
        choices=sorted(PROFILES),
        default=None,
        metavar="PROFILE",
        help=f"Immich release that the emulator serves: {', '.join(sorted(PROFILES))} "
        f"(default {DEFAULT_PROFILE})",
    )
    parser.add_argument(
        "--url", help="use the real Immich server at this URL instead of the emulator"
    )
    parser.add_argument(
        "--api-key",
        help=(
            "API key for --url. Other local users can read command lines, so prefer the "
            f"{API_KEY_VARIABLE} environment variable, or leave both out and type the key "
            "when scripts/demo asks for it"
        ),
    )
    parser.add_argument(
        "--no-verify-ssl",
        action="store_true",
        help="accept any TLS certificate from --url, for example a self-signed one",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_HASS_PORT,
        help=f"Home Assistant's port on 127.0.0.1 (default {DEFAULT_HASS_PORT})",
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=DEFAULT_EMULATOR_PORT,
        help=f"the emulator's port on 127.0.0.1 (default {DEFAULT_EMULATOR_PORT})",
    )
    parser.add_argument(
        "--lifetime",
        type=float,
        default=DEFAULT_LIFETIME,
        metavar="SECONDS",
        help=f"stop both servers after this many seconds (default {DEFAULT_LIFETIME}, 12 hours)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete .demo/ (configuration, database, token and logs) and exit",
    )
    return parser


def running_demo_pid() -> int | None:
    """Return the process id of a demo that is still running from this project, if any."""
    try:
        pid = int(PID_FILE.read_text())
    except (FileNotFoundError, ValueError):
        return None
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if b"demo_run" in command_line else None


def reset() -> None:
    pid = running_demo_pid()
    if pid is not None:
        raise StartError(f"a demo is running (process {pid}). Stop it before --reset.")
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
        print("Deleted .demo/")
    else:
        print(".demo/ does not exist; nothing to delete")


def check_port_free(port: int, user: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Servers set SO_REUSEADDR too, so a port in TIME_WAIT after a previous run counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise
            raise StartError(
                f"port {port} on {LOOPBACK} is in use, so {user} cannot listen there. Stop the "
                "program that uses it or pick another port (see scripts/demo --help)."
            ) from None


def read_api_key(args: argparse.Namespace) -> str:
    """Return the API key for --url from the option or the environment."""
    key = (args.api_key or os.environ.get(API_KEY_VARIABLE) or "").strip()
    if not key:
        raise StartError(
            f"--url needs an API key: pass --api-key, set {API_KEY_VARIABLE} or run "
            "scripts/demo in a terminal, where it asks for the key"
        )
    return key


def set_parent_death_signal() -> None:
    """Make the kernel send SIGTERM to this child when the demo dies, even by SIGKILL."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_child(
    name: str,
    command: list[str],
    log_path: Path,
    stop_timeout: float,
    extra_environment: dict[str, str] | None = None,
) -> Child:
    log: IO[bytes] = log_path.open("wb")
    environment = {key: value for key, value in os.environ.items() if key != API_KEY_VARIABLE}
    environment.update(extra_environment or {})
    with log:
        # A new session keeps Ctrl-C away from the child, so the demo stops the children in order.
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=set_parent_death_signal,
        )
    return Child(name, process, log_path, stop_timeout)


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def wait_for_emulator(child: Child, url: str) -> None:
    # No proxy: the emulator is on 127.0.0.1 even where http_proxy is set.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + EMULATOR_START_TIMEOUT
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise StartError(
                f"the emulator exited with status {child.process.returncode}:\n"
                f"{log_tail(child.log_path)}"
            )
        try:
            with opener.open(f"{url}/api/server/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise StartError(
        f"timed out after {EMULATOR_START_TIMEOUT:g} s waiting for the emulator at {url}"
    )


@dataclass(slots=True)
class SetupResult:
    """Outcome of configure_home_assistant, for the saved files and the summary."""

    token: str
    token_is_new: bool
    entry: EntryOutcome
    entry_state: str | None
    immich_entities: int


async def configure_home_assistant(
    hass_url: str,
    target: ImmichTarget,
    hass: Child,
    saved_token: str | None,
    entry_record: dict[str, str],
) -> SetupResult:
    """Onboard, get a long-lived token and add the Immich entry, all over HTTP."""

    def is_alive() -> bool:
        return hass.process.poll() is None

    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = HomeAssistantClient(session, hass_url)
        try:
            async with asyncio.timeout(HASS_START_TIMEOUT):
                await client.wait_until_up(is_alive)
        except TimeoutError:
            raise DemoError(
                f"timed out after {HASS_START_TIMEOUT:g} s waiting for Home Assistant at {hass_url}"
            ) from None
        if await client.complete_onboarding():
            print(f"  created the owner user {OWNER_USERNAME!r}", flush=True)

        token = await ensure_token(client, saved_token)
        try:
            async with asyncio.timeout(HASS_START_TIMEOUT):
                await client.wait_until_running(is_alive)
        except TimeoutError:
            raise DemoError(
                f"timed out after {HASS_START_TIMEOUT:g} s waiting for Home Assistant to finish "
                "starting"
            ) from None

        entry = await ensure_immich_entry(client, target, entry_record)
        state = None
        if entry.entry_id is not None:
            try:
                async with asyncio.timeout(ENTRY_SETUP_TIMEOUT):
                    state = await client.wait_for_entry(entry.entry_id)
            except TimeoutError:
                state = await client.entry_state(entry.entry_id)

        (entities,) = await client.websocket([{"type": "config/entity_registry/list"}])
        immich_entities = sum(1 for entity in entities if entity.get("platform") == "immich")
        return SetupResult(token, token != saved_token, entry, state, immich_entities)


def read_saved_state() -> tuple[str | None, dict[str, str]]:
    """Return the token and the entry record of the previous run, if any."""
    token = TOKEN_FILE.read_text().strip() if TOKEN_FILE.exists() else None
    record: dict[str, str] = {}
    if ENTRY_STATE_FILE.exists():
        with contextlib.suppress(json.JSONDecodeError):
            record = json.loads(ENTRY_STATE_FILE.read_text())
    return token, record


def save_state(result: SetupResult) -> None:
    """Write the token and the entry record for the next run, and report both."""
    if result.token_is_new:
        write_private(TOKEN_FILE, result.token + "\n")
        print("  wrote a new long-lived access token to .demo/token")
    else:
        print("  the token in .demo/token still works")
    print(f"  Immich config entry: {result.entry.action}")
    if result.entry.record is None:
        ENTRY_STATE_FILE.unlink(missing_ok=True)
    else:
        ENTRY_STATE_FILE.write_text(json.dumps(result.entry.record) + "\n")
    if result.entry_state is not None:
        print(f"  entry state: {result.entry_state}")
        if result.entry_state != "loaded":
            print(f"  (see {HASS_LOG.relative_to(PROJECT_DIR)} for the reason)")


def print_summary(
    args: argparse.Namespace, hass_url: str, target: ImmichTarget, entities: int
) -> None:
    print()
    print(f"Home Assistant:  {hass_url}  (no login from this machine)")
    print(
        f"Immich page:     {hass_url}/config/integrations/integration/immich  ({entities} entities)"
    )
    print("Access token:    .demo/token, for example")
    print(f'  curl -H "Authorization: Bearer $(cat .demo/token)" {hass_url}/api/states')
    if args.url:
        print(f"Immich server:   {target.url}")
    else:
        profile = args.generation or DEFAULT_PROFILE
        print(f"Immich emulator: {target.url}  ({profile}, admin key; control: /_emulator/control)")
    print(f"Logs:            {HASS_LOG.relative_to(PROJECT_DIR)}, ", end="")
    print(f"{HASS_CONSOLE_LOG.relative_to(PROJECT_DIR)}", end="")
    print(f", {EMULATOR_LOG.relative_to(PROJECT_DIR)}" if not args.url else "")
    print(f"Ctrl-C stops everything; it stops by itself after {args.lifetime:g} s.", flush=True)


def supervise(children: list[Child], lifetime: float) -> int:
    """Wait until a child exits or the lifetime ends; Ctrl-C raises KeyboardInterrupt."""
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        for child in children:
            if child.process.poll() is not None:
                print(
                    f"{child.name} exited with status {child.process.returncode}:\n"
                    f"{log_tail(child.log_path)}",
                    file=sys.stderr,
                )
                return 1
        time.sleep(1)
    print(f"Lifetime of {lifetime:g} s reached")
    return 0


def stop_children(children: list[Child]) -> None:
    """Stop Home Assistant first, then the emulator it uses.

    A child that does not stop within its stop timeout is killed.
    """
    for child in reversed(children):
        if child.process.poll() is not None:
            continue
        print(f"Stopping {child.name} ...", flush=True)
        child.process.terminate()
        try:
            child.process.wait(child.stop_timeout)
        except subprocess.TimeoutExpired:
            print(f"{child.name} did not stop within {child.stop_timeout:g} s; killing it")
            child.process.kill()
            child.process.wait()
        print(f"{child.name} stopped (exit status {child.process.returncode})", flush=True)


class StopSignalHandler:
    """Turn the first SIGINT or SIGTERM into KeyboardInterrupt and ignore the ones after it.

    One Ctrl-C usually arrives twice: from the terminal and forwarded by scripts/demo. A second
    KeyboardInterrupt would break off the shutdown that the first one started.
    """

    def __init__(self) -> None:
        self.received = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.received:
            return
        self.received = True
        raise KeyboardInterrupt


def run(args: argparse.Namespace, children: list[Child]) -> int:
    hass_url = f"http://{LOOPBACK}:{args.port}"
    if args.url:
        target = ImmichTarget(args.url, read_api_key(args), not args.no_verify_ssl)
    else:
        target = ImmichTarget(f"http://{LOOPBACK}:{args.emulator_port}", ADMIN_KEY, True)

    check_port_free(args.port, "Home Assistant")
    if not args.url:
        check_port_free(args.emulator_port, "the emulator")
    try:
        prepare_config_dir(CONFIG_DIR, args.port)
    except ConfigFolderError as err:
        raise StartError(str(err)) from err
    PID_FILE.write_text(f"{os.getpid()}\n")

    print("Checking the packages that Home Assistant needs beyond the test environment ...")
    try:
        installed = install_missing(set(INTEGRATIONS), SITE_PACKAGES)
    except PackageError as err:
        raise StartError(str(err)) from err
    if installed:
        print(f"  installed into .demo/site-packages: {', '.join(installed)}", flush=True)

    if not args.url:
        profile = args.generation or DEFAULT_PROFILE
        print(f"Starting the Immich emulator ({profile}) on {target.url} ...", flush=True)
        emulator_lifetime = args.lifetime + EMULATOR_STOP_TIMEOUT + HASS_STOP_TIMEOUT
        emulator = start_child(
            "the emulator",
            [
                sys.executable,
                "-m",
                "immich_emulator",
                "--port",
                str(args.emulator_port),
                "--profile",
                profile,
                "--lifetime",
                f"{emulator_lifetime:g}",
            ],
            EMULATOR_LOG,
            EMULATOR_STOP_TIMEOUT,
        )
        children.append(emulator)
        wait_for_emulator(emulator, target.url)

    print(f"Starting Home Assistant on {hass_url} (a first start takes a minute or two) ...")
    # The hass script, not `python -m homeassistant`: the project root on sys.path would also
    # offer its custom_components folder, besides the one in the configuration folder.
    hass_program = Path(sys.executable).with_name("hass")
    hass = start_child(
        "Home Assistant",
        [str(hass_program), "--config", str(CONFIG_DIR), "--skip-pip"],
        HASS_CONSOLE_LOG,
        HASS_STOP_TIMEOUT,
        {"PYTHONPATH": str(SITE_PACKAGES)},
    )
    children.append(hass)
    saved_token, entry_record = read_saved_state()
    try:
        result = asyncio.run(
            configure_home_assistant(hass_url, target, hass, saved_token, entry_record)
        )
    except (DemoError, aiohttp.ClientError, TimeoutError) as err:
        raise StartError(
            f"setting up Home Assistant failed: {err or type(err).__name__}\n"
            f"  last lines of {HASS_CONSOLE_LOG.relative_to(PROJECT_DIR)}:\n"
            f"{log_tail(HASS_CONSOLE_LOG)}"
        ) from err

    save_state(result)
    print_summary(args, hass_url, target, result.immich_entities)
    return supervise(children, args.lifetime)


def main() -> int:
    args = build_parser().parse_args()
    if args.url and args.generation:
        print(
            "scripts/demo: --generation applies to the emulator only, not to --url", file=sys.stderr
        )
        return 2
    if args.api_key and not args.url:
        print("scripts/demo: --api-key needs --url", file=sys.stderr)
        return 2
    if args.lifetime <= 0:
        print("scripts/demo: --lifetime must be a positive number of seconds", file=sys.stderr)
        return 2

    # Install the handler explicitly: a parent shell may have started this process with
    # SIGINT ignored (a background job), and SIGTERM should stop the children as Ctrl-C does.
    handler = StopSignalHandler()
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)

    children: list[Child] = []
    try:
        if args.reset:
            reset()
            return 0
        pid = running_demo_pid()
        if pid is not None:
            raise StartError(f"a demo is already running (process {pid}). Stop it first.")
        DEMO_DIR.mkdir(exist_ok=True)
        return run(args, children)
    except StartError as err:
        print(f"scripts/demo: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the demo ...", flush=True)
        return 0
    finally:
        # The children run in their own sessions, so they stop only by the SIGTERM sent here.
        handler.received = True
        stop_children(children)
        if running_demo_pid() == os.getpid():
            PID_FILE.unlink()


if __name__ == "__main__":
    sys.exit(main())
