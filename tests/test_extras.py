"""A worker installs only what it runs: a command whose extra is missing says which extra to
install, in one line, with the configuration exit code (2)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pinterest_agent.extras import DISTRIBUTION, EXTRAS, extra_providing
from pinterest_agent.queues.entry.cli_support import ReportingGroup

ROOT = Path(__file__).resolve().parents[1]

# Runs the CLI with some modules made unimportable (as if their extra were not installed).
CLI_WITHOUT = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # `import name` now raises ModuleNotFoundError
from pinterest_agent.queues.entry.cli import main
main(sys.argv[2:], prog_name="pinterest-agent")
"""


def _cli_without(modules: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI_WITHOUT, ",".join(modules), *args],
                          capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)


@pytest.mark.parametrize(("missing", "args", "line"), [
    (("starlette",), ["console"],
     "error: [missing_extra] the web console needs the console extra: "
     "pip install 'pinterest-agent-worker[console]' (starlette is not installed)"),
    (("pygal",), ["report", "shop", "--out", "/tmp/never-written.html"],
     "error: [missing_extra] the report file (the console's pages and charts) needs the console "
     "extra: pip install 'pinterest-agent-worker[console]' (pygal is not installed)"),
    (("openapi_core",), ["sandbox"],
     "error: [missing_extra] the local sandbox needs the sandbox extra: "
     "pip install 'pinterest-agent-worker[sandbox]' (openapi_core is not installed)"),
    (("rapidfuzz",), ["prompts", "eval", "pin_copy"],
     "error: [missing_extra] prompts eval needs the evals extra: "
     "pip install 'pinterest-agent-worker[evals]' (rapidfuzz is not installed)"),
])
def test_a_command_without_its_extra_names_the_extra_in_one_line(
    missing: tuple[str, ...], args: list[str], line: str,
) -> None:
    # When a command runs without a module of its extra
    done = _cli_without(missing, *args)
    # Then it says which extra to install, in one line, and exits 2 (configuration)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == line
    assert done.stdout == ""


def test_the_worker_command_needs_no_extra() -> None:
    # Given none of the extras' modules can be imported
    every = tuple(sorted({module for modules in EXTRAS.values() for module in modules}))
    # When the CLI loads and the worker's help is asked for
    done = _cli_without(every, "worker", "--help")
    # Then it answers
    assert done.returncode == 0, done.stderr
    assert "Run the actors" in done.stdout


def test_a_missing_extra_module_the_command_did_not_check_still_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a command that imports a console module without checking first
    @click.group(cls=ReportingGroup)
    def root() -> None:
        pass

    @root.command()
    def draw() -> None:
        import pygal  # noqa: F401

    monkeypatch.setitem(sys.modules, "pygal", None)
    # When it runs without pygal
    result = CliRunner().invoke(root, ["draw"])
    # Then the error names the extra, not a traceback
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: [missing_extra] this command needs the console extra: "
        "pip install 'pinterest-agent-worker[console]' (pygal is not installed)")


def test_every_extra_the_cli_names_is_declared_in_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["optional-dependencies"]
    assert project["name"] == DISTRIBUTION
    assert set(EXTRAS) <= set(declared)
    # [all] is every feature but the local model, which builds llama.cpp from source (minutes):
    # it is its own extra, and the test install has it (the real-model tier)
    assert set(declared["all"][0].partition("[")[2].rstrip("]").split(",")) == (
        set(EXTRAS) - {"local-model"})
    assert declared["test"][0] == f"{DISTRIBUTION}[all]"
    assert f"{DISTRIBUTION}[local-model]" in declared["test"]
    assert extra_providing("starlette.routing") == "console"
    assert extra_providing("dramatiq") is None


def test_the_worker_needs_none_of_the_extras_distributions() -> None:
    # The core dependencies hold none of the optional distributions (the wheel test installs
    # them for real; this is the quick check)
    core = " ".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                    ["dependencies"]).lower()
    for name in ("starlette", "uvicorn", "itsdangerous", "multipart", "pygal", "openapi",
                 "jsonschema", "rfc3339", "rapidfuzz", "jsonpath", "fakeredis"):
        assert name not in core, name
    assert "pika" in core  # imported directly, not only through dramatiq[rabbitmq]
