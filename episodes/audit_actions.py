"""The audit actions of shows, episodes and personal feeds: every action string this app writes."""

from audit.actions import AuditActions


class EpisodeAction(AuditActions):
    SHOW_CREATED = "show.created"
    SHOW_UPDATED = "show.updated"
    SHOW_IMPORTED = "show.imported"  # import_feed: also how a re-run knows the show came from a feed
    SHOW_MOVED_AWAY = "show.moved_away"  # episodes/moving.py: data has what the undo restores
    SHOW_MOVE_UNDONE = "show.move_undone"
    EPISODE_CREATED = "episode.created"
    EPISODE_UPDATED = "episode.updated"
    PERSONAL_FEED_CREATED = "personal_feed.created"
    PERSONAL_FEED_REVOKED = "personal_feed.revoked"
