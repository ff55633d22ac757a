"""Found in review: the unsubscribe link takes a mail provider's one-click POST (RFC 8058), which
carries no CSRF cookie or token; the signed token is the key."""

from django.test import Client

from audit.models import AuditEvent
from followups import links
from followups.audit_actions import FollowUpAction
from followups.models import FollowUp, FollowUpConsent


def test_the_unsubscribe_link_takes_a_one_click_post_without_a_csrf_cookie(claim, learner):
    url = links.unsubscribe_url(learner.pk)
    url = url[url.index("/follow-ups/") :]
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert FollowUpConsent.objects.get(learner=learner).opted_in is False
    assert set(FollowUp.objects.filter(claim=claim).values_list("status", flat=True)) == {"cancelled"}
    changes = AuditEvent.objects.filter(action=FollowUpAction.CONSENT_CHANGED).order_by("id")
    assert changes.last().data["where"] == "email"
    # A tampered token changes nothing, even with the CSRF check gone.
    assert strict.post(url[:-4] + "xyz/").status_code == 400
