"""The Calendar tab: every scheduled and planned Pin of a channel by week or month, with its
preview, moved or cancelled through CSRF-protected forms that the publisher then obeys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from pinterest_agent.agents.messages import SocialPost
from pinterest_agent.providers.sandbox.server import SandboxServer
from pinterest_agent.queues.console.calendar import calendar_view
from pinterest_agent.queues.jobs.publish import run_publish
from pinterest_agent.queues.jobs.schedule import schedule_post
from pinterest_agent.queues.runtime import Runtime
from pinterest_agent.queues.settings import Settings
from pinterest_agent.queues.stores.schedule import Preview, ScheduledPin
from tests.conftest import Channel
from tests.console_support import ORIGIN, console_app, llm_settings, log_in
from tests.helpers import post_payload

pytestmark = pytest.mark.redis


@pytest.fixture()
def settings(prefix: str, fresh_sandbox: SandboxServer) -> Settings:
    return llm_settings(prefix, fresh_sandbox)


@pytest.fixture()
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(console_app(runtime), base_url=ORIGIN) as test_client:
        yield test_client


def monday_next_week() -> datetime:
    today = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    return today + timedelta(days=7 - today.weekday())


def schedule(runtime: Runtime, sandbox: SandboxServer, post_id: str, at: datetime,
             **overrides: object) -> dict[str, object]:
    payload = post_payload(sandbox, post_id=post_id, scheduled_at=at.isoformat(), **overrides)
    schedule_post(runtime, SocialPost.model_validate(payload))
    return payload


def test_the_week_shows_each_scheduled_pin_with_its_preview_on_its_day(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, client: TestClient,
) -> None:
    # Given two Pins scheduled next week (one with a rendered image) and one the week after
    monday = monday_next_week()
    schedule(runtime, fresh_sandbox, "dress-1", monday)
    schedule(runtime, fresh_sandbox, "dress-2", monday + timedelta(days=2, hours=4),
             title="Second dress", board_id=channel.board_id,
             media={"type": "image_ref", "sha256": "a" * 64, "content_type": "image/jpeg"})
    schedule(runtime, fresh_sandbox, "later-1", monday + timedelta(days=8))
    log_in(client)
    # When the operator opens next week's calendar
    page = client.get(f"/channels/shop/calendar?view=week&start={monday.date()}")
    # Then each Pin is on its day with its time, title, board and image; the third is not there
    assert page.status_code == 200
    html = page.text
    assert 'id="tab-calendar" aria-current="page"' in html
    assert "2 Pins scheduled in this week" in html and "later-1" not in html
    monday_cell = html.split(f'data-day="{monday.date()}"')[1].split("</td>")[0]
    assert 'data-post="dress-1"' in monday_cell and ">14:00<" in monday_cell
    assert f'src="{fresh_sandbox.base_url}/_sandbox/images/dress.jpg"' in monday_cell
    wednesday = (monday + timedelta(days=2)).date()
    cell = html.split(f'data-day="{wednesday}"')[1].split("</td>")[0]
    assert "Second dress" in cell and f'src="/images/{"a" * 64}"' in cell
    assert channel.board_id in cell and ">18:00<" in cell
    # And the month view (whole weeks) lists the week's two as well
    month = client.get(f"/channels/shop/calendar?view=month&start={monday.date()}").text
    assert 'class="calendar calendar-month"' in month
    assert 'data-post="dress-1"' in month and 'data-post="dress-2"' in month


def test_moving_a_pin_later_from_the_calendar_defers_its_queued_message(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, client: TestClient,
) -> None:
    monday = monday_next_week()
    payload = schedule(runtime, fresh_sandbox, "dress-1", monday)
    token = log_in(client)
    # When the operator moves it to Thursday 09:30 (UTC)
    thursday = monday + timedelta(days=3, hours=-4, minutes=-30)
    response = client.post("/channels/shop/calendar/dress-1/move", data={
        "csrf_token": token, "at": thursday.strftime("%Y-%m-%dT%H:%M"), "view": "week",
        "start": str(monday.date())}, headers={"Origin": ORIGIN}, follow_redirects=False)
    # Then the calendar shows it on Thursday, with a notice
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Moved." in page
    cell = page.split(f'data-day="{thursday.date()}"')[1].split("</td>")[0]
    assert 'data-post="dress-1"' in cell and ">09:30<" in cell
    # And the message queued for Monday, delivered then, waits until Thursday
    delays: list[int] = []
    outcome = run_publish(runtime, payload, reschedule=delays.append, clock=monday.timestamp)
    assert outcome["status"] == "scheduled" and delays == [(3 * 24 * 3600 - 4.5 * 3600) * 1000]
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []


def test_moving_a_pin_earlier_sends_a_wake_up_for_its_new_time(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, client: TestClient,
) -> None:
    monday = monday_next_week()
    schedule(runtime, fresh_sandbox, "dress-1", monday + timedelta(days=2))
    token = log_in(client)
    settings = runtime.settings
    delayed = f"{settings.broker_namespace}:{settings.queue_publisher}.DQ.msgs"
    assert runtime.redis_client.hlen(delayed) == 0
    # When it is moved two days earlier
    client.post("/channels/shop/calendar/dress-1/move", data={
        "csrf_token": token, "at": monday.strftime("%Y-%m-%dT%H:%M")},
        headers={"Origin": ORIGIN}, follow_redirects=False)
    # Then one publish message waits for the new time (the old one will find it published)
    assert runtime.redis_client.hlen(delayed) == 1
    record = runtime.store.schedule.get("dress-1")
    assert record is not None and record.at == monday


def test_cancelling_a_pin_from_the_calendar_keeps_the_publisher_from_publishing_it(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, client: TestClient,
) -> None:
    monday = monday_next_week()
    payload = schedule(runtime, fresh_sandbox, "dress-1", monday)
    token = log_in(client)
    # A forged cancel (no CSRF token) changes nothing
    forged = client.post("/channels/shop/calendar/dress-1/cancel", data={},
                         headers={"Origin": ORIGIN}, follow_redirects=False)
    assert forged.status_code == 403
    record = runtime.store.schedule.get("dress-1")
    assert record is not None and record.state == "scheduled"
    # When the operator cancels it
    response = client.post("/channels/shop/calendar/dress-1/cancel", data={
        "csrf_token": token, "view": "week", "start": str(monday.date())},
        headers={"Origin": ORIGIN}, follow_redirects=False)
    page = client.get(response.headers["location"]).text
    # Then the calendar no longer lists it, and its message, delivered at Monday, is skipped
    assert "Cancelled." in page and 'data-post="dress-1"' not in page
    outcome = run_publish(runtime, payload, reschedule=lambda ms: None, clock=monday.timestamp)
    assert outcome["status"] == "cancelled"
    assert fresh_sandbox.state.pins_on_board(channel.board_id) == []
    assert [e["type"] for e in runtime.store.outcomes.events()] == ["post.cancelled"]
    # And cancelling again (or a Pin already claimed) is refused with a notice, not an error
    again = client.post("/channels/shop/calendar/dress-1/cancel", data={"csrf_token": token},
                        headers={"Origin": ORIGIN})
    assert again.status_code == 200 and "no longer scheduled" in again.text


def test_a_pin_the_publisher_claimed_shows_no_move_or_cancel_form(
    runtime: Runtime, channel: Channel, fresh_sandbox: SandboxServer, client: TestClient,
) -> None:
    monday = monday_next_week()
    schedule(runtime, fresh_sandbox, "dress-1", monday)
    runtime.store.schedule.claim("dress-1", now_s=monday.timestamp(), slack_s=1)
    log_in(client)
    page = client.get(f"/channels/shop/calendar?start={monday.date()}").text
    pin = page.split('data-post="dress-1"')[1].split("</article>")[0]
    assert "· publishing" in pin and "/move" not in pin and "/cancel" not in pin
    # and once it is published, the calendar says so
    runtime.store.outcomes.record("post", "dress-1", {"status": "published"})
    page = client.get(f"/channels/shop/calendar?start={monday.date()}").text
    assert "· published" in page.split('data-post="dress-1"')[1].split("</article>")[0]


def test_the_calendar_view_names_boards_and_filters_by_board() -> None:
    monday = date(2031, 3, 3)

    def pin(post_id: str, day: int, board_id: str | None, planned: str | None) -> ScheduledPin:
        return ScheduledPin(post_id=post_id, channel_id="shop",
                            at=datetime(2031, 3, 3 + day, 9, tzinfo=UTC), state="scheduled",
                            source="catalog" if planned is not None else "writer",
                            preview=Preview(title=post_id, board_id=board_id),
                            planned_board=planned)

    pins = [pin("a", 0, "111", None), pin("b", 1, "222", None), pin("c", 2, None, "Dresses")]
    view = calendar_view(pins, view="week", anchor=monday + timedelta(days=3), today=monday,
                         board_names={"111": "Summer dresses"})
    assert view.boards == [("222", "222"), ("planned:Dresses", "Dresses"),
                           ("111", "Summer dresses")]
    assert view.weeks[0][0].pins[0].preview.board == "Summer dresses"
    assert view.weeks[0][0].today and view.total == 3
    only = calendar_view(pins, view="week", anchor=monday, today=monday,
                         board_names={}, board="planned:Dresses")
    assert [p.post_id for day in only.weeks[0] for p in day.pins] == ["c"]
    month = calendar_view(pins, view="month", anchor=monday, today=monday, board_names={})
    assert month.weeks[0][0].day == date(2031, 2, 24) and not month.weeks[0][0].in_period
    assert month.title == "March 2031" and month.next == date(2031, 4, 1)
