"""The institution admin's page: who may see it, seat use, members, invitations, and completions only
for members who consented (with the CSV); constant queries as members grow; removing a member."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from credits.services import claim_credit
from institutions.invitations import invitations_send
from institutions.models import Membership
from institutions.services import membership_join
from testkit import factories
from testkit.institutions import give_seats, make_institution, make_institution_admin
from testkit.mfa import give_totp, mfa_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, inst_admin):
    mfa_login(client, inst_admin)
    return client


def _claim(learner, activity):
    factories.pass_and_evaluate(learner, activity)
    return claim_credit(learner=learner, activity=activity, minutes=40, attested=True)


def test_anonymous_is_sent_to_log_in(client, seated):
    for name in ("institutions:admin", "institutions:admin_completions_csv"):
        response = client.get(reverse(name, args=[seated.slug]))
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_learner_and_another_institutions_admin_are_refused(client, seated, learner, provider):
    other = make_institution(provider, name="Elsewhere Clinic", slug="elsewhere", domains=())
    other_admin = make_institution_admin(other, factories.make_user("boss@elsewhere.example.org"))
    for user in (learner, other_admin):
        mfa_login(client, user)
        for name in ("institutions:admin", "institutions:admin_completions_csv"):
            assert client.get(reverse(name, args=[seated.slug])).status_code == 403
        assert (
            client.post(
                reverse("institutions:admin_invite", args=[seated.slug]), {"addresses": "a@b.org"}
            ).status_code
            == 403
        )
        assert client.get(reverse("billing:seats_buy", args=[seated.slug])).status_code == 403


def test_staff_is_not_an_institution_admin(client, seated):
    staff = factories.make_user("staff@example.org", is_staff=True)
    mfa_login(client, staff)
    assert client.get(reverse("institutions:admin", args=[seated.slug])).status_code == 403


def test_an_admin_without_two_factor_is_sent_to_set_it_up(client, seated, inst_admin):
    client.force_login(inst_admin)
    response = client.get(reverse("institutions:admin", args=[seated.slug]))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_an_admin_whose_session_skipped_the_code_logs_in_again(client, seated, inst_admin):
    give_totp(inst_admin)
    client.force_login(inst_admin)  # a password-only session
    response = client.get(reverse("institutions:admin", args=[seated.slug]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_shows_seats_members_invitations_and_only_consented_completions(
    admin_client, seated, inst_admin, activity
):
    sharer = factories.make_user("sharer@mercy.example.org", profile=True)
    private = factories.make_user("private@mercy.example.org", profile=True)
    membership_join(institution=seated, user=sharer, via="domain", shares_completions=True)
    membership_join(institution=seated, user=private, via="invitation")
    _claim(sharer, activity)
    _claim(private, activity)
    invitations_send(institution=seated, emails=["pending@example.org"], actor=inst_admin)

    page = admin_client.get(reverse("institutions:admin", args=[seated.slug])).content.decode()
    assert '<dd id="seats-bought">3</dd>' in page and '<dd id="seats-used">2</dd>' in page
    assert '<dd id="seats-free">1</dd>' in page
    assert "sharer@mercy.example.org" in page and "private@mercy.example.org" in page
    assert "Verified email domain" in page and "Invitation" in page
    assert "pending@example.org" in page
    assert "not shared" in page
    completions = page.split('id="completions"')[1].split("</table>")[0]
    assert "sharer@mercy.example.org" in completions and activity.title in completions
    assert "private@mercy.example.org" not in completions

    response = admin_client.get(reverse("institutions:admin_completions_csv", args=[seated.slug]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["email"] for r in rows] == ["sharer@mercy.example.org"]
    assert rows[0]["activity"] == activity.title and rows[0]["credits"] == "0.75"


def test_completions_before_joining_are_not_shared(admin_client, seated, activity):
    sharer = factories.make_user("sharer@mercy.example.org", profile=True)
    _claim(sharer, activity)
    membership_join(institution=seated, user=sharer, via="domain", shares_completions=True)
    response = admin_client.get(reverse("institutions:admin_completions_csv", args=[seated.slug]))
    assert list(csv.DictReader(io.StringIO(response.content.decode()))) == []


def test_a_csv_cell_cannot_run_as_a_formula(admin_client, seated, activity):
    activity.title = '=HYPERLINK("http://evil.test")'
    activity.save(update_fields=["title"])
    sharer = factories.make_user("sharer@mercy.example.org", profile=True)
    membership_join(institution=seated, user=sharer, via="domain", shares_completions=True)
    _claim(sharer, activity)
    body = admin_client.get(
        reverse("institutions:admin_completions_csv", args=[seated.slug])
    ).content.decode()
    assert "'=HYPERLINK" in body


def _fill(institution, activity, prefix: str, count: int) -> None:
    learners = factories.make_learners(prefix, count)
    for n, learner in enumerate(learners):
        membership_join(institution=institution, user=learner, via="domain", shares_completions=n % 2 == 0)


def test_the_page_takes_the_same_number_of_queries_with_more_members(
    admin_client, institution, inst_admin, activity, django_assert_num_queries
):
    give_seats(institution, 100)
    _fill(institution, activity, "few", 2)
    url = reverse("institutions:admin", args=[institution.slug])
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    _fill(institution, activity, "many", 30)
    with django_assert_num_queries(len(few.captured_queries)):
        page = admin_client.get(url)
    assert page.content.decode().count("@example.org") >= 32
    with CaptureQueriesContext(connection) as csv_many:
        admin_client.get(reverse("institutions:admin_completions_csv", args=[institution.slug]))
    assert len(csv_many.captured_queries) <= len(few.captured_queries)


def test_removing_a_member_ends_the_membership_and_frees_the_seat(admin_client, seated, inst_admin):
    member = factories.make_user("gone@mercy.example.org")
    membership = membership_join(institution=seated, user=member, via="domain")
    response = admin_client.post(
        reverse("institutions:admin_member_remove", args=[seated.slug, membership.pk])
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.ended_at is not None
    event = AuditEvent.objects.get(action="membership.ended", object_id=str(membership.pk))
    assert event.actor == inst_admin and event.data["by"] == "admin"
    page = admin_client.get(reverse("institutions:admin", args=[seated.slug])).content.decode()
    assert '<dd id="seats-used">0</dd>' in page and "Former members" in page
    # Removing again (or a member of another institution) finds nothing.
    again = admin_client.post(reverse("institutions:admin_member_remove", args=[seated.slug, membership.pk]))
    assert again.status_code == 404
    assert Membership.objects.count() == 1


def test_another_institutions_member_or_invitation_cannot_be_touched(
    admin_client, seated, provider, inst_admin
):
    other = make_institution(provider, name="Elsewhere Clinic", slug="elsewhere", domains=())
    give_seats(other, 2)
    theirs = membership_join(institution=other, user=factories.make_user("x@elsewhere.org"), via="sso")
    (their_invite,) = invitations_send(institution=other, emails=["y@elsewhere.org"], actor=inst_admin)
    assert (
        admin_client.post(
            reverse("institutions:admin_member_remove", args=[seated.slug, theirs.pk])
        ).status_code
        == 404
    )
    assert (
        admin_client.post(
            reverse("institutions:admin_invitation_revoke", args=[seated.slug, their_invite.pk])
        ).status_code
        == 404
    )
    theirs.refresh_from_db()
    their_invite.refresh_from_db()
    assert theirs.ended_at is None and their_invite.revoked_at is None
