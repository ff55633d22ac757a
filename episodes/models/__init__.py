"""The episodes app's models: shows and episodes (``shows``), download counting (``downloads``).

Everything the rest of the project imports is listed here by name, so ``from episodes.models import X``
keeps working and a new model is added on purpose, not pulled in by a star import.
"""

from .access_log import AccessLogCursor
from .downloads import USER_AGENT_MAX, ByteCoverage, DailyEpisodeDownloads, Download, DownloadRequest
from .shows import (
    PODCAST_GUID_NAMESPACE,
    Episode,
    EpisodePerson,
    EpisodeQuerySet,
    NotesFormat,
    PersonalFeed,
    Show,
    ShowHost,
    ShowType,
    Topic,
    TranscriptText,
    _show_artwork_path,
    audio_extension_of,
    episode_artwork_path,
    episode_audio_path,
    episode_chapters_path,
    episode_transcript_path,
    podcast_guid_for,
    topic_name_validator,
)

__all__ = [
    "PODCAST_GUID_NAMESPACE",
    "USER_AGENT_MAX",
    "AccessLogCursor",
    "ByteCoverage",
    "DailyEpisodeDownloads",
    "Download",
    "DownloadRequest",
    "Episode",
    "NotesFormat",
    "EpisodePerson",
    "EpisodeQuerySet",
    "PersonalFeed",
    "Show",
    "ShowHost",
    "ShowType",
    "Topic",
    "TranscriptText",
    # upload_to callables: migrations refer to them as episodes.models.<name>
    "_show_artwork_path",
    "audio_extension_of",
    "episode_artwork_path",
    "episode_audio_path",
    "episode_chapters_path",
    "episode_transcript_path",
    "podcast_guid_for",
    "topic_name_validator",
]
