"""Pins the public surface of ``providers.pinterest``: a change here is an API change."""

from __future__ import annotations

from pinterest_agent.providers import pinterest as pinterest_package

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
    assert sorted(pinterest_package.__all__) == sorted(EXPECTED)


def test_every_exported_name_resolves_to_the_provider() -> None:
    for name in pinterest_package.__all__:
        member = getattr(pinterest_package, name)
        if name == "MediaSource":  # a typing alias: check what it unites instead
            members = [getattr(pinterest_package, n) for n in
                       ("ImageUrlSource", "ImageBase64Source", "MultipleImageUrlsSource",
                        "VideoIdSource")]
        else:
            members = [member]
        for each in members:
            where = each.__module__
            assert where.startswith("pinterest_agent.providers.pinterest."), (name, where)
