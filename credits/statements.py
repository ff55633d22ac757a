"""The accreditation and designation statements, worded exactly as ACCME and the AMA require.

The provider's name is written with "The" the way ACCME's templates write it ("The {Provider} is
accredited ..."): at the start of a sentence "The Society of ...", inside one "the Society of ...",
and never "The The ..." for a name that already starts with it. The credit mark is italic in HTML
and carries the trademark sign everywhere.
"""

import re
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import AccreditationType, Activity, Provider

CREDIT_MARK = "AMA PRA Category 1 Credit(s)"


def format_credits(value: Decimal) -> str:
    """0.75 -> '0.75', 0.50 -> '0.5', 1.00 -> '1.0' (credits are always written with a decimal)."""
    text = f"{Decimal(value).quantize(Decimal('0.01')):f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def the_name(name: str, *, takes_the: bool = True, start: bool = True) -> str:
    """'Society of Testing' -> 'The Society of Testing' (or 'the ...' inside a sentence); a name
    that reads without it (``takes_the`` False) stays as it is; never 'The The ...'."""
    name = name.strip()
    if name.lower().startswith("the "):
        name, takes_the = name[4:], True
    return f"{'The' if start else 'the'} {name}" if takes_the else name


def provider_name_in_statements(provider: Provider, *, start: bool = True) -> str:
    return the_name(provider.name, takes_the=provider.name_takes_the, start=start)


JOINT_ACCREDITATION = (
    "is jointly accredited by the Accreditation Council for Continuing Medical Education (ACCME), the "
    "Accreditation Council for Pharmacy Education (ACPE), and the American Nurses Credentialing Center "
    "(ANCC), to provide continuing education for the healthcare team."
)


def accreditation_statement_for(
    *,
    provider_name: str,
    providership: str,
    joint_provider_name: str,
    takes_the: bool = True,
    jointly_accredited: bool = False,
) -> str:
    subject = the_name(provider_name, takes_the=takes_the)
    inside = the_name(provider_name, takes_the=takes_the, start=False)
    if jointly_accredited:  # Joint Accreditation's own wording replaces ACCME's
        if providership == AccreditationType.JOINT:
            return (
                f"In support of improving patient care, this activity has been planned and implemented by "
                f"{inside} and {joint_provider_name.strip()}. {subject} {JOINT_ACCREDITATION}"
            )
        return f"In support of improving patient care, {inside} {JOINT_ACCREDITATION}"
    if providership == AccreditationType.JOINT:
        return (
            "This activity has been planned and implemented in accordance with the accreditation "
            "requirements and policies of the Accreditation Council for Continuing Medical Education "
            f"(ACCME) through the joint providership of {inside} and {joint_provider_name.strip()}."
            f" {subject} is accredited by the ACCME to provide "
            "continuing medical education for physicians."
        )
    return (
        f"{subject} is accredited by the Accreditation Council for Continuing Medical "
        "Education (ACCME) to provide continuing medical education for physicians."
    )


def accreditation_statement(activity: Activity) -> str:
    """The statement for this activity: direct or joint providership is chosen per activity."""
    return accreditation_statement_for(
        provider_name=activity.provider.name,
        providership=activity.providership,
        joint_provider_name=activity.joint_provider_name,
        takes_the=activity.provider.name_takes_the,
        jointly_accredited=activity.provider.joint_accreditation,
    )


def designation_text(*, provider_name: str, credits: Decimal, takes_the: bool = True) -> str:
    """Plain text (for CSV, JSON, the stored certificate): the credit mark without italics."""
    return (
        f"{the_name(provider_name, takes_the=takes_the)} designates this enduring material for a maximum of "
        f"{format_credits(credits)} {CREDIT_MARK}™. Physicians should claim only the credit "
        "commensurate with the extent of their participation in the activity."
    )


def designation_html(*, provider_name: str, credits: Decimal, takes_the: bool = True) -> SafeString:
    """HTML: the credit mark in italics, carrying the trademark sign."""
    return format_html(
        "{} designates this enduring material for a maximum of {} <em>{}</em>™. Physicians should claim "
        "only the credit commensurate with the extent of their participation in the activity.",
        the_name(provider_name, takes_the=takes_the),
        format_credits(credits),
        CREDIT_MARK,
    )


def designation_statement_text(activity: Activity) -> str:
    provider = activity.provider
    return designation_text(
        provider_name=provider.name, credits=activity.designated_credits, takes_the=provider.name_takes_the
    )


def designation_statement_html(activity: Activity) -> SafeString:
    provider = activity.provider
    return designation_html(
        provider_name=provider.name, credits=activity.designated_credits, takes_the=provider.name_takes_the
    )


# The mark as it is written in statements ("Credit(s)"), labels ("Credit") and plurals ("Credits").
_MARK_PATTERN = re.compile(r"AMA PRA Category 1 Credit(?:\(s\)|s)?")


def credit_mark_html(text: str) -> SafeString:
    """Escape ``text`` and italicise the credit mark wherever it appears in it (a stored statement, a
    credit type's label): the AMA asks for the mark in italics everywhere it is printed."""
    escaped = str(format_html("{}", text))
    return SafeString(_MARK_PATTERN.sub(lambda match: f"<em>{match.group(0)}</em>", escaped))
