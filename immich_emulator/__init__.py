"""An emulated Immich server for tests, the demo and benchmarks.

It serves the API of a chosen Immich release over real HTTP on 127.0.0.1, with responses
built from captures of a real v2.7.5 server and the v3.0.3 OpenAPI spec.
"""

from .faults import Fault, FaultKind
from .library import (
    ADMIN_KEY,
    ADMIN_USER_ID,
    EMPTY_ALBUM_ID,
    HOLIDAYS_ALBUM_ID,
    SCOPED_KEY,
    SECOND_USER_ID,
    USER_KEY,
    WINTER_ALBUM_ID,
    Library,
    build_library,
)
from .profiles import PROFILES, Profile
from .server import EmulatorServer

__all__ = [
    "ADMIN_KEY",
    "ADMIN_USER_ID",
    "EMPTY_ALBUM_ID",
    "HOLIDAYS_ALBUM_ID",
    "PROFILES",
    "SCOPED_KEY",
    "SECOND_USER_ID",
    "USER_KEY",
    "WINTER_ALBUM_ID",
    "EmulatorServer",
    "Fault",
    "FaultKind",
    "Library",
    "Profile",
    "build_library",
]
