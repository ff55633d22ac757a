from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Outgoing webhooks")

    def ready(self) -> None:
        # Imported here, not at the top: models are not loaded yet when this module is imported.
        from credits.events import register_credit_listener  # noqa: PLC0415
        from episodes.events import register_episode_listener  # noqa: PLC0415

        from .episode_events import on_episode_event  # noqa: PLC0415
        from .services import on_credit_event  # noqa: PLC0415

        # credits and episodes cannot import webhooks: their events reach the endpoints from here.
        register_credit_listener(on_credit_event)
        register_episode_listener(on_episode_event)
