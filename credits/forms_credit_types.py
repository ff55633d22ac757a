"""Forms of the accreditations page and the activity credit types page: they only collect the raw
inputs; the rules and their messages live in credits/credit_type_services.py."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import AcpeActivityType, Provider


class AccreditationsForm(forms.Form):
    joint_accreditation = forms.BooleanField(
        label=capfirst(Provider._meta.get_field("joint_accreditation").verbose_name),
        required=False,
        help_text=_("Covers ACCME, ANCC and ACPE, and is the only way to offer IPCE credit."),
    )
    ancc_accredited = forms.BooleanField(
        label=capfirst(Provider._meta.get_field("ancc_accredited").verbose_name), required=False
    )
    acpe_accredited = forms.BooleanField(
        label=capfirst(Provider._meta.get_field("acpe_accredited").verbose_name), required=False
    )
    aapa_authorized = forms.BooleanField(
        label=capfirst(Provider._meta.get_field("aapa_authorized").verbose_name), required=False
    )
    acpe_provider_number = forms.CharField(
        label=_("ACPE provider number"),
        required=False,
        max_length=20,
        help_text=Provider._meta.get_field("acpe_provider_number").help_text,
    )


class CreditTypeForm(forms.Form):
    """One further credit type (add or change). ``kind`` is free text here: the service refuses a
    type the provider's accreditations do not allow, with the reason."""

    kind = forms.CharField(label=_("Credit type"), max_length=8)
    amount = forms.CharField(
        label=_("Designated amount (hours)"),
        max_length=12,
        help_text=_("A multiple of 0.25, at least 0.25, e.g. 0.75."),
    )
    uan = forms.CharField(
        label=_("Universal Activity Number (UAN)"),
        required=False,
        max_length=40,
        help_text=_("ACPE only, e.g. 0197-0000-26-001-H01-P (H: home study; P: pharmacists)."),
    )
    acpe_activity_type = forms.ChoiceField(
        label=_("ACPE activity type"),
        required=False,
        choices=[("", "—"), *AcpeActivityType.choices],
    )
