from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FediverseConfig(AppConfig):
    name = "fediverse"
    verbose_name = _("Fediverse (ActivityPub)")

    def ready(self) -> None:
        # Imported here, not at the top: models are not loaded yet when this module is imported.
        from discussion.listeners import register_comment_listener  # noqa: PLC0415
        from episodes.push import register_feed_listener  # noqa: PLC0415

        from .sync import on_comment_changed, on_feed_changed  # noqa: PLC0415

        # Followers see what is public: every public feed change and every site comment shown or
        # hidden is federated (episodes and discussion cannot import fediverse: registered here).
        register_feed_listener(on_feed_changed)
        register_comment_listener(on_comment_changed)
