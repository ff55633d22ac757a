"""Admin: institutions' single sign-on. allauth's SocialApp admin is replaced: the secret is never
shown (not even to staff), and an IdP is added or changed only through institutions/sso.py (the
issuer checked, the change audited). Imported by institutions/admin.py."""

from allauth.socialaccount.models import SocialApp
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import sso
from .errors import InstitutionError
from .models import Institution


class SSOAppForm(forms.ModelForm):
    institution = forms.ModelChoiceField(
        queryset=Institution.objects.filter(sso_app__isnull=True), label=_("institution"), required=False
    )
    issuer = forms.URLField(label=_("issuer URL"), max_length=500, assume_scheme="https")
    client_secret = forms.CharField(
        label=_("client secret"),
        max_length=191,
        required=False,
        help_text=_("Never shown. Leave empty to keep the stored secret."),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = SocialApp
        fields = ["client_id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["issuer"] = self.instance.settings.get("server_url", "")
        else:
            self.fields["institution"].required = True
            self.fields["client_secret"].required = True

    def clean(self):
        cleaned = super().clean() or {}
        issuer = cleaned.get("issuer")
        if issuer:
            try:
                sso.discovery_document(issuer=issuer)
            except InstitutionError as error:
                raise ValidationError(error.message) from None
        return cleaned


class SSOAppAdmin(admin.ModelAdmin):
    form = SSOAppForm
    list_display = ["name", "provider_id", "client_id", "issuer"]
    search_fields = ["name", "provider_id"]
    actions = None

    def get_fields(self, request, obj=None):
        # An IdP belongs to one institution for good (its accounts are namespaced by its issuer).
        return (
            ["client_id", "issuer", "client_secret"]
            if obj
            else ["institution", "client_id", "issuer", "client_secret"]
        )

    @admin.display(description=_("issuer"))
    def issuer(self, obj: SocialApp) -> str:
        return obj.settings.get("server_url", "")

    def has_delete_permission(self, request, obj=None):
        return False  # switched off from the institution's page (audited)

    def save_model(self, request, obj, form, change):
        institution = Institution.objects.get(sso_app=obj) if change else form.cleaned_data["institution"]
        app = sso.sso_configure(
            institution=institution,
            issuer=form.cleaned_data["issuer"],
            client_id=form.cleaned_data["client_id"],
            client_secret=form.cleaned_data["client_secret"],
            actor=request.user,
        )
        obj.pk = app.pk


if admin.site.is_registered(SocialApp):
    admin.site.unregister(SocialApp)
admin.site.register(SocialApp, SSOAppAdmin)
