"""Pins the public surface of ``providers.pinterest``: a change here is an API change."""

from __future__ import annotations

import providers.pinterest

EXPECTED = [
    "Account",
    "Board",
    "BoardOwner",
    "BoardSection",
    "Boards",
    "ImageBase64Source",
    "ImageUrlItem",
    "ImageUrlSource",
    "Media",
    "MediaSource",
    "MediaStatus",
    "MediaUpload",
    "MultipleImageUrlsSource",
    "Pin",
    "PinCreate",
    "PinUpdate",
    "Pins",
    "PinterestAuthError",
    "PinterestClient",
    "PinterestConfigurationError",
    "PinterestError",
    "PinterestNotFoundError",
    "PinterestOAuth",
    "PinterestPermanentError",
    "PinterestRateLimitedError",
    "PinterestSpamError",
    "PinterestTransientError",
    "PinterestValidationError",
    "TokenSet",
    "VideoIdSource",
    "check_scopes",
    "error_from_response",
]


def test_pinterest_provider_exports_exactly_its_public_names() -> None:
    assert sorted(providers.pinterest.__all__) == sorted(EXPECTED)


def test_every_exported_name_resolves_to_the_provider() -> None:
    for name in providers.pinterest.__all__:
        member = getattr(providers.pinterest, name)
        if name == "MediaSource":  # a typing alias: check what it unites instead
            members = [getattr(providers.pinterest, n) for n in
                       ("ImageUrlSource", "ImageBase64Source", "MultipleImageUrlsSource",
                        "VideoIdSource")]
        else:
            members = [member]
        for each in members:
            assert each.__module__.startswith("providers.pinterest."), (name, each.__module__)
