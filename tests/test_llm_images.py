"""Image input at the LLM seam: parts in the user message, images in the cache key."""

from __future__ import annotations

import threading

from pydantic import BaseModel

from pinterest_agent.agents.design.sources import DecodeGate
from pinterest_agent.agents.llm import MemoryLLMCache, ScriptedLLM, cache_key
from pinterest_agent.agents.llm.core import message_text, user_content
from pinterest_agent.agents.writer import PinCopy
from tests.conftest_llm import load_brief

IMAGE = "data:image/jpeg;base64,/9j/AAAA"


class Answer(BaseModel):
    value: str


def copy() -> PinCopy:
    brief = load_brief("product")
    return PinCopy(title=brief.name, description=brief.summary[:400], alt_text="A photo.",
                   link=brief.destination_url, keywords=brief.keywords[:3], hashtags=[])


def test_user_content_is_text_alone_without_images_and_parts_with_them() -> None:
    assert user_content("hello", ()) == "hello"
    parts = user_content("hello", (IMAGE,))
    assert parts == [{"type": "text", "text": "hello"},
                     {"type": "image_url", "image_url": {"url": IMAGE, "detail": "low"}}]
    assert message_text({"role": "user", "content": parts}) == "hello"


def test_images_are_sent_and_are_part_of_the_cache_key() -> None:
    # Given a scripted model with a cache
    cache = MemoryLLMCache()
    llm = ScriptedLLM(cache=cache).enqueue(PinCopy, copy(), copy())
    variables = {"brief": {"name": "x"}, "locale": "en-US",
                 "limits": {"title_max": 100, "keyword_within": 40, "description_target": 500,
                            "description_max": 800, "alt_text_max": 500, "keywords_max": 8,
                            "hashtags_max": 3}}
    # When the same call is made with an image, then again with another image
    first = llm.generate(template="pin_copy", variables=variables, output=PinCopy,
                         images=(IMAGE,))
    second = llm.generate(template="pin_copy", variables=variables, output=PinCopy,
                          images=(IMAGE + "B",))
    # Then the image went out as a part of the user message, and the other image is not a hit
    assert isinstance(llm.calls[0].messages[1]["content"], list)
    assert not first.cached and not second.cached and len(llm.calls) == 2
    # And keys without images are unchanged by the new parameter
    schema = {"type": "object"}
    assert cache_key(model="m", template_hash="h", variables={}, schema=schema) != cache_key(
        model="m", template_hash="h", variables={}, schema=schema, images=(IMAGE,))


def test_decode_gate_admits_at_most_its_slots_for_large_decodes() -> None:
    # Given a gate of 2 slots for decodes over 100 pixels, and 6 threads decoding large images
    gate = DecodeGate(large_pixels=100, slots=2)
    inside = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()
    entered = threading.Semaphore(0)

    def decode() -> None:
        nonlocal inside, most
        with gate.admit(1_000):
            with lock:
                inside += 1
                most = max(most, inside)
            entered.release()
            release.wait(5)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=decode) for _ in range(6)]
    for thread in threads:
        thread.start()
    # When two are inside, a small decode still passes at once
    assert entered.acquire(timeout=5) and entered.acquire(timeout=5)
    with gate.admit(50):
        pass
    release.set()
    for thread in threads:
        thread.join(5)
    # Then never more than 2 large decodes were inside together
    assert most == 2
