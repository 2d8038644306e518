"""A pytest plugin that fails any test in which an Immich API key shows where it must not.

For every test it captures each log record that reaches the root logger (message,
arguments and traceback), with the integration's loggers at DEBUG. It also captures the
values the integration returns: action responses and errors, config flow results, media
source results and signed paths. After a test that used `hass`, it also reads every
state, the entity, device and issue registries, config entries (except the key field itself)
and the diagnostics of each loaded Immich entry. The keys it looks for are those of the
emulated servers, rotated ones included, and any key in a config entry's data.

The test's own inputs are not searched: a test may type a key into a config flow or send it
in a request header. The emulated server logs nothing with the key (its access log is off).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
import contextlib
from dataclasses import dataclass, field
import json
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import CoreState, HomeAssistant, ServiceRegistry
from homeassistant.data_entry_flow import FlowManager
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest

from custom_components.immich import media_urls
from custom_components.immich.const import DOMAIN
from custom_components.immich.diagnostics import async_get_config_entry_diagnostics
from custom_components.immich.media_source import ImmichMediaSource
from immich_emulator import Library, build_library

INTEGRATION_LOGGER = "custom_components.immich"
MIN_KEY_LENGTH = 8
"""Shorter config entry keys (test placeholders such as `x`) would match by chance."""
FLOW_RESULT_FIELDS = ("title", "errors", "reason", "description_placeholders")
"""Fields of a config flow result that the frontend shows. `data` contains the key on purpose."""


@dataclass(slots=True)
class Exposure:
    """A place where an API key showed, and the start of the text it showed in."""

    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text[:300]}"


@dataclass(slots=True)
class Capture:
    """What one test produced: log texts and values handed out, each with where it came from."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, value: Any) -> None:
        self.texts.append((where, as_text(value)))


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def find_exposures(texts: Iterable[tuple[str, str]], keys: Iterable[str]) -> list[Exposure]:
    """Return each (where, text) that contains one of the keys."""
    searched = [key for key in keys if len(key) >= MIN_KEY_LENGTH]
    return [Exposure(where, text) for where, text in texts if any(key in text for key in searched)]


class RecordCapture(logging.Handler):
    """Keeps the text of every record: message, arguments and formatted traceback."""

    def __init__(self, capture: Capture) -> None:
        super().__init__(logging.DEBUG)
        self._capture = capture
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        where = f"log record of {record.name} at {record.levelname}"
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        if record.args:
            text += f" args={record.args!r}"
        if record.exc_info:
            text += "\n" + self._formatter.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        self._capture.texts.append((where, text))


@contextlib.contextmanager
def capture_records(capture: Capture) -> Iterator[None]:
    """Capture every record that reaches the root logger, and the integration's at DEBUG.

    Other loggers keep their levels (INFO in Home Assistant's tests): the DEBUG records of
    Home Assistant's core, which repeat every event, would slow the suite by about 15 %.
    """
    root = logging.getLogger()
    integration = logging.getLogger(INTEGRATION_LOGGER)
    handler = RecordCapture(capture)
    level = integration.level
    root.addHandler(handler)
    integration.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        integration.setLevel(level)
        root.removeHandler(handler)


def hass_texts(hass: HomeAssistant) -> Iterator[tuple[str, str]]:
    """Yield what a user or a client of Home Assistant can read, with where it is."""
    for state in hass.states.async_all():
        yield f"state of {state.entity_id}", as_text(state.as_dict())
    for (domain, issue_id), issue in ir.async_get(hass).issues.items():
        yield f"repair issue {domain}.{issue_id}", repr(issue)
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    for config_entry in hass.config_entries.async_entries(DOMAIN):
        yield from config_entry_texts(config_entry)
        for entity in er.async_entries_for_config_entry(entities, config_entry.entry_id):
            yield f"entity registry entry {entity.entity_id}", repr(entity)
        for device in dr.async_entries_for_config_entry(devices, config_entry.entry_id):
            yield f"device registry entry {device.name}", repr(device)
        # Tests of the config flow load entries with a mocked setup, which leaves no runtime data.
        if config_entry.state is ConfigEntryState.LOADED and hasattr(config_entry, "runtime_data"):
            diagnostics = entry_diagnostics(hass, config_entry)
            yield f"diagnostics of entry {config_entry.title}", as_text(diagnostics)


def config_entry_texts(entry: ConfigEntry) -> Iterator[tuple[str, str]]:
    where = f"config entry {entry.entry_id}"
    data = {name: value for name, value in entry.data.items() if name != CONF_API_KEY}
    yield f"{where} title", entry.title
    yield f"{where} data other than {CONF_API_KEY}", as_text(data)
    yield f"{where} options", as_text(dict(entry.options))
    for subentry in entry.subentries.values():
        yield f"{where} subentry {subentry.title}", as_text(subentry.as_dict())
    yield f"{where} unique id and reason", f"{entry.unique_id} {entry.reason}"


def entry_diagnostics(hass: HomeAssistant, entry: ConfigEntry) -> Any:
    """Return an entry's diagnostics, outside the event loop, which is stopped between phases.

    The diagnostics await nothing, so one step of the coroutine runs them to the end. Should
    they start to await, the loop runs them.
    """
    coroutine = async_get_config_entry_diagnostics(hass, entry)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    return hass.loop.run_until_complete(async_get_config_entry_diagnostics(hass, entry))


def entry_keys(hass: HomeAssistant) -> set[str]:
    return {
        key
        for entry in hass.config_entries.async_entries(DOMAIN)
        if isinstance(key := entry.data.get(CONF_API_KEY), str)
    }


class KeySweep:
    """The plugin: captures each test's output and fails the test on an exposed key."""

    def __init__(self) -> None:
        self.keys: set[str] = set(build_library().keys)
        self.capture = Capture()
        self.test_keys: set[str] = set()
        """Keys found in the current test's config entries."""
        self.exposures: dict[str, list[Exposure]] = {}
        """Exposures by test node id, for the summary at the end of the session."""
        self._patches: contextlib.ExitStack | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._patches = contextlib.ExitStack()
        for target, attribute, wrapper in self._wrappers():
            original = getattr(target, attribute)
            self._patches.enter_context(patch.object(target, attribute, wrapper(original)))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._patches is not None:
            self._patches.close()

    def _wrappers(self) -> list[tuple[Any, str, Callable[[Any], Any]]]:
        sweep = self

        def add_key(original: Any) -> Any:
            def wrapped(library: Library, key: str, *args: Any, **kwargs: Any) -> Any:
                sweep.keys.add(key)
                return original(library, key, *args, **kwargs)

            return wrapped

        def recorded_async(where: str, only: Callable[[Any], Any] = lambda value: value) -> Any:
            def wrapper(original: Any) -> Any:
                async def wrapped(*args: Any, **kwargs: Any) -> Any:
                    try:
                        value = await original(*args, **kwargs)
                    except Exception as err:
                        sweep.capture.add(f"error of {where}", f"{type(err).__name__}: {err}")
                        raise
                    sweep.capture.add(where, only(value))
                    return value

                return wrapped

            return wrapper

        def recorded_sync(where: str) -> Any:
            def wrapper(original: Any) -> Any:
                def wrapped(*args: Any, **kwargs: Any) -> Any:
                    value = original(*args, **kwargs)
                    sweep.capture.add(where, value)
                    return value

                return wrapped

            return wrapper

        def flow_fields(result: Any) -> Any:
            if not isinstance(result, dict):
                return repr(result)
            return {name: result.get(name) for name in FLOW_RESULT_FIELDS}

        return [
            (Library, "add_key", add_key),
            (ServiceRegistry, "async_call", recorded_async("action response")),
            (FlowManager, "async_init", recorded_async("flow result", flow_fields)),
            (FlowManager, "async_configure", recorded_async("flow result", flow_fields)),
            (ImmichMediaSource, "async_browse_media", recorded_async("media browser", repr)),
            (ImmichMediaSource, "async_resolve_media", recorded_async("resolved media", repr)),
            (media_urls, "async_sign_path", recorded_sync("signed path")),
        ]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None]:
        self.capture = Capture()
        self.test_keys = set()
        with capture_records(self.capture):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None]:
        with capture_records(self.capture):
            result = yield
        self._check(item, item.funcargs.get("hass"))
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None]:
        with capture_records(self.capture):
            result = yield
        self._check(item, None)
        return result

    def _check(self, item: pytest.Item, hass: Any) -> None:
        """Search what the test produced so far; fail it when a key shows."""
        texts = list(self.capture.texts)
        self.capture.texts.clear()
        if isinstance(hass, HomeAssistant) and hass.state is not CoreState.stopped:
            self.test_keys |= entry_keys(hass)
            texts += hass_texts(hass)
        keys = self.keys | self.test_keys
        exposures = find_exposures(texts, keys)
        if not exposures:
            return
        self.exposures.setdefault(item.nodeid, []).extend(exposures)
        listing = "\n".join(f"  {exposure}" for exposure in exposures[:20])
        pytest.fail(f"an Immich API key shows in {len(exposures)} places:\n{listing}")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.exposures:
            return
        terminalreporter.section("Immich API keys exposed")
        for nodeid, exposures in self.exposures.items():
            terminalreporter.write_line(nodeid)
            for exposure in exposures[:20]:
                terminalreporter.write_line(f"  {exposure}")
