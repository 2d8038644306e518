"""Set up the examples of docs/dashboards.md in the running demo and screenshot them.

scripts/screenshots starts headless Chromium with a DevTools port and then runs this module
with the newest test environment's Python: `python docs/make_screenshots.py --devtools-port
PORT`. `scripts/demo` must be running. The YAML and the template come from the blocks of
docs/dashboards.md that follow a `<!-- screenshot yaml: NAME -->` or `<!-- screenshot
jinja: NAME -->` line, so each screenshot shows the YAML that readers paste from the page.

The run creates or replaces the Photos dashboard, the template helper "Photo frame caption"
and the automation "Morning memories", and runs the automation once. Each page then opens in
a fresh browser context and is captured once the expected text is on screen and every image
has finished loading. The PNGs go to docs/images/. The run also checks three things: that
the slideshows show photos rather than a placeholder, that the photo frame's arrows step its
slideshow both ways, and that the media browser plays the Holidays album's video to its end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import Awaitable, Callable
import itertools
import json
from pathlib import Path
import re
import sys
import time
from typing import Any
from urllib.parse import quote

import aiohttp
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
DOC_FILE = PROJECT_DIR / "docs" / "dashboards.md"
IMAGES_DIR = PROJECT_DIR / "docs" / "images"
TOKEN_FILE = PROJECT_DIR / ".demo" / "token"

HASS_URL = "http://127.0.0.1:8123"
DASHBOARD_PATH = "immich-photos"
CAPTION_HELPER_NAME = "Photo frame caption"
CAPTION_SENSOR = "sensor.photo_frame_caption"
AUTOMATION_ID = "immich_morning_memories"
NOTIFICATION_ID = "immich_morning_memories"
MEMORIES = "image.immich_memories"
RANDOM = "image.immich_random"
FAVORITES = "image.immich_favorites"
SLIDESHOWS = (MEMORIES, RANDOM, FAVORITES)

PAGE_TIMEOUT = 60.0
SETTLE_SECONDS = 1.5
"""Time for transitions (drawers sliding in, ripples fading) once a page is ready."""
CAPTURE_ATTEMPTS = 3
"""A slideshow advances every 60 s, so a capture that spans an advance is taken again."""
MAX_STEPS = 60
"""Steps through a slideshow while looking for a photo that shows every overlay."""
MAX_PNG_BYTES = 300_000
SIDEBAR_WIDTH = 256

SNIPPET_MARKER = re.compile(
    r"<!-- screenshot (yaml|jinja): ([a-z0-9-]+) -->\n```(?:yaml|jinja)\n(.*?)\n```", re.S
)
SNIPPETS = {
    "memories-card": "yaml",
    "morning-automation": "yaml",
    "frame-caption": "jinja",
    "wall-panel-view": "yaml",
}

# Each script below walks the document and every open shadow root, because Home Assistant's
# frontend is built from web components.
DEEP_ELEMENTS = """
function* deepElements() {
  const roots = [document];
  for (let index = 0; index < roots.length; index++) {
    for (const element of roots[index].querySelectorAll("*")) {
      if (element.shadowRoot) roots.push(element.shadowRoot);
      yield element;
    }
  }
}
"""

# The page's text, with the text of shadow roots, and its images that are still loading or
# that failed.
PROBE_SCRIPT = (
    DEEP_ELEMENTS
    + """
(() => {
  const texts = [document.body ? document.body.innerText : ""];
  const loading = [];
  const broken = [];
  for (const element of deepElements()) {
    if (element.shadowRoot) {
      const walker = document.createTreeWalker(element.shadowRoot, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) texts.push(walker.currentNode.data);
    }
    if (element.tagName !== "IMG") continue;
    if (!element.complete) loading.push(element.src);
    else if (element.naturalWidth === 0) broken.push(element.src);
  }
  return {
    url: location.href,
    text: texts.join(" ").replace(/\\s+/g, " "),
    loadingImages: loading,
    brokenImages: broken,
  };
})()
"""
)

SHOW_NOTIFICATIONS_SCRIPT = (
    DEEP_ELEMENTS
    + """
(() => {
  for (const element of deepElements()) {
    if (element.tagName !== "HOME-ASSISTANT-MAIN") continue;
    element.dispatchEvent(
      new CustomEvent("hass-show-notifications", {bubbles: true, composed: true})
    );
    return true;
  }
  return false;
})()
"""
)

# Clicks the media browser item whose text contains the title passed in.
CLICK_MEDIA_ITEM_SCRIPT = (
    DEEP_ELEMENTS
    + """
((title) => {
  for (const element of deepElements()) {
    if (element.classList.contains("child") && element.textContent.includes(title)) {
      element.click();
      return true;
    }
  }
  return false;
})
"""
)

# The centres of the picture-elements card's icon elements, in page order.
ICON_CENTRES_SCRIPT = (
    DEEP_ELEMENTS
    + """
(() => {
  const centres = [];
  for (const element of deepElements()) {
    if (element.tagName !== "HUI-ICON-ELEMENT") continue;
    const box = element.getBoundingClientRect();
    centres.push([box.x + box.width / 2, box.y + box.height / 2]);
  }
  return centres;
})()
"""
)

VIDEO_STATE_SCRIPT = (
    DEEP_ELEMENTS
    + """
(() => {
  for (const element of deepElements()) {
    if (element.tagName !== "VIDEO") continue;
    return {
      currentTime: element.currentTime,
      duration: element.duration,
      ended: element.ended,
      error: element.error ? element.error.message || String(element.error.code) : null,
      width: element.videoWidth,
      height: element.videoHeight,
    };
  }
  return null;
})()
"""
)


class ScreenshotError(Exception):
    """A step of the run failed. The message names the step and what to check."""


class PageNavigatedError(ScreenshotError):
    """The page navigated while a script ran in it, as the frontend does while logging in."""


# DevTools protocol


class DevTools:
    """Chromium's DevTools protocol over the browser's websocket, with one session per page."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self._websocket = websocket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._websocket:
            data = json.loads(message.data)
            future = self._pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)
        for future in self._pending.values():
            future.set_exception(ScreenshotError("Chromium closed the DevTools connection"))

    async def send(self, method: str, session_id: str | None = None, **params: Any) -> Any:
        """Send one command and return its result, or raise ScreenshotError on a protocol error."""
        message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session_id is not None:
            message["sessionId"] = session_id
        await self._websocket.send_json(message)
        reply = await asyncio.wait_for(future, PAGE_TIMEOUT)
        if "error" in reply:
            error = reply["error"]
            if "navigated or closed" in error.get("message", ""):
                raise PageNavigatedError(f"the page navigated during {method}")
            raise ScreenshotError(f"DevTools command {method} failed: {error}")
        return reply["result"]

    async def open_page(self, width: int, height: int) -> Page:
        """Open a blank page of this size in a new browser context, so no state leaks in."""
        context = await self.send("Target.createBrowserContext")
        context_id = context["browserContextId"]
        target = await self.send(
            "Target.createTarget",
            url="about:blank",
            browserContextId=context_id,
            width=width,
            height=height,
        )
        attached = await self.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        page = Page(self, attached["sessionId"], target["targetId"], context_id)
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return page


class Page:
    """A browser tab attached through a DevTools session."""

    def __init__(self, devtools: DevTools, session_id: str, target_id: str, context_id: str):
        self._devtools = devtools
        self._session_id = session_id
        self._target_id = target_id
        self._context_id = context_id

    async def send(self, method: str, **params: Any) -> Any:
        return await self._devtools.send(method, self._session_id, **params)

    async def evaluate(self, expression: str, user_gesture: bool = False) -> Any:
        """Run JavaScript in the page and return its value, or raise ScreenshotError if it throws.

        `user_gesture` runs it as if the user had clicked, which lets a video start playing.
        """
        result = await self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
            userGesture=user_gesture,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            description = details.get("exception", {}).get("description") or details.get("text")
            if "context was destroyed" in str(description):
                raise PageNavigatedError("the page navigated while a script ran")
            raise ScreenshotError(f"JavaScript failed in the page: {description}")
        return result["result"].get("value")

    async def evaluate_when_settled(self, expression: str) -> Any:
        """Evaluate like `evaluate`, trying again while the page is navigating."""
        deadline = time.monotonic() + PAGE_TIMEOUT
        while True:
            try:
                return await self.evaluate(expression)
            except PageNavigatedError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def navigate(self, path: str) -> None:
        await self.send("Page.navigate", url=f"{HASS_URL}{path}")

    async def hide_sidebar(self) -> None:
        """Turn on the profile setting "Always hide the sidebar", which this browser stores."""
        # Any page of Home Assistant's origin gives access to its local storage.
        await self.navigate("/robots.txt")
        await self._wait_for(
            "location.pathname === '/robots.txt' && document.readyState === 'complete'",
            "/robots.txt to load",
        )
        await self.evaluate(
            "localStorage.setItem('dockedSidebar', JSON.stringify('always_hidden'))"
        )

    async def _wait_for(self, expression: str, description: str) -> None:
        deadline = time.monotonic() + PAGE_TIMEOUT
        while not await self.evaluate_when_settled(expression):
            if time.monotonic() > deadline:
                raise ScreenshotError(
                    f"timed out after {PAGE_TIMEOUT:.0f} s waiting for {description}"
                )
            await asyncio.sleep(0.2)

    async def wait_until_ready(
        self, expected_text: tuple[str, ...], allow_broken_images: bool = False
    ) -> None:
        """Wait until every expected string is on the page and no image is still loading.

        A broken image raises ScreenshotError unless `allow_broken_images` is set, which the
        settings pages need: their brand icons come from brands.home-assistant.io, which the
        demo does not reach.
        """
        deadline = time.monotonic() + PAGE_TIMEOUT
        while True:
            state = await self.evaluate_when_settled(PROBE_SCRIPT)
            missing = [text for text in expected_text if text not in state["text"]]
            if not missing and not state["loadingImages"]:
                break
            if time.monotonic() > deadline:
                raise ScreenshotError(
                    f"{state['url']} was not ready after {PAGE_TIMEOUT:.0f} s: text not found "
                    f"{missing}, images still loading {state['loadingImages']}"
                )
            await asyncio.sleep(0.5)
        if state["brokenImages"] and not allow_broken_images:
            raise ScreenshotError(f"{state['url']} has images that failed: {state['brokenImages']}")
        await asyncio.sleep(SETTLE_SECONDS)

    async def click(self, x: float, y: float) -> None:
        """Click at a point of the viewport as a mouse does."""
        for event in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent", type=event, x=x, y=y, button="left", clickCount=1
            )

    async def screenshot(self, clip: tuple[int, int, int, int] | None = None) -> bytes:
        """Capture the viewport, or the rectangle `clip` given as (x, y, width, height)."""
        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            x, y, width, height = clip
            params["clip"] = {"x": x, "y": y, "width": width, "height": height, "scale": 1}
        result = await self.send("Page.captureScreenshot", **params)
        return base64.b64decode(result["data"])

    async def close(self) -> None:
        await self._devtools.send("Target.closeTarget", targetId=self._target_id)
        await self._devtools.send("Target.disposeBrowserContext", browserContextId=self._context_id)


# Home Assistant


class HomeAssistant:
    """Home Assistant's websocket and REST APIs, authenticated with the demo's token."""

    def __init__(self, session: aiohttp.ClientSession, token: str) -> None:
        self._session = session
        self._token = token
        self._websocket: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    async def connect(self) -> None:
        try:
            websocket = await self._session.ws_connect(f"{HASS_URL}/api/websocket")
        except aiohttp.ClientError as err:
            raise ScreenshotError(
                f"failed to connect to Home Assistant at {HASS_URL} ({err}). Start scripts/demo first."
            ) from err
        await websocket.receive_json()
        await websocket.send_json({"type": "auth", "access_token": self._token})
        reply = await websocket.receive_json()
        if reply.get("type") != "auth_ok":
            raise ScreenshotError(
                f"Home Assistant rejected the token in {TOKEN_FILE}: {reply}. "
                "Stop the demo, run scripts/demo --reset and start it again."
            )
        self._websocket = websocket

    async def close(self) -> None:
        if self._websocket is not None:
            await self._websocket.close()

    async def command(self, message_type: str, **data: Any) -> Any:
        """Send one websocket command and return its result, or raise ScreenshotError on failure."""
        assert self._websocket is not None, "connect() first"
        message_id = next(self._ids)
        await self._websocket.send_json({"id": message_id, "type": message_type, **data})
        while True:
            reply = await self._websocket.receive_json()
            if reply.get("id") == message_id and reply.get("type") == "result":
                break
        if not reply["success"]:
            raise ScreenshotError(f"websocket command {message_type} failed: {reply['error']}")
        return reply["result"]

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        """Call the REST API and return the decoded JSON body."""
        headers = {"Authorization": f"Bearer {self._token}"}
        async with self._session.request(
            method, f"{HASS_URL}{path}", json=body, headers=headers
        ) as response:
            if response.status >= 400:
                raise ScreenshotError(
                    f"{method} {path} failed with HTTP {response.status}: {await response.text()}"
                )
            return await response.json()

    async def content_type(self, path: str) -> str:
        """Fetch a path and return its Content-Type."""
        headers = {"Authorization": f"Bearer {self._token}"}
        async with self._session.get(f"{HASS_URL}{path}", headers=headers) as response:
            await response.read()
            if response.status >= 400:
                raise ScreenshotError(f"GET {path} failed with HTTP {response.status}")
            return response.content_type

    async def state(self, entity_id: str) -> dict[str, Any]:
        state: dict[str, Any] = await self.rest("GET", f"/api/states/{entity_id}")
        return state

    async def call_service(self, domain: str, service: str, **data: Any) -> None:
        await self.command("call_service", domain=domain, service=service, service_data=data)


# Set-up in Home Assistant


def load_snippets() -> dict[str, Any]:
    """Return the code blocks of docs/dashboards.md that carry a screenshot marker, by name.

    YAML blocks are parsed, and a Jinja block stays the template's text.
    """
    snippets: dict[str, Any] = {}
    for language, name, body in SNIPPET_MARKER.findall(DOC_FILE.read_text()):
        snippets[name] = yaml.safe_load(body) if language == "yaml" else body
    for name, language in SNIPPETS.items():
        if name not in snippets:
            raise ScreenshotError(
                f"{DOC_FILE} has no code block after `<!-- screenshot {language}: {name} -->`"
            )
    return snippets


async def save_caption_helper(hass: HomeAssistant, template: str) -> None:
    """Create the template sensor helper that the photo frame shows, replacing an old one."""
    entries = await hass.rest("GET", "/api/config/config_entries/entry?domain=template")
    for entry in entries:
        if entry["title"] == CAPTION_HELPER_NAME:
            await hass.rest("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")

    # The same steps as Settings > Devices & services > Helpers > Create helper > Template.
    flow = await hass.rest("POST", "/api/config/config_entries/flow", {"handler": "template"})
    flow_path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    await hass.rest("POST", flow_path, {"next_step_id": "sensor"})
    result = await hass.rest("POST", flow_path, {"name": CAPTION_HELPER_NAME, "state": template})
    if result.get("type") != "create_entry":
        raise ScreenshotError(f"the template helper flow did not create an entry: {result}")


async def save_dashboard(hass: HomeAssistant, snippets: dict[str, Any]) -> None:
    """Create the Photos dashboard if it is missing and replace its configuration."""
    dashboards = await hass.command("lovelace/dashboards/list")
    if not any(dashboard["url_path"] == DASHBOARD_PATH for dashboard in dashboards):
        await hass.command(
            "lovelace/dashboards/create",
            url_path=DASHBOARD_PATH,
            title="Photos",
            icon="mdi:image-multiple",
            show_in_sidebar=True,
            require_admin=False,
            mode="storage",
        )

    def section(card: dict[str, Any]) -> dict[str, Any]:
        return {"type": "grid", "cards": [card]}

    slideshows_view = {
        "title": "Slideshows",
        "path": "slideshows",
        "type": "sections",
        "max_columns": 3,
        "sections": [
            section(snippets["memories-card"]),
            section({"type": "picture-entity", "entity": RANDOM, "show_state": False}),
            section({"type": "picture-entity", "entity": FAVORITES, "show_state": False}),
        ],
    }
    config = {"title": "Photos", "views": [slideshows_view, snippets["wall-panel-view"]]}
    await hass.command("lovelace/config/save", url_path=DASHBOARD_PATH, config=config)


async def save_and_run_automation(hass: HomeAssistant, automation: dict[str, Any]) -> None:
    """Save the morning automation, run it now and wait for its notification."""
    await hass.call_service("persistent_notification", "dismiss", notification_id=NOTIFICATION_ID)
    await hass.rest("POST", f"/api/config/automation/config/{AUTOMATION_ID}", automation)
    entity_id = await wait_for_automation_entity(hass)
    # Like "Run actions" in the editor: skip the trigger and the `conditions` block.
    await hass.call_service("automation", "trigger", entity_id=entity_id, skip_condition=True)

    deadline = time.monotonic() + PAGE_TIMEOUT
    while time.monotonic() < deadline:
        notifications = await hass.command("persistent_notification/get")
        if any(item["notification_id"] == NOTIFICATION_ID for item in notifications):
            return
        await asyncio.sleep(0.5)
    raise ScreenshotError(
        f"{entity_id} ran but created no notification {NOTIFICATION_ID}. See its trace at "
        f"{HASS_URL}/config/automation/trace/{AUTOMATION_ID}"
    )


async def wait_for_automation_entity(hass: HomeAssistant) -> str:
    """Return the entity id of the saved automation once Home Assistant has loaded it."""
    deadline = time.monotonic() + PAGE_TIMEOUT
    while time.monotonic() < deadline:
        for entity in await hass.command("config/entity_registry/list"):
            if entity["platform"] == "automation" and entity["unique_id"] == AUTOMATION_ID:
                return str(entity["entity_id"])
        await asyncio.sleep(0.5)
    raise ScreenshotError(
        f"automation {AUTOMATION_ID} has no entity after saving. Does "
        ".demo/config/configuration.yaml contain `automation: !include automations.yaml`?"
    )


async def check_slideshows_show_photos(hass: HomeAssistant) -> None:
    """Raise unless each slideshow shows a photo: not the "Loading photos" or "No photos" image."""
    for entity_id in SLIDESHOWS:
        deadline = time.monotonic() + PAGE_TIMEOUT
        while (state := await hass.state(entity_id))["attributes"].get("status") != "showing":
            if time.monotonic() > deadline:
                raise ScreenshotError(
                    f"{entity_id} shows no photo after {PAGE_TIMEOUT:.0f} s: {state['attributes']}. "
                    "See .demo/config/home-assistant.log."
                )
            await asyncio.sleep(1)
        # The placeholders are SVG images, and photos keep the content type that Immich sends.
        content_type = await hass.content_type(state["attributes"]["entity_picture"])
        if not content_type.startswith(("image/jpeg", "image/png", "image/webp")):
            raise ScreenshotError(f"{entity_id} serves {content_type}, not a photo")
        print(f"{entity_id}: {state['attributes']['file_name']} ({content_type})")


async def step_until(
    hass: HomeAssistant, entity_id: str, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Call immich.next_image until the slideshow shows a photo whose attributes match."""
    for _ in range(MAX_STEPS):
        attributes: dict[str, Any] = (await hass.state(entity_id))["attributes"]
        if attributes.get("status") == "showing" and wanted(attributes):
            return attributes
        await hass.call_service("immich", "next_image", entity_id=entity_id)
    raise ScreenshotError(f"{entity_id} showed no matching photo in {MAX_STEPS} steps")


# Screenshots


async def capture(
    hass: HomeAssistant,
    devtools: DevTools,
    name: str,
    path: str,
    size: tuple[int, int],
    expected_text: tuple[str, ...],
    clip: tuple[int, int, int, int] | None = None,
    hide_sidebar: bool = False,
    allow_broken_images: bool = False,
    before_capture: Callable[[Page], Awaitable[None]] | None = None,
) -> None:
    """Open a page, wait until it is ready and save its screenshot as docs/images/NAME.png.

    The capture is taken again when a slideshow advanced while the page was loading, so the
    PNG shows the photo whose attributes the expected text was computed from.
    """
    for _ in range(CAPTURE_ATTEMPTS):
        shown_before = [(await hass.state(entity_id))["state"] for entity_id in SLIDESHOWS]
        page = await devtools.open_page(*size)
        try:
            if hide_sidebar:
                await page.hide_sidebar()
            await page.navigate(path)
            await page.wait_until_ready(expected_text, allow_broken_images)
            if before_capture is not None:
                await before_capture(page)
            png = await page.screenshot(clip)
        finally:
            await page.close()
        shown_after = [(await hass.state(entity_id))["state"] for entity_id in SLIDESHOWS]
        if shown_after == shown_before:
            break
    else:
        raise ScreenshotError(f"the slideshows kept advancing while {name} was being captured")

    if len(png) > MAX_PNG_BYTES:
        raise ScreenshotError(
            f"{name}.png is {len(png)} bytes, over {MAX_PNG_BYTES}. Capture a smaller area."
        )
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    (IMAGES_DIR / f"{name}.png").write_bytes(png)
    print(f"docs/images/{name}.png: {len(png)} bytes, {path}")


async def shoot_slideshows(hass: HomeAssistant, devtools: DevTools) -> None:
    # NOTE: the emulator's memories with a city were captured on 4 December, and memories
    # follow the real date, so on most other days no memory has a city and this step raises.
    memory = await step_until(hass, MEMORIES, lambda attributes: bool(attributes["city"]))
    years = memory["years_ago"]
    caption = f"{years} {'year' if years == 1 else 'years'} ago · {memory['city']}"
    await capture(
        hass,
        devtools,
        "memories-card",
        f"/{DASHBOARD_PATH}/slideshows",
        (1440, 560),
        ("On this day", "Immich Random", "Immich Favorites", caption),
        clip=(0, 0, 1440, 400),
    )


async def shoot_automation(hass: HomeAssistant, devtools: DevTools) -> None:
    await capture(
        hass,
        devtools,
        "morning-automation",
        f"/config/automation/edit/{AUTOMATION_ID}",
        (1280, 800),
        ("Morning memories", "Immich: Get memories"),
        clip=(SIDEBAR_WIDTH, 0, 1280 - SIDEBAR_WIDTH, 800),
    )

    async def show_notifications(page: Page) -> None:
        if not await page.evaluate(SHOW_NOTIFICATIONS_SCRIPT):
            raise ScreenshotError("the page has no home-assistant-main element")
        await page.wait_until_ready(("On this day:", "open in Immich"))

    await capture(
        hass,
        devtools,
        "morning-notification",
        f"/{DASHBOARD_PATH}/slideshows",
        (1280, 720),
        ("On this day",),
        clip=(0, 0, 500, 620),
        before_capture=show_notifications,
    )


async def shoot_wall_panel(hass: HomeAssistant, devtools: DevTools) -> None:
    await step_until(
        hass, RANDOM, lambda attributes: bool(attributes["city"] and attributes["people"])
    )
    deadline = time.monotonic() + PAGE_TIMEOUT
    # The caption helper renders its template after the slideshow's state changes.
    while not (caption := (await hass.state(CAPTION_SENSOR))["state"]).count(" · ") >= 2:
        if time.monotonic() > deadline:
            raise ScreenshotError(f"{CAPTION_SENSOR} shows {caption!r}, not date · place · people")
        await asyncio.sleep(0.5)
    await capture(
        hass,
        devtools,
        "wall-panel",
        f"/{DASHBOARD_PATH}/photo-frame",
        (1280, 800),
        (caption,),
        hide_sidebar=True,
    )


async def check_frame_arrows(hass: HomeAssistant, devtools: DevTools) -> None:
    """Click the photo frame's arrows and check that they step the slideshow both ways."""
    # The slideshow can advance on its own between the clicks, so a mismatch is tried again.
    for _ in range(CAPTURE_ATTEMPTS):
        page = await devtools.open_page(1280, 800)
        try:
            await page.hide_sidebar()
            await page.navigate(f"/{DASHBOARD_PATH}/photo-frame")
            await page.wait_until_ready(("Photo frame",))
            centres = await page.evaluate(ICON_CENTRES_SCRIPT)
            deadline = time.monotonic() + PAGE_TIMEOUT
            while len(centres) != 2:
                if time.monotonic() > deadline:
                    raise ScreenshotError(f"the photo frame has {len(centres)} arrows, not 2")
                await asyncio.sleep(0.2)
                centres = await page.evaluate(ICON_CENTRES_SCRIPT)
            previous_arrow, next_arrow = sorted(centres)
            first = (await hass.state(RANDOM))["attributes"]["asset_id"]
            await page.click(*next_arrow)
            second = await wait_for_new_photo(hass, RANDOM, first)
            await page.click(*previous_arrow)
            back = await wait_for_new_photo(hass, RANDOM, second)
        finally:
            await page.close()
        if back == first:
            print(f"photo frame: the right arrow showed {second}, the left arrow {first} again")
            return
    raise ScreenshotError(f"the left arrow showed {back}, not the earlier photo {first}")


async def wait_for_new_photo(hass: HomeAssistant, entity_id: str, old_asset_id: str) -> str:
    """Wait until the slideshow shows another asset than `old_asset_id`, and return its ID."""
    deadline = time.monotonic() + PAGE_TIMEOUT
    while (asset_id := (await hass.state(entity_id))["attributes"]["asset_id"]) == old_asset_id:
        if time.monotonic() > deadline:
            raise ScreenshotError(
                f"{entity_id} still shows {old_asset_id} after a click on an arrow"
            )
        await asyncio.sleep(0.2)
    return str(asset_id)


async def shoot_settings_pages(hass: HomeAssistant, devtools: DevTools) -> None:
    devices = await hass.command("config/device_registry/list")
    entry = (await hass.rest("GET", "/api/config/config_entries/entry?domain=immich"))[0]
    server = next(
        device
        for device in devices
        if entry["entry_id"] in device["config_entries"] and device["model"] != "Slideshow"
    )
    await capture(
        hass,
        devtools,
        "integration-page",
        "/config/integrations/integration/immich",
        (1280, 1040),
        (server["name"], "Immich Random", "Immich Favorites", "Immich Memories"),
        allow_broken_images=True,
    )
    await capture(
        hass,
        devtools,
        "server-device",
        f"/config/devices/device/{server['id']}",
        (1280, 620),
        (server["name"], "Photos count", "Disk available"),
        allow_broken_images=True,
    )


async def media_browser_path(hass: HomeAssistant, titles: list[str | None]) -> tuple[str, Any]:
    """Return the media browser's URL path for a folder and the folder's listing.

    `titles` names the child to open at each level from the media sources, and None opens the
    first child.
    """
    listing = await hass.command("media_source/browse_media")
    segments = []
    for title in titles:
        children = listing["children"] or []
        child = next((item for item in children if title is None or item["title"] == title), None)
        if child is None:
            raise ScreenshotError(f"the media browser lists no {title!r} in {listing['title']}")
        segments.append(quote(f"{child['media_content_type']},{child['media_content_id']}", ""))
        listing = await hass.command(
            "media_source/browse_media", media_content_id=child["media_content_id"]
        )
    return "/media-browser/browser/" + "/".join(segments), listing


async def shoot_media_browser(hass: HomeAssistant, devtools: DevTools) -> None:
    path, albums = await media_browser_path(hass, ["Immich", None, "Albums"])
    await capture(
        hass,
        devtools,
        "media-browser-albums",
        path,
        (1280, 720),
        tuple(album["title"] for album in albums["children"]),
        clip=(0, 0, 1280, 420),
    )


async def check_video_playback(hass: HomeAssistant, devtools: DevTools) -> None:
    """Play the Holidays album's video in the media browser and check that it reaches its end."""
    path, album = await media_browser_path(hass, ["Immich", None, "Albums", "Holidays"])
    video = next((item for item in album["children"] if item["media_class"] == "video"), None)
    if video is None:
        raise ScreenshotError("the Holidays album lists no video")

    page = await devtools.open_page(1280, 720)
    try:
        await page.navigate(path)
        await page.wait_until_ready((video["title"],))
        clicked = await page.evaluate(
            f"{CLICK_MEDIA_ITEM_SCRIPT}({json.dumps(video['title'])})", user_gesture=True
        )
        if not clicked:
            raise ScreenshotError(f"found no item {video['title']} to click in {path}")
        deadline = time.monotonic() + PAGE_TIMEOUT
        while True:
            state = await page.evaluate(VIDEO_STATE_SCRIPT)
            if state is not None and state["error"]:
                raise ScreenshotError(f"{video['title']} failed to play: {state['error']}")
            if state is not None and state["ended"]:
                break
            if time.monotonic() > deadline:
                raise ScreenshotError(f"{video['title']} did not play to its end: {state}")
            await asyncio.sleep(0.5)
    finally:
        await page.close()
    print(
        f"media browser: {video['title']} played to its end "
        f"({state['duration']:.1f} s, {state['width']}x{state['height']})"
    )


async def run(devtools_port: int) -> None:
    snippets = load_snippets()
    try:
        token = TOKEN_FILE.read_text().strip()
    except FileNotFoundError as err:
        raise ScreenshotError(f"{TOKEN_FILE} is missing. Start scripts/demo first.") from err

    async with aiohttp.ClientSession() as session:
        hass = HomeAssistant(session, token)
        await hass.connect()
        try:
            await check_slideshows_show_photos(hass)
            await save_caption_helper(hass, snippets["frame-caption"])
            await save_dashboard(hass, snippets)
            await save_and_run_automation(hass, snippets["morning-automation"])

            async with session.get(f"http://127.0.0.1:{devtools_port}/json/version") as response:
                browser_url = (await response.json())["webSocketDebuggerUrl"]
            async with session.ws_connect(browser_url, max_msg_size=0) as websocket:
                devtools = DevTools(websocket)
                await shoot_slideshows(hass, devtools)
                await shoot_automation(hass, devtools)
                await shoot_wall_panel(hass, devtools)
                await check_frame_arrows(hass, devtools)
                await shoot_settings_pages(hass, devtools)
                await shoot_media_browser(hass, devtools)
                await check_video_playback(hass, devtools)
        finally:
            await hass.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--devtools-port",
        type=int,
        required=True,
        help="port of a headless Chromium's DevTools protocol on 127.0.0.1",
    )
    args = parser.parse_args()
    try:
        asyncio.run(run(args.devtools_port))
    except ScreenshotError as err:
        print(f"make_screenshots: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
