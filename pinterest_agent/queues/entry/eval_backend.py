"""The model an eval runs against: the configured OpenAI-compatible server, or the local sandbox.

With ``PINTEREST_AGENT_OPENAI_API_KEY`` set, ``prompts eval`` and ``prompts compare`` call the
configured server (``PINTEREST_AGENT_OPENAI_BASE_URL``, OpenAI's by default) with the configured
model (or ``--model``). Without a key they start the local sandbox in-process, on a free loopback
port, and call its OpenAI-compatible endpoint, which answers ``pin_copy``, ``design_spec``,
``channel_insight`` and the rubric judge deterministically: the whole loop runs offline. (A
sandbox started with ``pinterest-agent sandbox --env-file sandbox.env`` and sourced works too: it
sets the key and the base URL.)

The LLM cache is Redis's, as for the worker (``PINTEREST_AGENT_LLM_CACHE``; ``--no-cache`` turns
it off for one run). Answers of the in-process sandbox are cached under their own prefix, never
mixed with a real model's. When Redis does not answer the run goes on without a cache, saying so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import redis

from pinterest_agent.agents.llm import (
    LLMCache,
    OpenAIStructuredLLM,
    RedisLLMCache,
    make_openai_client,
)
from pinterest_agent.agents.prompting.errors import UnknownVersionError
from pinterest_agent.agents.prompting.versions import VersionStore, check_label
from pinterest_agent.agents.workbench.results import Prices
from pinterest_agent.errors import ConfigurationError
from pinterest_agent.extras import require_extra
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.queues.settings import Settings

__all__ = ["EvalBackend", "eval_backend", "template_library", "template_spec"]

SANDBOX_KEY = "sandbox-key"


@dataclass(frozen=True)
class EvalBackend:
    llm: OpenAIStructuredLLM
    cache: LLMCache | None
    endpoint: str
    """Where the model is, for the report (``the local sandbox``, a base URL)."""
    prices: Prices


@contextlib.contextmanager
def eval_backend(
    settings: Settings,
    *,
    library: PromptLibrary,
    model: str | None = None,
    cache: bool = True,
    redis_client: redis.Redis[bytes] | None = None,
    warn: Callable[[str], None] = lambda _: None,
    stand_in: bool = False,
) -> Iterator[EvalBackend]:
    """The model an eval or comparison runs against: the configured one (an OpenAI key, and a
    base URL for any compatible server), or, only with *stand_in* (``--sandbox``), the local
    sandbox's stand-in, whose answers say nothing about a template's quality. Without a key and
    without *stand_in*: a ``ConfigurationError`` (``no_model``) saying how to configure one."""
    prices = Prices(input_per_mtok=settings.llm_price_input_per_mtok,
                    output_per_mtok=settings.llm_price_output_per_mtok)
    with contextlib.ExitStack() as stack:
        if settings.openai_api_key is not None:
            client = make_openai_client(
                api_key=settings.openai_api_key.get_secret_value(),
                base_url=settings.openai_base_url, timeout_s=settings.openai_timeout_s,
                max_retries=settings.openai_max_retries,
            )
            endpoint = settings.openai_base_url or "OpenAI"
            cache_prefix = f"{settings.key_prefix}:llm-cache"
            if settings.openai_base_url is not None and _is_stand_in(client):
                if not stand_in:
                    raise ConfigurationError(
                        f"{settings.openai_base_url} is the sandbox's stand-in, not a model (a "
                        "sourced sandbox.env points there): its scores say nothing about a "
                        "template. Point PINTEREST_AGENT_OPENAI_BASE_URL at a real model "
                        "(`pinterest-agent model serve` starts a local one), or pass --sandbox",
                        code="no_model",
                    )
                endpoint = f"{settings.openai_base_url} (the sandbox's stand-in: not a model)"
                cache_prefix = f"{settings.key_prefix}:llm-cache:sandbox"
        else:
            if not stand_in:
                raise ConfigurationError(
                    "no model to grade: set PINTEREST_AGENT_OPENAI_API_KEY (and "
                    "PINTEREST_AGENT_OPENAI_BASE_URL for a local server), or pass --sandbox to "
                    "run against the sandbox's stand-in (its scores say nothing about a template)",
                    code="no_model",
                )
            require_extra("sandbox", "a model run without PINTEREST_AGENT_OPENAI_API_KEY "
                          "(the local sandbox answers)")
            from pinterest_agent.providers.sandbox.server import SandboxServer

            server = stack.enter_context(SandboxServer(validate_requests=False))
            client = make_openai_client(api_key=SANDBOX_KEY,
                                        base_url=f"{server.base_url}/openai/v1",
                                        timeout_s=settings.openai_timeout_s, max_retries=0)
            endpoint = "the local sandbox's stand-in (--sandbox: not a real model)"
            cache_prefix = f"{settings.key_prefix}:llm-cache:sandbox"
        llm_cache = _cache(settings, cache_prefix, redis_client, warn) if cache else None
        llm = OpenAIStructuredLLM(client, model=model or settings.openai_model, prompts=library,
                                  cache=llm_cache, mode=settings.openai_output_mode,
                                  max_output_tokens=settings.openai_max_output_tokens,
                                  temperature=settings.openai_temperature)
        yield EvalBackend(llm=llm, cache=llm_cache, endpoint=endpoint, prices=prices)


_PROBE_TIMEOUT_S = 5.0


def _is_stand_in(client: openai.OpenAI) -> bool:
    """Whether the server lists the sandbox's stand-in among its models (``GET /models``, one
    bounded request; a server that does not list models is taken at its word)."""
    from pinterest_agent.providers.sandbox.openai_models import STAND_IN_OWNER

    try:
        page = client.with_options(timeout=_PROBE_TIMEOUT_S, max_retries=0).models.list()
    except openai.OpenAIError:
        return False
    return any(getattr(model, "owned_by", None) == STAND_IN_OWNER for model in page.data)


def _cache(
    settings: Settings, prefix: str, client: redis.Redis[bytes] | None,
    warn: Callable[[str], None],
) -> LLMCache | None:
    if not settings.llm_cache:
        return None
    client = client or redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        warn(f"Redis does not answer ({type(exc).__name__}): running without the LLM cache")
        return None
    return RedisLLMCache(client, prefix)


def template_library(
    settings: Settings,
    versions: VersionStore | None,
    *,
    folder: Path | None = None,
    version: str | None = None,
) -> tuple[PromptLibrary, str]:
    """The templates a run uses, and how the report names them: a folder (``--templates``), a
    published version (``--version 3``, a label such as ``--version staging``, or ``packaged``),
    else the default templates (``PINTEREST_AGENT_PROMPTS_DIR``, or the packaged ones)."""
    if folder is not None:
        return PromptLibrary(folder), f"folder {folder}"
    if version is None or version == "packaged":
        if version is None and settings.prompts_dir is not None:
            return PromptLibrary(settings.prompts_dir), f"folder {settings.prompts_dir}"
        return PromptLibrary(), "packaged"
    if versions is None:
        raise UnknownVersionError("published versions live in Redis, which does not answer")
    if version.isdigit():
        number, named = int(version), f"v{int(version)}"
    else:
        check_label(version)
        found = versions.routing().labels.get(version)
        if found is None:
            raise UnknownVersionError(
                f"the label {version!r} points at no version; `pinterest-agent prompts versions` "
                "lists them (publish with --label to set one)", label=version,
            )
        number, named = found, f"v{found} ({version})"
    return PromptLibrary(sources=versions.sources(number)), named


def template_spec(
    settings: Settings, versions: VersionStore | None, spec: str | None
) -> tuple[PromptLibrary, str]:
    """``--a`` / ``--b`` of ``prompts compare``: a folder if one exists at ``spec``, else a
    version as for ``--version``."""
    if spec is not None and Path(spec).is_dir():
        return template_library(settings, versions, folder=Path(spec))
    return template_library(settings, versions, version=spec)
