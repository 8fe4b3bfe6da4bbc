"""Where an eval's model and templates come from: the configured server or the in-process
sandbox, the cache (and running on without Redis), folders, versions and labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from redis.backoff import NoBackoff
from redis.retry import Retry

from pinterest_agent.agents.prompting.errors import UnknownVersionError
from pinterest_agent.agents.text_rules import find_urls
from pinterest_agent.agents.writer import PinCopy, copy_variables
from pinterest_agent.prompts.loader import PromptLibrary
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.entry.eval_backend import eval_backend, template_library, template_spec
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.prompts import RedisPromptVersions
from tests.conftest import REDIS_URL
from tests.conftest_llm import load_brief

pytestmark = pytest.mark.redis


def no_redis() -> redis.Redis[bytes]:
    """A client of a port nothing listens on, giving up at once (no retries)."""
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,
                       retry=Retry(NoBackoff(), 0))


def base(prefix: str, **values: object) -> Settings:
    return Settings(redis_url=REDIS_URL, key_prefix=prefix, openai_api_key=None,
                    openai_base_url=None, prompts_dir=None).model_copy(update=values)


def test_without_a_key_the_sandbox_answers_in_process_and_caches_apart(
    prefix: str, redis_server: redis.Redis[bytes]
) -> None:
    variables = copy_variables(load_brief("recipe"))
    with eval_backend(base(prefix), library=PromptLibrary(), stand_in=True) as backend:
        assert "local sandbox" in backend.endpoint
        result = backend.llm.generate(template="pin_copy", variables=variables, output=PinCopy)
        assert result.value.link == load_brief("recipe").destination_url
    # The sandbox's answers sit under their own prefix, never where a real model's would
    assert list(redis_server.scan_iter(match=f"{prefix}:llm-cache:sandbox:*"))
    assert not [k for k in redis_server.scan_iter(match=f"{prefix}:llm-cache:*")
                if b":sandbox:" not in k]


def test_with_a_key_the_configured_server_is_used(prefix: str, sandbox: SandboxServer) -> None:
    settings = base(prefix, openai_api_key=SecretStr("k"),
                    openai_base_url=f"{sandbox.base_url}/openai/v1", openai_model="my-model")
    # (the sandbox is the server here, so --sandbox says grading its stand-in is meant)
    with eval_backend(settings, library=PromptLibrary(), model="other-model",
                      cache=False, stand_in=True) as backend:
        assert backend.endpoint.startswith(f"{settings.openai_base_url} (the sandbox's stand-in")
        assert backend.cache is None
        result = backend.llm.generate(template="pin_copy",
                                      variables=copy_variables(load_brief("product")),
                                      output=PinCopy)
    assert result.model == "other-model"  # --model wins over the setting


def test_without_redis_the_run_goes_on_uncached_and_says_so(prefix: str) -> None:
    warnings: list[str] = []
    down = no_redis()
    with eval_backend(base(prefix, redis_url="redis://127.0.0.1:1/0"), library=PromptLibrary(),
                      stand_in=True,
                      redis_client=down, warn=warnings.append) as backend:
        assert backend.cache is None
    assert warnings and "without the LLM cache" in warnings[0]


def test_templates_come_from_a_folder_a_version_or_a_label(
    prefix: str, redis_server: redis.Redis[bytes], tmp_path: Path
) -> None:
    settings = base(prefix)
    store = RedisPromptVersions(redis.Redis.from_url(REDIS_URL), prefix)
    edited = PromptLibrary().source("pin_copy") + "\n{# edited #}"
    version, _ = store.publish({"pin_copy": edited}, note="", author="t",
                               now=datetime.now(UTC), label="staging")
    (tmp_path / "pin_copy.j2").write_text(edited)
    for library, named in (template_library(settings, store, version="1"),
                           template_library(settings, store, version="staging"),
                           template_spec(settings, store, str(tmp_path))):
        assert library.source("pin_copy") == edited, named
    assert template_library(settings, store, version="staging")[1] == "v1 (staging)"
    assert template_spec(settings, store, str(tmp_path))[1] == f"folder {tmp_path}"
    packaged, named = template_library(settings, None)
    assert named == "packaged" and packaged.source("pin_copy") != edited
    with pytest.raises(UnknownVersionError):
        template_library(settings, store, version="production")  # points nowhere yet
    with pytest.raises(UnknownVersionError):
        template_library(settings, store, version="2")
    assert version.version == 1


@pytest.mark.parametrize("text", [
    "Soft linen. Shop at www.deals.example.com today", "see https://a.example/x?y=1",
    "Visit shop.example.com/sale.", "No links here, only words. And a 4.5 rating.",
    "Email me: a@b.co or go to EXAMPLE.ORG", "version 2.0.1 of the app",
    "Go to WWW.SHOUTY.DE now", "HTTPS://CAPS.EXAMPLE/X", "ftp://files.example/a", "a.company b.co",
])
def test_the_url_prefilter_never_changes_what_find_urls_finds(text: str) -> None:
    from pinterest_agent.agents import text_rules

    full = [m.group(0).rstrip(".,;:!?)]'\"") for m in text_rules._URL.finditer(text)]
    assert find_urls(text) == full


@pytest.mark.parametrize("text", [
    "#Linen #Cozy", "a#b ##c #d# x_#e", "#", "##", "end #tag", "#one#two", "é#tag #ü", "\n#x\t#y",
])
def test_the_hashtag_pattern_finds_what_the_look_behind_first_one_did(text: str) -> None:
    from pinterest_agent.agents.text_rules import hashtags_in

    assert hashtags_in(text) == re.findall(r"(?<![\w#])#\w+", text)


def test_without_a_model_an_eval_refuses_to_grade_the_stand_in(prefix: str) -> None:
    # Given no OpenAI key (and so no real model): the sandbox's stand-in is graded only on
    # request (--sandbox), since its answers know nothing of a template's quality
    from pinterest_agent.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info, \
            eval_backend(base(prefix), library=PromptLibrary()):
        pass
    assert info.value.code == "no_model"
    assert "--sandbox" in str(info.value) and "PINTEREST_AGENT_OPENAI_API_KEY" in str(info.value)


def test_an_eval_refuses_the_stand_in_reached_through_a_configured_key(
    prefix: str, sandbox: SandboxServer
) -> None:
    # Given a key and a base URL that point at the sandbox (a sourced sandbox.env does this)
    from pinterest_agent.errors import ConfigurationError

    settings = base(prefix).model_copy(update={
        "openai_api_key": SecretStr("sandbox-key"),
        "openai_base_url": f"{sandbox.base_url}/openai/v1"})
    # When an eval asks for its model without --sandbox: refused, saying how to get a real one
    with pytest.raises(ConfigurationError) as info, \
            eval_backend(settings, library=PromptLibrary(), cache=False):
        pass
    assert info.value.code == "no_model" and "stand-in" in str(info.value)
    assert "model serve" in str(info.value)
    # And with --sandbox it runs, the report naming the stand-in
    with eval_backend(settings, library=PromptLibrary(), cache=False, stand_in=True) as backend:
        assert "stand-in" in backend.endpoint


def test_a_server_that_lists_no_stand_in_is_graded(prefix: str, sandbox: SandboxServer) -> None:
    # A real server's model list (or none: a 404) does not name the sandbox
    settings = base(prefix).model_copy(update={
        "openai_api_key": SecretStr("k"), "openai_base_url": f"{sandbox.base_url}/v5"})
    with eval_backend(settings, library=PromptLibrary(), cache=False) as backend:
        assert backend.endpoint == f"{sandbox.base_url}/v5"
