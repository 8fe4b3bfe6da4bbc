"""Variations: each Pin of an item a new image (additional images first), layout and title angle;
never an earlier image or title."""

from __future__ import annotations

from pinterest_agent.agents.catalog.variations import ANGLES, image_key, next_variation
from pinterest_agent.agents.design.designer import DesignSpec
from pinterest_agent.agents.llm import ScriptedLLM
from pinterest_agent.agents.messages import PinBrief
from pinterest_agent.agents.writer import PinCopy, write_copy

IMAGES = ("https://cdn.example/main.jpg", "https://cdn.example/detail.jpg",
          "https://cdn.example/room.jpg")


def all_variations(kind: str, images: tuple[str, ...], limit: int = 10) -> list[tuple[str, ...]]:
    used: list[str] = []
    plans = []
    for number in range(1, limit + 1):
        plan = next_variation(number=number, kind=kind, images=images, used=used)
        if plan is None:
            break
        used.append(plan.image)
        first = plan.images[0] if plan.images else ""
        plans.append((plan.layout, first, plan.image, plan.angle or "-"))
    return plans


def test_a_product_gets_each_image_then_a_collage_then_a_typographic_pin() -> None:
    plans = all_variations("product", IMAGES)
    assert [p[:2] for p in plans] == [
        ("band", IMAGES[0]), ("split", IMAGES[1]), ("band", IMAGES[2]),
        ("collage", IMAGES[0]), ("typographic", IMAGES[0]),
    ]
    keys = [p[2] for p in plans]
    assert len(keys) == len(set(keys))  # never an image twice
    assert [p[3] for p in plans] == ["-", *ANGLES[1:5]]  # a new title angle each time


def test_an_article_starts_typographic_and_an_item_without_images_stops_after_one() -> None:
    assert [p[0] for p in all_variations("article", IMAGES[:1])] == ["typographic", "split"]
    assert [p[0] for p in all_variations("product", ())] == ["typographic"]


def test_a_new_image_makes_a_band_pin_with_it() -> None:
    plan = next_variation(number=3, kind="product", images=("https://cdn.example/new.jpg",),
                          used=[IMAGES[0], IMAGES[1]], fresh_image="https://cdn.example/new.jpg")
    assert plan is not None and (plan.layout, plan.image) == ("band",
                                                              "https://cdn.example/new.jpg")
    assert image_key("collage", [IMAGES[2], IMAGES[0]]) == image_key("collage", IMAGES[:3:2])


def test_the_writer_refuses_to_repeat_an_earlier_pins_title() -> None:
    # Given a variation brief with the titles of the item's earlier Pins
    brief = PinBrief(schema_version=1, brief_id="shop.A.v2", channel_id="shop", name="Mug",
                     summary="A mug.", destination_url="https://shop.example/mug",
                     keywords=["stoneware mug"], title_angle="benefit",
                     avoid_titles=["Stoneware Mug: Terracotta Morning Mug"])
    repeat = PinCopy(title="Stoneware mug - terracotta morning mug!", description="A mug.",
                     alt_text="A mug.", link=brief.destination_url, keywords=["mug"],
                     hashtags=[])
    fresh = repeat.model_copy(update={"title": "Stoneware mug that keeps coffee warm longer"})
    llm = ScriptedLLM().enqueue(PinCopy, repeat, fresh).enqueue(DesignSpec)
    # When the model first repeats it (case and punctuation aside)
    result = write_copy(brief, llm)
    # Then it gets the repair round and the new title is kept
    assert result.copy.title == fresh.title and result.llm.repaired
    repair = llm.calls[-1].messages[-1]["content"]
    assert "repeats an earlier Pin's title" in repair
    # And the template asked for the angle
    assert '"benefit" angle' in llm.calls[0].messages[0]["content"]


def test_the_sandbox_model_takes_the_angle_as_data_and_never_reads_earlier_titles() -> None:
    from pinterest_agent.agents.writer import copy_problems
    from pinterest_agent.providers.sandbox.naive_answers import pin_copy_answer

    # Given the stand-in's answer for an item's first Pin (its name as the title)
    first = PinBrief(schema_version=1, brief_id="shop.B.v1", channel_id="shop",
                     name="Stoneware Mug in Terracotta", summary="A mug.",
                     destination_url="https://shop.example/mug", keywords=["stoneware mug"])
    title = pin_copy_answer(first.model_dump(mode="json"))["title"]
    assert title == first.name
    # When it answers the item's second Pin: an angle, and the first title to avoid
    second = first.model_copy(update={"brief_id": "shop.B.v2", "title_angle": "benefit",
                                      "avoid_titles": [title]})
    answer = PinCopy.model_validate(pin_copy_answer(second.model_dump(mode="json")))
    # Then the angle, given as data, shapes its title, which passes the writer's checks
    assert answer.title == "Stoneware Mug in Terracotta: why we love it"
    assert copy_problems(answer, second) == []
    # But the earlier titles are not its business: without an angle it repeats the first title,
    # and the writer's check is what sends it back
    repeat = first.model_copy(update={"brief_id": "shop.B.v3", "avoid_titles": [title]})
    again = PinCopy.model_validate(pin_copy_answer(repeat.model_dump(mode="json")))
    assert again.title == title
    assert any("repeats an earlier Pin's title" in p for p in copy_problems(again, repeat))
