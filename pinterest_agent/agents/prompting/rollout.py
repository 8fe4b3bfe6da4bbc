"""Which template version writes a job: the worker's label, gradual rollouts, and the LLM bound
to the choice.

At job time :meth:`PromptRouter.choose` reads the routing (every label and rollout) in one round
trip and picks, per template: the candidate version for the subjects a rollout routes to it,
else the version the worker's label points at, else the packaged template. Versions never change
once published, so their sources are fetched once per process and the libraries built from them
are reused; only the routing is read per job, so a moved label or a new rollout takes effect on
the next job of every worker, without a restart. If that read fails (Redis briefly away), the last
routing read is used (and the transient error raised, so the job is retried, when there is
none).

A rollout routes a subject (a brief) by :func:`bucket`: a number in [0, 1) from the SHA-256 of
the template name and the subject id, so a brief always gets the same version, briefs spread
evenly, and raising the share keeps every brief already routed to the candidate there.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pinterest_agent.agents.llm import LLMResult, StructuredLLM, StructuredLLMBase, T
from pinterest_agent.agents.prompting.versions import Routing, TemplateRef
from pinterest_agent.errors import TransientError
from pinterest_agent.prompts.loader import SUFFIX, PromptLibrary

__all__ = [
    "DEFAULT_LIBRARY_CACHE",
    "PromptChoice",
    "PromptRouter",
    "RoutedLLM",
    "RoutingSource",
    "bucket",
    "fixed_choice",
]

DEFAULT_LIBRARY_CACHE = 32
"""Template libraries (one per combination of versions) kept per process."""

log = logging.getLogger(__name__)


class RoutingSource(Protocol):
    """What the router reads: :class:`~agents.prompting.versions.VersionStore` has both."""

    def routing(self) -> Routing:
        """Every label and rollout; ``TransientError`` when the store does not answer."""
        ...

    def sources(self, number: int) -> dict[str, str]: ...


def bucket(template: str, subject_id: str) -> float:
    """A stable number in [0, 1) for one subject and template."""
    digest = hashlib.sha256(f"{template}\x00{subject_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True, slots=True)
class PromptChoice:
    """The library a job renders with, and which version of each template it holds."""

    library: PromptLibrary
    templates: Mapping[str, TemplateRef]
    serial: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {name: ref.model_dump(mode="json") for name, ref in sorted(self.templates.items())}


def fixed_choice(library: PromptLibrary) -> PromptChoice:
    """Every template from ``library``: ``override`` for those its ``PROMPTS_DIR`` holds,
    ``packaged`` for the rest."""
    refs = {}
    folder = library.override_dir
    for name in library.names():
        overridden = folder is not None and (folder / f"{name}{SUFFIX}").is_file()
        refs[name] = TemplateRef(arm="override" if overridden else "packaged",
                                 hash=library.hash(name))
    return PromptChoice(library, refs)


class PromptRouter:
    """Picks each job's template versions (see the module docstring)."""

    def __init__(
        self,
        source: RoutingSource,
        *,
        fallback: PromptLibrary | None = None,
        label: str = "production",
        library_cache: int = DEFAULT_LIBRARY_CACHE,
    ) -> None:
        self._source = source
        self.fallback = fallback or PromptLibrary()
        self.label = label
        self._fallback_hashes = {name: self.fallback.hash(name) for name in self.fallback.names()}
        self._sources: dict[int, dict[str, str]] = {}
        self._libraries: OrderedDict[tuple[tuple[str, int], ...], PromptLibrary] = OrderedDict()
        self._cache_size = library_cache
        self._last: Routing | None = None
        self._lock = threading.Lock()

    def routing(self) -> Routing:
        try:
            routing = self._source.routing()
        except TransientError as exc:
            if self._last is None:
                raise
            log.warning("prompt routing read failed (%s); using the last one read (serial %d)",
                        exc.code, self._last.serial)
            return self._last
        self._last = routing
        return routing

    def choose(self, subject_id: str | None = None) -> PromptChoice:
        """The versions for one job (``subject_id``: the brief, for rollouts; ``None``: the
        label's versions only)."""
        routing = self.routing()
        base = routing.labels.get(self.label)
        base_sources = self._version_sources(base) if base is not None else {}
        picked: dict[str, int] = {}
        refs: dict[str, TemplateRef] = {}
        names = set(self._fallback_hashes) | set(base_sources)
        names |= {r.template for r in routing.rollouts.values() if r.label == self.label}
        for name in sorted(names):
            rollout = routing.rollouts.get(name)
            if (rollout is not None and rollout.label == self.label and subject_id is not None
                    and bucket(name, subject_id) < rollout.share):
                candidate = self._version_sources(rollout.candidate)
                if name in candidate:
                    picked[name] = rollout.candidate
                    refs[name] = TemplateRef(version=rollout.candidate, label=self.label,
                                             arm="candidate", hash=_hash(candidate[name]))
                    continue
            if name in base_sources:
                assert base is not None
                picked[name] = base
                refs[name] = TemplateRef(version=base, label=self.label, arm="label",
                                         hash=_hash(base_sources[name]))
            elif name in self._fallback_hashes:
                refs[name] = TemplateRef(arm="packaged", hash=self._fallback_hashes[name])
        return PromptChoice(self._library(picked), refs, routing.serial)

    def _version_sources(self, number: int) -> dict[str, str]:
        with self._lock:
            found = self._sources.get(number)
        if found is None:
            found = self._source.sources(number)  # immutable once published: fetched once
            with self._lock:
                self._sources[number] = found
        return found

    def _library(self, picked: Mapping[str, int]) -> PromptLibrary:
        if not picked:
            return self.fallback
        key = tuple(sorted(picked.items()))
        with self._lock:
            library = self._libraries.get(key)
            if library is not None:
                self._libraries.move_to_end(key)
                return library
        sources = {name: self._version_sources(number)[name] for name, number in picked.items()}
        library = PromptLibrary(self.fallback.override_dir, sources=sources)
        with self._lock:
            self._libraries[key] = library
            while len(self._libraries) > self._cache_size:
                self._libraries.popitem(last=False)
        return library


def _hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


class RoutedLLM:
    """A ``StructuredLLM`` rendering each call with the routed versions.

    Unbound, every ``generate`` follows the label (one routing read per call: the insights job
    makes one call). :meth:`bind` makes one choice for a whole job (the writer's copy and design
    calls use the same versions) and returns it for the job's provenance.
    """

    def __init__(self, base: StructuredLLMBase, router: PromptRouter) -> None:
        self.base = base
        self.router = router

    def bind(self, subject_id: str | None) -> tuple[StructuredLLM, PromptChoice]:
        choice = self.router.choose(subject_id)
        return self.base.using(prompts=choice.library), choice

    def generate(
        self,
        *,
        template: str,
        variables: Mapping[str, Any],
        output: type[T],
        check: Callable[[T], list[str]] | None = None,
        images: Sequence[str] = (),
    ) -> LLMResult[T]:
        llm, _ = self.bind(None)
        return llm.generate(template=template, variables=variables, output=output, check=check,
                            images=images)
