"""Deterministic analytics for the sandbox's Pins, and a generator of whole channels.

Every figure is a pure function of ``(seed, pin id, UTC date)``: the same Pin reports the same
numbers on every request and in every process, and the account's daily figures are the sums of
its Pins' (so account totals, per-Pin totals and the batch endpoint agree exactly).

A Pin earns nothing before the day it was created; then impressions start high and settle
(fresh-Pin boost), follow a weekly rhythm (weekends best), and saves, Pin clicks and outbound
clicks follow per-Pin rates. Pins made by :func:`populate_channel` also carry a multiplier by
content kind and publish hour, so a generated channel has real patterns for an insight to find
(recipes and how-tos save best, evening Pins do better).

``data_status`` depends on the sandbox clock: today and yesterday are PROCESSING, the day before
ESTIMATE, older days READY; days before the Pin existed are BEFORE_PIN_CREATED.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from pinterest_agent.providers.sandbox.state import Pin, SandboxState

__all__ = [
    "PLUGIN_KEY",
    "AnalyticsSettings",
    "DayFigures",
    "analytics_settings",
    "data_status",
    "pin_day",
    "pin_days",
    "populate_channel",
    "today",
]

PLUGIN_KEY = "analytics"
PROCESSING_DAYS = 2
"""Today and yesterday are still PROCESSING."""
ESTIMATE_DAYS = 1
"""Then one ESTIMATE day; older days are READY."""
WEEKDAY_FACTOR = (0.85, 0.9, 0.95, 1.0, 1.05, 1.25, 1.15)
"""Monday..Sunday impressions multiplier."""

_MASK64 = (1 << 64) - 1


@dataclass
class AnalyticsSettings:
    """Per-sandbox switches, kept in ``state.plugin_data`` (reset with the state)."""

    enabled: bool = True
    """False: every analytics route answers 403, as for a Trial app or Pinterest's sandbox."""
    batch_enabled: bool = True
    """False: ``GET /pins/analytics`` answers 403, as for an app without the beta."""
    seed: int = 0
    boost: dict[str, float] = field(default_factory=dict)
    """Pin id -> multiplier of saves and clicks (set by :func:`populate_channel`)."""


def analytics_settings(state: SandboxState) -> AnalyticsSettings:
    """The sandbox's analytics settings (created with defaults on first use)."""
    with state.lock:
        found = state.plugin_data.get(PLUGIN_KEY)
        if not isinstance(found, AnalyticsSettings):
            found = AnalyticsSettings(seed=state.seed)
            state.plugin_data[PLUGIN_KEY] = found
        return found


def today(state: SandboxState) -> date:
    """The sandbox clock's date in UTC."""
    return datetime.fromtimestamp(state.clock(), UTC).date()


def data_status(day: date, current: date) -> str:
    """How final a day's figures are, seen from ``current``."""
    age = (current - day).days
    if age < PROCESSING_DAYS:
        return "PROCESSING"
    if age < PROCESSING_DAYS + ESTIMATE_DAYS:
        return "ESTIMATE"
    return "READY"


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One Pin-day: impressions, saves, Pin clicks, outbound clicks."""

    impression: int
    save: int
    pin_click: int
    outbound_click: int

    @property
    def engagement(self) -> int:
        return self.save + self.pin_click + self.outbound_click


_ZERO = DayFigures(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class _Profile:
    key: int
    base: float
    save_rate: float
    click_rate: float
    outbound_rate: float


@lru_cache(maxsize=65_536)
def _profile(seed: int, pin_id: str) -> _Profile:
    digest = hashlib.blake2b(f"{seed}:{pin_id}".encode(), digest_size=16).digest()
    key = int.from_bytes(digest[:8], "big")
    u = [b / 255 for b in digest[8:12]]
    return _Profile(
        key=key,
        base=2.0 + 60.0 * u[0] ** 2,
        save_rate=0.004 + 0.05 * u[1],
        click_rate=0.01 + 0.04 * u[2],
        outbound_rate=0.002 + 0.02 * u[3],
    )


def _noise(key: int, ordinal: int, salt: int) -> float:
    """A deterministic number in [0, 1) for one Pin-day (a cheap 64-bit mix)."""
    x = (key ^ (ordinal * 0x9E3779B97F4A7C15) ^ (salt * 0xBF58476D1CE4E5B9)) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return ((x ^ (x >> 31)) & 0xFFFFFF) / 0x1000000


def pin_day(seed: int, pin_id: str, created: date, day: date, boost: float = 1.0) -> DayFigures:
    """The figures of Pin ``pin_id`` (created on ``created``) on ``day``."""
    age = (day - created).days
    if age < 0:
        return _ZERO
    p = _profile(seed, pin_id)
    ordinal = day.toordinal()
    fresh = 1.0 + 2.5 * 0.85**age
    impressions = int(
        p.base * WEEKDAY_FACTOR[day.weekday()] * fresh * (0.6 + 0.8 * _noise(p.key, ordinal, 1))
    )
    saves = int(impressions * p.save_rate * boost + _noise(p.key, ordinal, 2))
    clicks = int(impressions * p.click_rate * boost + _noise(p.key, ordinal, 3))
    outbound = int(impressions * p.outbound_rate * boost + _noise(p.key, ordinal, 4))
    return DayFigures(impressions, saves, clicks, outbound)


def pin_days(
    state: SandboxState, pin: Pin, start: date, end: date
) -> list[tuple[date, DayFigures | None]]:
    """``(day, figures)`` for each day of ``start..end``; ``None`` before the Pin existed."""
    settings = analytics_settings(state)
    created = datetime.fromtimestamp(pin.created_at, UTC).date()
    boost = settings.boost.get(pin.id, 1.0)
    days = (end - start).days + 1
    out: list[tuple[date, DayFigures | None]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        out.append((day, None if day < created else
                    pin_day(settings.seed, pin.id, created, day, boost)))
    return out


# -- a whole channel -------------------------------------------------------------------------

_KINDS: tuple[tuple[str, float, Sequence[str], Sequence[str]], ...] = (
    ("recipe", 1.6,
     ("Easy {} Recipe", "One-Pot {} Dinner", "Vegan {} Cake", "{} Soup in 30 Minutes"),
     ("Lemon", "Chickpea", "Pumpkin", "Garlic Butter", "Chocolate", "Summer Berry")),
    ("how-to", 1.3,
     ("How to Make a {} Planter", "DIY {} Wall Art", "Step by Step {} Tutorial",
      "{} Tips for Beginners"),
     ("Macrame", "Terracotta", "Watercolour", "Houseplant", "Sourdough", "Knitting")),
    ("product", 0.7,
     ("Shop the {} Collection", "{} Sale: New Arrivals", "Best {} Deals"),
     ("Linen", "Ceramic Mug", "Rattan", "Candle", "Tote Bag", "Wool Throw")),
    ("lifestyle", 1.0,
     ("{} Living Room Decor Ideas", "{} Outfit Inspiration", "{} Travel Diary"),
     ("Scandinavian", "Coastal", "Autumn", "Minimalist", "Boho", "Parisian")),
    ("other", 0.5,
     ("Studio Update: {}", "Team News {}", "Behind the Scenes: {}"),
     ("Spring", "Week 12", "New Office", "Our Story", "Thank You", "Q3")),
)
_HOUR_FACTOR = {hour: 1.4 if 17 <= hour <= 21 else 0.8 if hour < 8 else 1.0 for hour in range(24)}


def populate_channel(
    state: SandboxState,
    user_id: str,
    *,
    pins: int,
    days: int = 90,
    boards: int = 5,
    seed: int = 0,
    link_base: str = "https://shop.example.com",
) -> list[str]:
    """Give ``user_id`` ``boards`` boards and ``pins`` Pins published over the last ``days`` days.

    Pins are created oldest first (so the sandbox's newest-first order matches their dates),
    with titles of all five content kinds, https links, follower counts on the boards, and a
    saves/clicks multiplier by kind and publish hour. Returns the new Pin ids. Deterministic for
    a given ``seed`` and sandbox clock.
    """
    rng = random.Random(seed)
    settings = analytics_settings(state)
    now = state.clock()
    board_ids = []
    for index in range(boards):
        board = state.create_board(user_id, f"Generated board {index + 1}")
        board.follower_count = rng.randint(50, 5000)
        board_ids.append(board.id)
    span_s = days * 86_400
    moments = sorted(now - rng.random() * span_s for _ in range(pins))
    created: list[str] = []
    for moment in moments:
        kind, kind_boost, templates, fillers = rng.choice(_KINDS)
        title = rng.choice(templates).format(rng.choice(fillers))
        pin = state.add_pin(
            user_id,
            rng.choice(board_ids),
            {
                "title": title,
                "description": f"{title}. Fresh ideas every week.",
                "link": f"{link_base}/{kind}/{len(created) + 1}",
                "alt_text": title,
                "dominant_color": None,
                "board_section_id": None,
            },
            {"media_type": "image"},
            "REGULAR",
        )
        with state.lock:
            pin.created_at = moment
        hour = datetime.fromtimestamp(moment, UTC).hour
        settings.boost[pin.id] = kind_boost * _HOUR_FACTOR[hour]
        created.append(pin.id)
    return created


def owned_pins(state: SandboxState, user_id: str, ids: Iterable[str]) -> list[Pin] | None:
    """The user's Pins with these ids, or None when any is missing or someone else's."""
    with state.lock:
        pins = [state.records.pins.get(pin_id) for pin_id in ids]
    if any(pin is None or pin.owner_id != user_id for pin in pins):
        return None
    return [pin for pin in pins if pin is not None]
