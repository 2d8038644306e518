"""The emulator's standalone entry point (`python -m immich_emulator`) and control endpoint."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import signal
import sys

import aiohttp
import pytest

from immich_emulator import ADMIN_KEY
from immich_emulator.__main__ import build_parser, parse_fault_argument
from immich_emulator.control import CONTROL_PATH, ControlledEmulatorServer
from immich_emulator.faults import FaultKind

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
async def controlled(socket_enabled: None) -> AsyncIterator[ControlledEmulatorServer]:
    server = ControlledEmulatorServer("v2.7.5")
    await server.start()
    yield server
    await server.stop()


async def _post(url: str, body: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json()


async def _version(url: str) -> dict:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}/api/server/version") as response,
    ):
        return await response.json()


def test_fault_argument_with_value_and_pattern() -> None:
    fault = parse_fault_argument("delay=2.5:GET /api/server/.*")
    assert fault.kind is FaultKind.DELAY
    assert fault.seconds == 2.5
    assert fault.pattern == "GET /api/server/.*"


def test_fault_argument_pattern_keeps_colons() -> None:
    fault = parse_fault_argument("server_error=502:GET /api/a:b")
    assert fault.status == 502
    assert fault.pattern == "GET /api/a:b"


def test_fault_argument_kind_only() -> None:
    fault = parse_fault_argument("unauthorized")
    assert fault.kind is FaultKind.UNAUTHORIZED
    assert fault.pattern == ".*"


@pytest.mark.parametrize(
    "text", ["bogus", "delay=soon", "unauthorized=3", "delay=1:(unclosed", "server_error=x"]
)
def test_fault_argument_rejects_invalid(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_fault_argument(text)


@pytest.mark.parametrize("arguments", [["--port", "70000"], ["--lifetime", "0"], ["--port", "x"]])
def test_parser_rejects_invalid(arguments: list[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(arguments)


async def test_control_switches_profile_and_release(controlled: ControlledEmulatorServer) -> None:
    status, state = await _post(
        controlled.url + CONTROL_PATH, {"profile": "v3.0.3", "release_version": None}
    )
    assert status == 200
    assert state["profile"] == "v3.0.3"
    assert state["release_version"] is None
    assert await _version(controlled.url) == {"major": 3, "minor": 0, "patch": 3}


async def test_control_adds_and_clears_faults(controlled: ControlledEmulatorServer) -> None:
    url = controlled.url + CONTROL_PATH
    status, state = await _post(
        url, {"faults": [{"kind": "server_error", "pattern": "GET /api/server/version"}]}
    )
    assert status == 200
    assert len(state["faults"]) == 1
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{controlled.url}/api/server/version") as response,
    ):
        assert response.status == 503

    status, state = await _post(url, {"clear_faults": True})
    assert status == 200
    assert state["faults"] == []
    assert await _version(controlled.url) == {"major": 2, "minor": 7, "patch": 5}


@pytest.mark.parametrize(
    "body",
    [
        {"profile": "v9.9.9"},
        {"unknown": 1},
        {"faults": [{"kind": "delay", "seconds": "long"}]},
        {"faults": [{"kind": "delay", "pattern": "("}]},
        {"reported_version": [2, 7]},
        ["not", "an", "object"],
    ],
)
async def test_control_rejects_invalid(controlled: ControlledEmulatorServer, body: object) -> None:
    status, response = await _post(controlled.url + CONTROL_PATH, body)
    assert status == 400
    assert response["error"]
    assert controlled.profile.name == "v2.7.5"
    assert controlled.faults.faults == []


async def test_control_applies_nothing_when_invalid(
    controlled: ControlledEmulatorServer,
) -> None:
    status, _ = await _post(
        controlled.url + CONTROL_PATH, {"profile": "v3.0.3", "faults": [{"kind": "bogus"}]}
    )
    assert status == 400
    assert controlled.profile.name == "v2.7.5"


async def test_control_needs_no_api_key(controlled: ControlledEmulatorServer) -> None:
    controlled.add_fault("unauthorized")
    async with (
        aiohttp.ClientSession() as session,
        session.get(controlled.url + CONTROL_PATH) as response,
    ):
        assert response.status == 200
        state = await response.json()
    assert state["profile"] == "v2.7.5"


async def _run_module(*arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "immich_emulator",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=PROJECT_DIR,
    )


async def test_module_stops_after_lifetime(socket_enabled: None) -> None:
    process = await _run_module("--port", "0", "--lifetime", "1")
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    text = output.decode()
    assert process.returncode == 0
    assert "listening on http://127.0.0.1:" in text
    assert f"admin key:  {ADMIN_KEY}" in text
    assert "lifetime of 1 s reached" in text


async def test_module_stops_on_sigterm(socket_enabled: None) -> None:
    process = await _run_module("--port", "0", "--lifetime", "60")
    assert process.stdout is not None
    first_line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    url = first_line.decode().rsplit(" ", 1)[-1].strip()
    assert (await _version(url))["major"] == 2

    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert "stopping (signal)" in output.decode()
