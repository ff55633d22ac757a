"""The accreditation and designation statements, worded exactly as ACCME and the AMA require."""

from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

from .models import AccreditationType, Activity, Provider


def format_credits(value: Decimal) -> str:
    """0.75 -> '0.75', 0.50 -> '0.5', 1.00 -> '1.0' (credits are always written with a decimal)."""
    text = f"{Decimal(value).quantize(Decimal('0.01')):f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _the(name: str) -> str:
    return name if name.lower().startswith("the ") else f"The {name}"


def accreditation_statement(provider: Provider) -> str:
    if provider.accreditation_type == AccreditationType.JOINT:
        return (
            "This activity has been planned and implemented in accordance with the accreditation "
            "requirements and policies of the ACCME through the joint providership of "
            f"{provider.name} and {provider.joint_provider_name}. {provider.name} is accredited by the "
            "ACCME to provide continuing medical education for physicians."
        )
    return (
        f"{_the(provider.name)} is accredited by the Accreditation Council for Continuing Medical "
        "Education (ACCME) to provide continuing medical education for physicians."
    )


def designation_statement_text(activity: Activity) -> str:
    """Plain text (for CSV, JSON): the credit mark without italics."""
    return (
        f"{activity.provider.name} designates this enduring material for a maximum of "
        f"{format_credits(activity.designated_credits)} AMA PRA Category 1 Credit(s)™. Physicians should "
        "claim only the credit commensurate with the extent of their participation in the activity."
    )


def designation_statement_html(activity: Activity) -> SafeString:
    """HTML: the credit mark in italics, carrying the trademark sign."""
    return format_html(
        "{} designates this enduring material for a maximum of {} <em>AMA PRA Category 1 Credit(s)</em>™. "
        "Physicians should claim only the credit commensurate with the extent of their participation in "
        "the activity.",
        activity.provider.name,
        format_credits(activity.designated_credits),
    )
