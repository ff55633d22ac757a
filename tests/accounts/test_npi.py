"""Issue 12, finding 13: an NPI belongs to one account. A second account entering it gets a clear
message (400, nothing saved), also when both save at the same moment; the database refuses it too."""

import importlib
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from accounts.models import LearnerProfile
from accounts.services import profile_update

NPI = "1234567893"
TAKEN = "This NPI is already on another account."
FORM = {"given_name": "Second", "family_name": "Account", "degree": "MD", "time_zone": "UTC", "npi": NPI}


@pytest.fixture
def first(make_user):
    user = make_user("first@example.org", profile=True)
    LearnerProfile.objects.filter(user=user).update(npi=NPI)
    return user


@pytest.fixture
def second_client(client, make_user):
    user = make_user("second@example.org")
    LearnerProfile.objects.create(user=user, given_name="Before", family_name="Edit", degree="RN")
    client.force_login(user)
    client.user = user
    return client


def test_a_second_account_entering_a_taken_npi_gets_a_clear_message_and_nothing_is_saved(
    first, second_client
):
    response = second_client.post(reverse("accounts:profile"), FORM)
    assert response.status_code == 400
    body = response.content.decode()
    assert TAKEN in body and "sign in to the account that has it" in body
    assert "first@example.org" not in body  # whose account it is stays private
    assert "npi" in response.context["form"].errors
    profile = LearnerProfile.objects.get(user=second_client.user)
    assert (profile.npi, profile.given_name, profile.degree) == ("", "Before", "RN")


def test_the_owner_saves_their_own_npi_again_and_many_accounts_may_have_none(first, client, make_user):
    client.force_login(first)
    response = client.post(reverse("accounts:profile"), {**FORM, "given_name": "First"})
    assert response.status_code == 302
    for n in range(3):
        LearnerProfile.objects.create(user=make_user(f"none{n}@example.org"), npi="")
    assert LearnerProfile.objects.filter(npi="").count() == 3


def test_the_service_refuses_a_taken_npi(first, make_user):
    other = make_user("other@example.org", profile=True)
    with pytest.raises(ValidationError) as refused:
        profile_update(user=other, data={"npi": NPI})
    assert TAKEN in " ".join(refused.value.message_dict["npi"])
    assert LearnerProfile.objects.get(user=other).npi == ""


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_with_the_same_npi(first, make_user):
    other = make_user("other@example.org", profile=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        LearnerProfile.objects.filter(user=other).update(npi=NPI)  # past every form and service
    assert LearnerProfile.objects.filter(npi=NPI).count() == 1


# --- Two saves at once ---------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: two connections writing at once (run by make test)",
)


def _waiting_for_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_accounts_saving_one_npi_at_once_the_second_gets_the_message_not_a_500(make_user):
    """The first save is not yet committed when the second's form and full_clean look, so only the
    unique index catches it: the second page must still answer with the message."""
    first = make_user("first@example.org", profile=True)
    second = make_user("second@example.org", profile=True)
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_saves_and_holds():
        try:
            with transaction.atomic():
                profile_update(user=first, data={"npi": NPI})
                holding.set()
                release.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    responses = []

    def second_posts():
        try:
            client = Client()
            client.force_login(second)
            responses.append(client.post(reverse("accounts:profile"), {**FORM, "given_name": "Second"}))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    saver = threading.Thread(target=first_saves_and_holds)
    saver.start()
    assert holding.wait(timeout=30)
    poster = threading.Thread(target=second_posts)
    poster.start()
    deadline = time.monotonic() + 30
    while not _waiting_for_a_lock():  # the second save waits on the first's uncommitted NPI
        assert time.monotonic() < deadline and poster.is_alive()
        time.sleep(0.02)
    release.set()
    saver.join(timeout=30)
    poster.join(timeout=30)
    assert errors == []
    (response,) = responses
    assert response.status_code == 400
    assert TAKEN in response.content.decode()
    assert LearnerProfile.objects.get(user=first).npi == NPI
    second_profile = LearnerProfile.objects.get(user=second)
    assert (second_profile.npi, second_profile.given_name) == ("", "Ada")


# --- The migration and the NPIs that are already doubled -----------------------------------------

BEFORE = [("accounts", "0002_encrypt_mfa_secrets")]
AFTER = [("accounts", "0003_physician_degrees")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_doubled_npis_lists_them_and_changes_nothing(make_user):
    one = make_user("one@example.org", profile=True)
    two = make_user("two@example.org", profile=True)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps.get_model("accounts", "LearnerProfile")
        old.objects.filter(user_id__in=[one.pk, two.pk]).update(npi=NPI)
        executor = MigrationExecutor(connection)
        migration = importlib.import_module("accounts.migrations.0003_physician_degrees")
        with pytest.raises(migration.DuplicateNPIError) as refused:
            executor.migrate(AFTER)
        message = str(refused.value)
        assert f"NPI {NPI}" in message and "one@example.org" in message and "two@example.org" in message
        assert "Nothing was changed" in message
        assert sorted(old.objects.filter(npi=NPI).values_list("user_id", flat=True)) == [one.pk, two.pk]
        # Resolved by a person, the migration then runs.
        old.objects.filter(user=two.pk).update(npi="")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        # Up to the latest migrations: the model below has the fields added since (e.g. 0005).
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert LearnerProfile.objects.get(user=one).npi == NPI
    with pytest.raises(IntegrityError), transaction.atomic():
        LearnerProfile.objects.filter(user=two).update(npi=NPI)
