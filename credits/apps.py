from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = _("CME credit")

    def ready(self) -> None:
        # Imported here, not at the top: models are not loaded yet when this module is imported.
        from episodes.unpublish import register_unpublish_check  # noqa: PLC0415

        from .episode_checks import cme_unpublish_warnings  # noqa: PLC0415

        # A host taking a CME episode out of listeners' reach is told what it carries (episodes
        # cannot import credits: the check is registered from here).
        register_unpublish_check(cme_unpublish_warnings)

        from accounts.email_destinations import register_destination_describer  # noqa: PLC0415

        from .signup_destination import describe_signup_destination  # noqa: PLC0415

        # A sign-up email names the CME activity the person signed up to reach.
        register_destination_describer(describe_signup_destination)

        from episodes.person_links import register_person_links  # noqa: PLC0415

        from .clinicians import verified_person_links  # noqa: PLC0415

        # A verified clinician's podcast:person in the feed links to their public page.
        register_person_links(verified_person_links)

        from episodes.cme_credits import register_credit_offers  # noqa: PLC0415

        from .feed_credits import version_credit_offers  # noqa: PLC0415

        # A CME episode's feed item carries <cme:credit> elements (docs/cme-namespace.md).
        register_credit_offers(version_credit_offers)
