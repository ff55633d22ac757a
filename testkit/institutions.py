"""Test helpers for institutional access: an institution, seats, its admin."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from credits.models import Provider
from institutions.models import Institution, InstitutionAdmin, SeatLicence


def make_institution(
    provider: Provider,
    *,
    name: str = "Mercy General Hospital",
    slug: str = "mercy",
    domains: tuple[str, ...] = ("mercy.example.org",),
) -> Institution:
    return Institution.objects.create(name=name, slug=slug, provider=provider, email_domains=list(domains))


def give_seats(institution: Institution, seats: int, *, days: int = 365) -> SeatLicence:
    """A licence of ``seats`` seats that started yesterday and runs ``days`` more days."""
    now = timezone.now()
    return SeatLicence.objects.create(
        institution=institution,
        seats=seats,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=days),
    )


def make_institution_admin(institution: Institution, user: User) -> User:
    InstitutionAdmin.objects.create(institution=institution, user=user)
    return user
