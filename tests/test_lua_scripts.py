"""Every Lua script is a ``.lua`` file that loads, expands its includes, compiles in Redis, and
ships in the wheel."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest
import redis

from pinterest_agent.queues.lua import INCLUDE, load_script, script_names

PACKAGES = ["pinterest_agent.queues.broker", "pinterest_agent.queues.stores"]
ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = [(package, name) for package in PACKAGES for name in script_names(package)]


def test_every_package_has_scripts() -> None:
    assert {package for package, _ in SCRIPTS} == set(PACKAGES)
    assert len(SCRIPTS) >= 30


@pytest.mark.parametrize(("package", "name"), SCRIPTS)
def test_script_loads_with_its_includes_expanded(package: str, name: str) -> None:
    text = load_script(package, name)

    assert "redis.call" in text
    assert INCLUDE not in text
    assert load_script(package, name) is text  # read once


@pytest.mark.redis
@pytest.mark.parametrize(("package", "name"), SCRIPTS)
def test_redis_compiles_script(redis_server: redis.Redis[bytes], package: str, name: str) -> None:
    # Given the script as the store registers it
    script = redis_server.register_script(load_script(package, name))

    # When Redis loads it (SCRIPT LOAD compiles without running)
    sha = redis_server.script_load(script.script)

    # Then it is accepted under the hash redis-py computed
    assert sha == script.sha


def test_include_expands_a_fragment_in_place() -> None:
    text = load_script("pinterest_agent.queues.stores", "slots_take")
    now_ms = load_script("pinterest_agent.queues.stores", "now_ms")

    for line in now_ms.splitlines():
        assert line in text.splitlines()


def test_package_data_ships_every_script() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    for package, name in SCRIPTS:
        relative = f"lua/{name}.lua"
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in package_data[package]), (
            f"{package}/{relative} is not in [tool.setuptools.package-data]")
