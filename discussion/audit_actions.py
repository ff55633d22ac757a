"""The audit actions of the discussion under episodes: every action string this app writes."""

from audit.actions import AuditActions


class DiscussionAction(AuditActions):
    COMMENT_POSTED = "comment.posted"  # a site comment (shown or held)
    COMMENT_RECEIVED = "comment.received"  # a reply from another server (shown or held)
    COMMENT_EDITED = "comment.edited"  # its author's server sent an Update
    COMMENT_APPROVED = "comment.approved"
    COMMENT_HIDDEN = "comment.hidden"  # data: the reason
    COMMENT_SHOWN_AGAIN = "comment.shown_again"
    COMMENT_PINNED = "comment.pinned"
    COMMENT_UNPINNED = "comment.unpinned"
    COMMENT_HELPFUL_MARKED = "comment.helpful_marked"
    COMMENT_HELPFUL_UNMARKED = "comment.helpful_unmarked"
    COMMENT_DELETED_BY_AUTHOR = "comment.deleted_by_author"  # tombstone: the row is kept
    MODERATION_CHANGED = "discussion.moderation_changed"
    CORRECTION_PUBLISHED = "correction.published"
