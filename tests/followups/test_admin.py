"""The admin shows follow-ups read-only (it is not a back door): no add, change or delete."""

import pytest

from followups import scheduler, services
from followups.admin import WHERE
from followups.models import FollowUp, FollowUpConsent, FollowUpPlan, PracticeChangeAnswer
from testkit.admin_pages import assert_read_only_in_admin
from testkit.mfa import mfa_login


@pytest.fixture
def admin_client(client, make_user):
    mfa_login(client, make_user("root@example.org", is_staff=True, is_superuser=True))
    return client


def test_follow_up_records_are_read_only_in_the_admin(admin_client, claim):
    practice = FollowUp.objects.get(claim=claim, kind="practice")
    scheduler.follow_ups_send_due(now=practice.due_at)
    practice.refresh_from_db()
    services.follow_up_answer_practice(follow_up=practice, changed="yes", barriers=[], at=practice.sent_at)
    for obj in (
        FollowUpPlan.objects.get(),
        FollowUpConsent.objects.get(),
        FollowUp.objects.get(claim=claim, kind="knowledge", interval_days=7),
        PracticeChangeAnswer.objects.get(),
    ):
        assert_read_only_in_admin(admin_client, obj, str(WHERE))
