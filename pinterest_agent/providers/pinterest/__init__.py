"""Pinterest REST API v5 provider over an injected, synchronous ``httpx.Client``.

::

    api = PinterestClient(http, access_token)       # http.base_url = the API base (.../v5)
    board = api.boards.list()[0]
    pin = api.pins.create(PinCreate(board_id=board.id, title="...",
                                    media_source=ImageUrlSource(url="https://...")))

    oauth = PinterestOAuth(http, app_id=..., app_secret=...)
    tokens = oauth.refresh(stored_refresh_token)    # persist tokens.refresh_token (rotated)

Errors form one tree rooted in :class:`PinterestError` (see :mod:`providers.pinterest.errors`).
"""

from pinterest_agent.providers.pinterest.boards import Boards
from pinterest_agent.providers.pinterest.client import PinterestClient
from pinterest_agent.providers.pinterest.errors import (
    PinterestAuthError,
    PinterestConfigurationError,
    PinterestError,
    PinterestNotFoundError,
    PinterestPermanentError,
    PinterestRateLimitedError,
    PinterestSpamError,
    PinterestTransientError,
    PinterestValidationError,
    error_from_response,
)
from pinterest_agent.providers.pinterest.media import Media
from pinterest_agent.providers.pinterest.models import (
    Account,
    Board,
    BoardOwner,
    BoardSection,
    ImageBase64Source,
    ImageUrlItem,
    ImageUrlSource,
    MediaSource,
    MediaStatus,
    MediaUpload,
    MultipleImageUrlsSource,
    Pin,
    PinCreate,
    PinUpdate,
    VideoIdSource,
)
from pinterest_agent.providers.pinterest.oauth import PinterestOAuth, TokenSet, check_scopes
from pinterest_agent.providers.pinterest.pins import Pins

__all__ = [
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
