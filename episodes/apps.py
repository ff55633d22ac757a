from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EpisodesConfig(AppConfig):
    name = "episodes"
    verbose_name = _("Shows and episodes")

    def ready(self) -> None:
        from . import edge  # noqa: F401  (the link tree follows episodes: docs/audio-delivery.md)
