from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-up and outcomes")

    def ready(self) -> None:
        # followups sits above credits and episodes: it hears claims and revocations, and adds its
        # sections to credits' pages and its bonus items to personal feeds, through their registries.
        from credits.events import register_credit_listener
        from episodes.personal_feed_items import register_personal_feed_items

        from . import audit_actions, sections  # noqa: F401  (audit_actions declares the actions)
        from .feed_items import follow_up_feed_items
        from .listeners import on_credit_event

        register_credit_listener(on_credit_event)
        register_personal_feed_items(follow_up_feed_items)
        sections.register()
        # The outcomes report's figures as PARS outcome evidence (credits/outcome_evidence.py).
        from credits.outcome_evidence import register_outcome_evidence

        from .outcomes import outcome_evidence

        register_outcome_evidence(outcome_evidence)
