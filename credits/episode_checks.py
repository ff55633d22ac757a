"""What credits tells a host before their episode leaves listeners' reach (episodes/unpublish.py):
the CME activity it carries and how many learners are in progress. Registered in CreditsConfig.ready().
"""

from django.utils.translation import gettext as _

from episodes.models import Episode

from .activity_page import learners_in_progress
from .models import Activity


def cme_unpublish_warnings(episode: Episode) -> list[str]:
    activity = Activity.objects.filter(episode=episode).exclude(status=Activity.Status.DRAFT).first()
    if activity is None:
        return []
    in_progress = learners_in_progress(activity)
    if activity.status != Activity.Status.PUBLISHED and in_progress == 0:
        return []  # a withdrawn activity nobody is finishing: nothing to lose
    if activity.status == Activity.Status.PUBLISHED:
        first = _("This episode carries the published CME activity “%(title)s” (%(provider)s).") % {
            "title": activity.title,
            "provider": activity.provider.name,
        }
    else:
        first = _("This episode carries the withdrawn CME activity “%(title)s” (%(provider)s).") % {
            "title": activity.title,
            "provider": activity.provider.name,
        }
    return [
        first,
        _(
            "%(n)d learner(s) are in progress. While the episode is not public they cannot continue (the "
            "post-test, evaluation and claim pages are not found) and new learners cannot start; their "
            "attempts and evaluations are kept, and they continue where they were once it is public again."
        )
        % {"n": in_progress},
        _("The activity's coordinators are not told: tell them, or ask them to withdraw the activity."),
    ]
