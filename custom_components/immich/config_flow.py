"""Config flow for Immich: add a server, re-authenticate and reconfigure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryData,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
from yarl import URL

from .api import (
    ImmichAuthenticationError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    ImmichPermissionError,
    ImmichRateLimitedError,
    ImmichServerError,
    ImmichTLSError,
    ImmichUnsupportedVersionError,
    InvalidServerUrlError,
    ServerUrlCredentialsError,
    User,
    format_server_url,
    is_plausible_api_key,
    normalize_server_url,
)
from .compat import vol
from .config_flow_slideshow import SlideshowSubentryFlow
from .const import (
    CONF_URL,
    CONFIG_ENTRY_MINOR_VERSION,
    CONFIG_ENTRY_VERSION,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    LOGGER,
)
from .helpers import create_client, entry_data, server_url_from_entry_data
from .slideshow.settings import DEFAULT_SLIDESHOWS, SUBENTRY_TYPE_SLIDESHOW

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


@dataclass(frozen=True, slots=True)
class ValidatedServer:
    """A server and key that passed validation: the key's user, the URL and the key."""

    user: User
    server_url: URL
    api_key: str
    """The key without surrounding whitespace, as it is stored."""


class ValidationError(Exception):
    """A form error: the field it belongs to, its translation key and placeholders."""

    def __init__(self, field: str, error: str, placeholders: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.field = field
        self.error = error
        self.placeholders = placeholders or {}


async def async_validate_server(
    hass: HomeAssistant, url_text: str, api_key: str, verify_ssl: bool
) -> ValidatedServer:
    """Read the server's version and the key's user; raise ValidationError for the form."""
    try:
        server_url = normalize_server_url(url_text)
    except ServerUrlCredentialsError as err:
        raise ValidationError(CONF_URL, "url_has_credentials") from err
    except InvalidServerUrlError as err:
        raise ValidationError(CONF_URL, "invalid_url") from err
    if not is_plausible_api_key(api_key):
        raise ValidationError(CONF_API_KEY, "invalid_auth")

    client = create_client(hass, server_url, api_key, verify_ssl)
    try:
        await _async_detect_immich(client)
        user = await client.async_get_my_user()
    except ImmichTLSError as err:
        raise ValidationError("base", "tls_failed", {"error": str(err)}) from err
    except ImmichConnectionError as err:
        raise ValidationError("base", "cannot_connect", {"error": str(err)}) from err
    except ImmichAuthenticationError as err:
        raise ValidationError(CONF_API_KEY, "invalid_auth") from err
    except ImmichPermissionError as err:
        raise ValidationError("base", "missing_permission", {"permission": err.permission}) from err
    except ImmichUnsupportedVersionError as err:
        if err.version is None:
            raise ValidationError(CONF_URL, "not_immich") from err
        raise ValidationError("base", "unsupported_version", {"version": err.version}) from err
    except ImmichRateLimitedError as err:
        raise ValidationError("base", "rate_limited", {"error": str(err)}) from err
    except ImmichServerError as err:
        raise ValidationError("base", "server_error", {"error": str(err)}) from err
    except ImmichError as err:
        LOGGER.exception("Unexpected error while validating the Immich server")
        raise ValidationError("base", "unknown") from err

    return ValidatedServer(user, server_url, api_key)


async def _async_detect_immich(client: ImmichClient) -> None:
    """Detect the server's API generation, or raise ValidationError `not_immich`.

    A router's page or another web app returns HTTP 200 with HTML or other JSON on every
    path, so a 2xx version response without Immich's version JSON is not from Immich. An
    error status stays a server error, because a proxy in front of a real Immich sends HTML
    error pages too (HTTP 502 while Immich restarts).
    """
    try:
        await client.async_detect_generation()
    except ImmichServerError as err:
        # The status is None when the body was JSON of another shape.
        if err.status is not None and not 200 <= err.status < 300:
            raise
        raise ValidationError(CONF_URL, "not_immich") from err


def _user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_URL, default=defaults.get(CONF_URL, vol.UNDEFINED)): URL_SELECTOR,
            # Kept after a form error, so a typo in the URL does not mean pasting the key again.
            vol.Required(
                CONF_API_KEY, description={"suggested_value": defaults.get(CONF_API_KEY)}
            ): PASSWORD_SELECTOR,
            vol.Required(
                CONF_VERIFY_SSL, default=defaults.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL)
            ): bool,
        }
    )


def default_slideshow_subentries() -> list[ConfigSubentryData]:
    """Return the Random, Favorites and Memories slideshows a new server starts with."""
    return [
        ConfigSubentryData(
            subentry_type=SUBENTRY_TYPE_SLIDESHOW,
            title=title,
            data=settings.as_data(),
            unique_id=None,
        )
        for title, settings in DEFAULT_SLIDESHOWS
    ]


def _entry_title(validated: ValidatedServer) -> str:
    return f"{validated.user.name} ({validated.server_url.host})"


class ImmichConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an Immich server with an API key."""

    VERSION = CONFIG_ENTRY_VERSION
    MINOR_VERSION = CONFIG_ENTRY_MINOR_VERSION

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Offer adding, changing and removing slideshows on the server entry's page."""
        return {SUBENTRY_TYPE_SLIDESHOW: SlideshowSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                validated = await async_validate_server(
                    self.hass,
                    user_input[CONF_URL],
                    user_input[CONF_API_KEY].strip(),
                    user_input[CONF_VERIFY_SSL],
                )
            except ValidationError as err:
                errors[err.field] = err.error
                placeholders.update(err.placeholders)
            else:
                await self.async_set_unique_id(validated.user.id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=_entry_title(validated),
                    data=entry_data(
                        validated.server_url,
                        validated.api_key,
                        user_input[CONF_VERIFY_SSL],
                    ),
                    subentries=default_slideshow_subentries(),
                )

        return self.async_show_form(
            step_id="user",
            data_schema=_user_schema(user_input or {}),
            errors=errors,
            description_placeholders=placeholders or None,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API key of the same Immich user."""
        entry = self._get_reauth_entry()
        server_url = server_url_from_entry_data(entry.data)
        errors: dict[str, str] = {}
        placeholders = {"name": entry.title, "url": format_server_url(server_url)}
        if user_input is not None:
            try:
                validated = await async_validate_server(
                    self.hass,
                    str(server_url),
                    user_input[CONF_API_KEY].strip(),
                    entry.data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL),
                )
            except ValidationError as err:
                errors[err.field if err.field != CONF_URL else "base"] = err.error
                placeholders.update(err.placeholders)
            else:
                await self.async_set_unique_id(validated.user.id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_KEY: validated.api_key}
                )

        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_KEY): PASSWORD_SELECTOR}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the URL or TLS verification of a server, keeping its API key."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                validated = await async_validate_server(
                    self.hass,
                    user_input[CONF_URL],
                    entry.data[CONF_API_KEY],
                    user_input[CONF_VERIFY_SSL],
                )
            except ValidationError as err:
                errors[err.field if err.field != CONF_API_KEY else "base"] = err.error
                placeholders.update(err.placeholders)
            else:
                await self.async_set_unique_id(validated.user.id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates=entry_data(
                        validated.server_url,
                        entry.data[CONF_API_KEY],
                        user_input[CONF_VERIFY_SSL],
                    ),
                )

        defaults = user_input or {
            CONF_URL: str(server_url_from_entry_data(entry.data)).rstrip("/"),
            CONF_VERIFY_SSL: entry.data.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL),
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_URL, default=defaults[CONF_URL]): URL_SELECTOR,
                    vol.Required(CONF_VERIFY_SSL, default=defaults[CONF_VERIFY_SSL]): bool,
                }
            ),
            errors=errors,
            description_placeholders=placeholders or None,
        )
