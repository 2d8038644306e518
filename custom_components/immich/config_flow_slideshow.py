"""Subentry flow that adds or changes a slideshow of a server entry.

Steps: the source, then the albums, people or tags when the source needs them (a step named
after the source), then the settings. Reconfiguring walks the same steps with the current
values as defaults. Home Assistant removes a subentry, and its image entity, by itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.helpers.selector import (
    BooleanSelector,
    DateSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .api import (
    ImmichAuthenticationError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    ImmichNotFoundError,
    ImmichPermissionError,
)
from .compat import vol
from .coordinator import ImmichConfigEntry
from .helpers import create_client_for_entry
from .slideshow.settings import (
    CONF_DATE_FROM,
    CONF_DATE_TO,
    CONF_IDS,
    CONF_INCLUDE_ARCHIVED,
    CONF_INTERVAL,
    CONF_ORDER,
    CONF_ORIENTATION,
    CONF_SOURCE,
    MAX_INTERVAL,
    MIN_INTERVAL,
    Order,
    Orientation,
    SlideshowSettings,
    Source,
)
from .slideshow_choices import Choice, async_load_choices, slideshow_title

SOURCE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[source.value for source in Source],
        mode=SelectSelectorMode.LIST,
        translation_key="slideshow_source",
    )
)
INTERVAL_SELECTOR = NumberSelector(
    NumberSelectorConfig(
        min=MIN_INTERVAL,
        max=MAX_INTERVAL,
        step=1,
        unit_of_measurement="s",
        mode=NumberSelectorMode.BOX,
    )
)
ORDER_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[order.value for order in Order],
        mode=SelectSelectorMode.LIST,
        translation_key="slideshow_order",
    )
)
ORIENTATION_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[orientation.value for orientation in Orientation],
        mode=SelectSelectorMode.LIST,
        translation_key="slideshow_orientation",
    )
)


class FlowError(Exception):
    """A form error: the field it belongs to, its translation key and placeholders."""

    def __init__(self, field: str, error: str, placeholders: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.field = field
        self.error = error
        self.placeholders = placeholders or {}


def flow_error(err: ImmichError) -> FlowError:
    """Return the form error for a failed request while listing or checking a source."""
    if isinstance(err, ImmichPermissionError):
        return FlowError("base", "missing_permission", {"permission": err.permission})
    if isinstance(err, ImmichAuthenticationError):
        return FlowError("base", "invalid_auth")
    if isinstance(err, ImmichConnectionError):
        return FlowError("base", "cannot_connect", {"error": str(err)})
    return FlowError("base", "server_error", {"error": str(err)})


class SlideshowSubentryFlow(ConfigSubentryFlow):
    """Add a slideshow to a server entry, or change one."""

    def __init__(self) -> None:
        self._current: SlideshowSettings | None = None
        """The settings being reconfigured; None while adding a slideshow."""
        self._source = Source.RANDOM
        self._ids: list[str] = []
        self._choices: dict[str, Choice] = {}
        self._client: ImmichClient | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask where the new slideshow takes its photos from."""
        return await self._async_step_source("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the source again, with the slideshow's current one as the default."""
        if self._current is None:
            self._current = SlideshowSettings.from_data(self._get_reconfigure_subentry().data)
        return await self._async_step_source("reconfigure", user_input)

    async def async_step_albums(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask which albums to show."""
        return await self._async_step_ids(user_input)

    async def async_step_people(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask whose photos to show."""
        return await self._async_step_ids(user_input)

    async def async_step_tags(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask which tags to show."""
        return await self._async_step_ids(user_input)

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the interval, order, orientation, archive and date range, then save."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                settings = self._settings_from_input(user_input)
                await self._async_check_albums(settings.ids)
            except FlowError as err:
                if err.field == CONF_IDS:
                    # The album was deleted after it was picked, so the user picks again.
                    return self._show_ids_form({err.field: err.error}, err.placeholders)
                errors[err.field] = err.error
                placeholders.update(err.placeholders)
            else:
                return self._async_save(settings)

        return self.async_show_form(
            step_id="settings",
            data_schema=_settings_schema(user_input or self._settings_defaults()),
            errors=errors,
            description_placeholders=placeholders or None,
        )

    async def _async_step_source(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            self._source = Source(user_input[CONF_SOURCE])
            if not self._source.needs_ids:
                self._ids = []
                return await self.async_step_settings()
            try:
                await self._async_load_choices()
            except FlowError as err:
                errors[err.field] = err.error
                placeholders.update(err.placeholders)
            else:
                return self._show_ids_form()

        default = self._current.source if self._current else Source.RANDOM
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({vol.Required(CONF_SOURCE, default=default): SOURCE_SELECTOR}),
            errors=errors,
            description_placeholders=placeholders or None,
        )

    async def _async_step_ids(self, user_input: dict[str, Any] | None) -> SubentryFlowResult:
        if user_input is None:
            return self._show_ids_form()
        selected = set(user_input.get(CONF_IDS) or [])
        ids = [item for item in self._choices if item in selected]
        if not ids:
            return self._show_ids_form({CONF_IDS: "nothing_selected"})
        try:
            await self._async_check_albums(ids)
        except FlowError as err:
            return self._show_ids_form({err.field: err.error}, err.placeholders)
        self._ids = ids
        return await self.async_step_settings()

    def _show_ids_form(
        self, errors: dict[str, str] | None = None, placeholders: dict[str, str] | None = None
    ) -> SubentryFlowResult:
        """Show the list of albums, people or tags in a step named after the source."""
        options = [
            SelectOptionDict(value=choice.id, label=choice.label)
            for choice in self._choices.values()
        ]
        selected = self._ids or (
            list(self._current.ids)
            if self._current and self._current.source is self._source
            else []
        )
        default = [item for item in selected if item in self._choices]
        return self.async_show_form(
            step_id=self._source.value,
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_IDS, default=default): SelectSelector(
                        SelectSelectorConfig(options=options, multiple=True)
                    )
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _settings_defaults(self) -> dict[str, Any]:
        current = self._current or SlideshowSettings(self._source)
        defaults = current.as_data()
        defaults.pop(CONF_SOURCE)
        defaults.pop(CONF_IDS)
        return defaults

    def _settings_from_input(self, user_input: dict[str, Any]) -> SlideshowSettings:
        """Return the settings the forms describe, or raise FlowError for an inverted date range."""
        date_from = _optional_date(user_input.get(CONF_DATE_FROM))
        date_to = _optional_date(user_input.get(CONF_DATE_TO))
        if date_from and date_to and date_from > date_to:
            raise FlowError(CONF_DATE_TO, "date_range_inverted")
        return SlideshowSettings(
            source=self._source,
            ids=tuple(self._ids),
            interval=int(user_input[CONF_INTERVAL]),
            order=Order(user_input[CONF_ORDER]),
            orientation=Orientation(user_input[CONF_ORIENTATION]),
            include_archived=bool(user_input[CONF_INCLUDE_ARCHIVED]),
            date_from=date_from,
            date_to=date_to,
        )

    def _async_save(self, settings: SlideshowSettings) -> SubentryFlowResult:
        names = [self._choices[item].name for item in settings.ids if item in self._choices]
        title = slideshow_title(settings.source, names)
        if self._current is None:
            return self.async_create_entry(title=title, data=settings.as_data())

        subentry: ConfigSubentry = self._get_reconfigure_subentry()
        # The title stays unless the slideshow now shows another source or other items.
        if (settings.source, settings.ids) == (self._current.source, self._current.ids):
            title = subentry.title
        # The entry reloads on this change, so the image entity picks the settings up.
        return self.async_update_and_abort(
            self._get_entry(), subentry, title=title, data=settings.as_data()
        )

    def _get_client(self) -> ImmichClient:
        """Return the loaded entry's client, or a new one when the entry is not loaded."""
        if self._client is None:
            entry: ImmichConfigEntry = self._get_entry()
            if entry.state is ConfigEntryState.LOADED:
                self._client = entry.runtime_data.client
            else:
                self._client = create_client_for_entry(self.hass, entry.data)
        return self._client

    async def _async_load_choices(self) -> None:
        """Read the albums, people or tags, or raise FlowError when there are none or reading fails."""
        try:
            choices = await async_load_choices(
                self._get_client(), self._source, self._get_entry().unique_id
            )
        except ImmichError as err:
            raise flow_error(err) from err
        if not choices:
            raise FlowError(CONF_SOURCE, f"no_{self._source.value}")
        self._choices = {choice.id: choice for choice in choices}

    async def _async_check_albums(self, ids: list[str] | tuple[str, ...]) -> None:
        """Raise FlowError when a picked album no longer exists or the key cannot read it."""
        if self._source is not Source.ALBUMS:
            return
        client = self._get_client()
        for album_id in ids:
            try:
                await client.async_get_album(album_id)
            except ImmichNotFoundError as err:
                name = self._choices[album_id].name if album_id in self._choices else album_id
                self._choices.pop(album_id, None)
                self._ids = [item for item in self._ids if item != album_id]
                raise FlowError(CONF_IDS, "album_not_found", {"album": name}) from err
            except ImmichError as err:
                raise flow_error(err) from err


def _settings_schema(defaults: dict[str, Any]) -> vol.Schema:
    """Return the settings form. The dates are suggested values, so a user can clear them."""
    return vol.Schema(
        {
            vol.Required(CONF_INTERVAL, default=defaults[CONF_INTERVAL]): INTERVAL_SELECTOR,
            vol.Required(CONF_ORDER, default=defaults[CONF_ORDER]): ORDER_SELECTOR,
            vol.Required(
                CONF_ORIENTATION, default=defaults[CONF_ORIENTATION]
            ): ORIENTATION_SELECTOR,
            vol.Required(
                CONF_INCLUDE_ARCHIVED, default=defaults[CONF_INCLUDE_ARCHIVED]
            ): BooleanSelector(),
            vol.Optional(
                CONF_DATE_FROM, description={"suggested_value": defaults.get(CONF_DATE_FROM)}
            ): DateSelector(),
            vol.Optional(
                CONF_DATE_TO, description={"suggested_value": defaults.get(CONF_DATE_TO)}
            ): DateSelector(),
        }
    )


def _optional_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value)
    return None
