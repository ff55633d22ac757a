"""Two clinicians racing for the last seat: the institution's row lock lets one in, refuses the other."""

import threading
import time

import pytest
from django.db import connection, connections
from django.utils import timezone

from institutions.errors import InstitutionError
from institutions.models import Membership
from institutions.services import membership_join
from testkit import factories
from testkit.institutions import give_seats

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks across connections (make test-postgres runs it)",
    ),
]


def _join_in_thread(institution, user, results: list, barrier: threading.Barrier | None = None):
    def run():
        try:
            if barrier is not None:
                barrier.wait(timeout=30)
            results.append(membership_join(institution=institution, user=user, via="domain"))
        except BaseException as error:  # report every outcome
            results.append(error)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_joins_for_the_last_seat_give_one_seat(institution):
    give_seats(institution, 1)
    users = [factories.make_user(f"racer{n}@mercy.example.org") for n in range(2)]
    barrier = threading.Barrier(2)
    results: list = []
    threads = [_join_in_thread(institution, user, results, barrier) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    joined = [r for r in results if isinstance(r, Membership)]
    refused = [r for r in results if isinstance(r, InstitutionError)]
    assert len(joined) == 1 and len(refused) == 1, results
    assert refused[0].code == "no_seat"
    assert Membership.objects.filter(institution=institution, ended_at__isnull=True).count() == 1


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_join_waits_for_the_institution_row_and_then_sees_the_seat_taken(institution):
    """Another transaction holds the institution's row and fills the last seat: the join must wait
    for it (not count seats beside it) and then be refused."""
    give_seats(institution, 1)
    first, second = (factories.make_user(f"racer{n}@mercy.example.org") for n in range(2))
    other = connections.create_connection("default")
    other.set_autocommit(False)
    results: list = []
    join = _join_in_thread(institution, second, results)
    try:
        with other.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
            cursor.execute(
                "SELECT id FROM institutions_institution WHERE id = %s FOR UPDATE", [institution.pk]
            )
            join.start()
            deadline = time.monotonic() + 20
            while _waiting_on_a_lock() == 0:
                assert time.monotonic() < deadline, "the join never waited for the institution row"
                time.sleep(0.05)
            cursor.execute(
                "INSERT INTO institutions_membership"
                " (institution_id, user_id, joined_via, joined_at, shares_completions)"
                " VALUES (%s, %s, 'domain', %s, false)",
                [institution.pk, first.pk, timezone.now()],
            )
        other.commit()
    finally:
        other.close()
        join.join(timeout=60)
    assert len(results) == 1 and isinstance(results[0], InstitutionError), results
    assert results[0].code == "no_seat"
    assert list(Membership.objects.values_list("user_id", flat=True)) == [first.pk]
