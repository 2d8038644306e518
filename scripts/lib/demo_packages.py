"""Install the packages that the demo's Home Assistant needs and the test environment lacks.

requirements_test.txt installs Home Assistant without its frontend and without the
requirements of the integrations that Home Assistant always sets up (for example
conversation needs hassil). Without them the frontend stays on "Loading...", because the
`get_services` websocket command imports every base platform, assist_satellite included.

The packages go into `.demo/site-packages` and reach only the demo's hass process, through
PYTHONPATH, so the test environment keeps exactly what requirements_test.txt pins. pip
installs them with `--no-deps`, after a dry run against the test environment has listed what
is missing, so nothing in the folder shadows a package of the test environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

from homeassistant import bootstrap
import homeassistant.components
from homeassistant.const import BASE_PLATFORMS, __version__ as HOME_ASSISTANT_VERSION
from homeassistant.util.package import is_installed

# NOTE: Home Assistant 2026.10.4 pins pymicro-vad 1.0.1 and pyspeex-noise 1.0.2, which have no
# wheels for Python 3.14 and need a C++ compiler to build. Any newer release is accepted for
# them, because the demo never runs the voice pipeline that uses them.
RELAXED_PINS = frozenset({"pymicro-vad", "pyspeex-noise"})
VERSION_FILE = ".home-assistant-version"
"""Records the Home Assistant version whose pins the folder follows."""


class PackageError(Exception):
    """pip failed. The message contains the end of its error output."""


def _components_dir() -> Path:
    return Path(homeassistant.components.__file__).parent


def loaded_domains(configured: set[str]) -> set[str]:
    """Return the built-in integrations that hass sets up or imports, with their dependencies."""
    components = _components_dir()
    pending = set(bootstrap.DEFAULT_INTEGRATIONS) | set(BASE_PLATFORMS) | configured
    domains: set[str] = set()
    while pending:
        domain = pending.pop()
        manifest_path = components / domain / "manifest.json"
        if domain in domains or not manifest_path.exists():
            continue
        domains.add(domain)
        pending.update(json.loads(manifest_path.read_text()).get("dependencies", []))
    return domains


def missing_requirements(domains: set[str]) -> list[str]:
    """Return the requirements of these integrations that no folder on sys.path satisfies."""
    components = _components_dir()
    missing: set[str] = set()
    for domain in domains:
        manifest = json.loads((components / domain / "manifest.json").read_text())
        for requirement in manifest.get("requirements", []):
            if is_installed(requirement):
                continue
            name, _, version = requirement.partition("==")
            missing.add(f"{name}>={version}" if name.lower() in RELAXED_PINS else requirement)
    return sorted(missing)


def _pip(arguments: list[str], target: Path) -> str:
    environment = dict(os.environ, PYTHONPATH=str(target))
    completed = subprocess.run(
        [sys.executable, "-m", "pip", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise PackageError(f"pip {arguments[0]} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


def install_missing(configured: set[str], target: Path) -> list[str]:
    """Install what the default integrations and those in `configured` lack.

    Returns the installed requirements, each pinned to the version that pip chose.
    """
    # Another Home Assistant version pins other versions: start the folder again.
    version_file = target / VERSION_FILE
    if target.exists() and (
        not version_file.exists() or version_file.read_text().strip() != HOME_ASSISTANT_VERSION
    ):
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    version_file.write_text(HOME_ASSISTANT_VERSION + "\n")
    # importlib.metadata, which is_installed uses, finds distributions through sys.path.
    if str(target) not in sys.path:
        sys.path.append(str(target))

    requirements = missing_requirements(loaded_domains(configured))
    if not requirements:
        return []

    report = json.loads(
        _pip(
            ["install", "--dry-run", "--quiet", "--prefer-binary", "--report", "-", *requirements],
            target,
        )
    )
    pinned = [
        f"{item['metadata']['name']}=={item['metadata']['version']}" for item in report["install"]
    ]
    if pinned:
        _pip(
            [
                "install",
                "--quiet",
                "--no-deps",
                "--prefer-binary",
                "--upgrade",
                "--target",
                str(target),
                *pinned,
            ],
            target,
        )
    return pinned
