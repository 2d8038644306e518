"""The client against the emulator: one error class per way a request fails, messages kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.immich.api import (
    ApiGeneration,
    ImmichAdminRequiredError,
    ImmichAuthenticationError,
    ImmichBadRequestError,
    ImmichClient,
    ImmichConnectionError,
    ImmichEndpointMissingError,
    ImmichNotFoundError,
    ImmichPermissionError,
    ImmichServerError,
    ImmichTimeoutError,
    ImmichTLSError,
)
from immich_emulator import (
    ADMIN_USER_ID,
    HOLIDAYS_ALBUM_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    USER_KEY,
    EmulatorServer,
)
from immich_emulator.captures import body as capture_body
from tests.generations import each_profile, has_queues, plural_paths, scoped_keys

BOTH_PROFILES = each_profile()

# A key that only these tests use, so finding it in an error message is unambiguous.
SECRET_KEY = "secret-key-4b9f2c71d05e4a8e9c3f6a1b2d7e8f90"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def assert_key_hidden(err: BaseException, key: str = SECRET_KEY) -> None:
    """Assert that no exception in the chain shows the key in its message or repr."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        assert key not in str(current), type(current)
        assert key not in repr(current), type(current)
        current = current.__cause__ or current.__context__


@pytest.fixture
async def secret_client(emulator: EmulatorServer) -> AsyncIterator[ImmichClient]:
    """A client with an admin key that no other test uses."""
    emulator.library.add_key(SECRET_KEY, ADMIN_USER_ID)
    async with ImmichClient(emulator.url, SECRET_KEY) as client:
        yield client


@BOTH_PROFILES
async def test_bad_key_authentication_error(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, SECRET_KEY) as client:
        with pytest.raises(ImmichAuthenticationError) as caught:
            await client.async_get_my_user()

    assert caught.value.status == 401
    assert caught.value.server_message == capture_body("error_401_bad_api_key")["message"]
    assert caught.value.server_message in str(caught.value)
    assert_key_hidden(caught.value)


@BOTH_PROFILES
async def test_missing_key_authentication_error(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, "") as client:
        with pytest.raises(ImmichAuthenticationError) as caught:
            await client.async_get_my_user()

    assert caught.value.status == 401
    assert caught.value.server_message == capture_body("error_401_no_auth")["message"]


@BOTH_PROFILES
@scoped_keys
async def test_scoped_key_permission_error(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, SCOPED_KEY) as client:
        assert (await client.async_get_my_user()).id == SECOND_USER_ID
        with pytest.raises(ImmichPermissionError) as caught:
            await client.async_get_tags()

    expected = capture_body("error_403_missing_permission_tags")["message"]
    assert caught.value.status == 403
    assert caught.value.server_message == expected
    assert caught.value.permission == "tag.read"
    assert emulator.stats.requests["GET /api/tags"] == 1


@BOTH_PROFILES
async def test_permission_name_taken_from_message(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    emulator.add_fault("missing_permission", r"GET /api/(people|person)$", permission="person.read")

    with pytest.raises(ImmichPermissionError) as caught:
        await secret_client.async_get_people()

    assert caught.value.permission == "person.read"
    assert caught.value.server_message == "Missing required permission: person.read"
    assert_key_hidden(caught.value)


@BOTH_PROFILES
async def test_user_key_admin_required_error(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, USER_KEY) as client:
        with pytest.raises(ImmichAdminRequiredError) as caught:
            await client.async_get_statistics()

    expected = capture_body("error_403_non_admin_server_statistics")["message"]
    assert caught.value.status == 403
    assert caught.value.server_message == expected
    assert not isinstance(caught.value, ImmichPermissionError)


@BOTH_PROFILES
async def test_unknown_route_endpoint_missing(secret_client: ImmichClient) -> None:
    with pytest.raises(ImmichEndpointMissingError) as caught:
        await secret_client.transport.request_json("GET", "does-not-exist")

    assert caught.value.status == 404
    assert caught.value.server_message == capture_body("error_404_unknown_route")["message"]
    assert_key_hidden(caught.value)


@BOTH_PROFILES
async def test_malformed_id_not_found(secret_client: ImmichClient) -> None:
    # The client's own methods reject a malformed id before sending it, so this request goes
    # through the transport to get Immich's validation error.
    generation = await secret_client.async_detect_generation()
    albums = "albums" if generation >= ApiGeneration.V1_106 else "album"
    with pytest.raises(ImmichNotFoundError) as caught:
        await secret_client.transport.request_json("GET", f"{albums}/not-a-uuid")

    assert caught.value.status == 400
    # Immich sends validation messages as a list; the client joins them.
    assert caught.value.server_message == "; ".join(
        capture_body("error_400_invalid_album_id")["message"]
    )
    assert_key_hidden(caught.value)


@BOTH_PROFILES
async def test_unknown_album_not_found(secret_client: ImmichClient) -> None:
    with pytest.raises(ImmichNotFoundError) as caught:
        await secret_client.async_get_album(UNKNOWN_ID)

    assert caught.value.status == 400
    assert caught.value.server_message == capture_body("error_400_unknown_album_id")["message"]


@BOTH_PROFILES
async def test_album_of_other_user_not_found(emulator: EmulatorServer) -> None:
    async with ImmichClient(emulator.url, USER_KEY) as client:
        with pytest.raises(ImmichNotFoundError) as caught:
            await client.async_get_album(HOLIDAYS_ALBUM_ID)

    expected = capture_body("error_400_album_of_other_user")["message"]
    assert caught.value.server_message == expected


@BOTH_PROFILES
async def test_unknown_asset_not_found(secret_client: ImmichClient) -> None:
    with pytest.raises(ImmichNotFoundError) as caught:
        await secret_client.async_get_asset(UNKNOWN_ID)

    assert caught.value.server_message == capture_body("error_400_unknown_asset_id")["message"]


@BOTH_PROFILES
@has_queues
async def test_validation_failure_bad_request(secret_client: ImmichClient) -> None:
    with pytest.raises(ImmichBadRequestError) as caught:
        await secret_client.transport.request(
            "PUT", "queues/backgroundTask", json_body={"isPaused": True}
        )

    assert caught.value.status == 400
    assert caught.value.server_message == capture_body("error_400_queue_cannot_pause")["message"]
    assert not isinstance(caught.value, ImmichNotFoundError)
    assert_key_hidden(caught.value)


@BOTH_PROFILES
@plural_paths
async def test_invalid_parameter_bad_request(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    asset_id = next(iter(emulator.library.assets))

    with pytest.raises(ImmichBadRequestError) as caught:
        await secret_client.async_get_thumbnail(asset_id, size="huge")

    assert caught.value.status == 400
    assert caught.value.server_message is not None
    assert caught.value.server_message.startswith("size must be one of")


@BOTH_PROFILES
async def test_json_server_error_keeps_status(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    emulator.add_fault("server_error", r"GET /api/users?/me$", status=500, message="Database down")

    with pytest.raises(ImmichServerError) as caught:
        await secret_client.async_get_my_user()

    assert caught.value.status == 500
    assert caught.value.server_message == "Database down"
    assert "Database down" in str(caught.value)
    assert_key_hidden(caught.value)


@BOTH_PROFILES
async def test_proxy_error_page_server_error(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    emulator.add_fault("html_error", r"GET /api/users?/me$", status=502)

    with pytest.raises(ImmichServerError) as caught:
        await secret_client.async_get_my_user()

    assert caught.value.status == 502
    assert caught.value.server_message is None
    assert "text/html" in str(caught.value)
    assert_key_hidden(caught.value)


@BOTH_PROFILES
async def test_html_page_with_200_server_error(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    emulator.add_fault("html_error", r"GET /api/users?/me$", status=200)

    with pytest.raises(ImmichServerError) as caught:
        await secret_client.async_get_my_user()

    assert caught.value.status == 200
    assert "instead of JSON" in str(caught.value)


@BOTH_PROFILES
async def test_malformed_json_server_error(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    emulator.add_fault("malformed_json", r"GET /api/users?/me$")

    with pytest.raises(ImmichServerError) as caught:
        await secret_client.async_get_my_user()

    assert caught.value.status == 200
    assert "malformed JSON" in str(caught.value)
    assert_key_hidden(caught.value)


@BOTH_PROFILES
async def test_wrong_json_shape_server_error(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    emulator.add_fault("server_error", r"GET /api/users?/me$", status=200, message="not a user")

    with pytest.raises(ImmichServerError) as caught:
        await secret_client.async_get_my_user()

    assert "users/me" in str(caught.value)


@BOTH_PROFILES
async def test_hanging_server_timeout(emulator: EmulatorServer) -> None:
    emulator.library.add_key(SECRET_KEY, ADMIN_USER_ID)
    emulator.add_fault("hang", r"GET /api/users?/me$", seconds=1)

    async with ImmichClient(emulator.url, SECRET_KEY, request_timeout=0.1) as client:
        with pytest.raises(ImmichTimeoutError) as caught:
            await client.async_get_my_user()

    assert caught.value.status is None
    assert "timed out" in str(caught.value)
    assert isinstance(caught.value, ImmichConnectionError)
    assert_key_hidden(caught.value)


async def test_refused_connection_error(socket_enabled: None) -> None:
    server = EmulatorServer()
    await server.start()
    url = server.url
    await server.stop()

    async with ImmichClient(url, SECRET_KEY) as client:
        with pytest.raises(ImmichConnectionError) as caught:
            await client.async_get_my_user()

    assert type(caught.value) is ImmichConnectionError
    assert caught.value.status is None
    assert_key_hidden(caught.value)


async def test_self_signed_certificate_tls_error(tls_emulator: str) -> None:
    async with ImmichClient(tls_emulator, SECRET_KEY) as client:
        with pytest.raises(ImmichTLSError) as caught:
            await client.async_get_my_user()

    assert isinstance(caught.value, ImmichConnectionError)
    assert "TLS" in str(caught.value)
    assert_key_hidden(caught.value)


async def test_unverified_session_accepts_self_signed(tls_emulator: str) -> None:
    connector = aiohttp.TCPConnector(ssl=False)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        ImmichClient(tls_emulator, SCOPED_KEY, session=session) as client,
    ):
        user = await client.async_get_my_user()

    assert user.id == SECOND_USER_ID


@BOTH_PROFILES
async def test_truncated_body_connection_error(
    emulator: EmulatorServer, secret_client: ImmichClient
) -> None:
    emulator.add_fault("truncated", r"GET /api/users?/me$")

    with pytest.raises(ImmichConnectionError) as caught:
        await secret_client.async_get_my_user()

    assert type(caught.value) is ImmichConnectionError
    assert_key_hidden(caught.value)
