"""Forms of the discussion pages: a comment (text and references), a host's reason for hiding one,
the show's moderation settings. The services check every rule again; the forms give the messages a
person sees next to the field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import references, sanitise
from .models import Moderation
from .services import MAX_REASON_CHARS


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=sanitise.MAX_SITE_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": _("Write a comment first."),
            "max_length": _(
                "Your comment is too long: at most %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
    )
    references = forms.CharField(
        label=_("References (optional)"),
        required=False,
        max_length=references.MAX_FIELD_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line or separated by commas: a DOI (10.1056/NEJMoa2034577), a PubMed id "
            "(PMID 12345678) or a web address. At most %(max)d."
        )
        % {"max": references.MAX_REFERENCES},
        error_messages={
            "max_length": _("The references are too long: at most %(limit_value)d characters in all.")
        },
    )
    in_reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, prefix_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if prefix_id:  # a reply form under a comment: ids unique on the page
            self.auto_id = f"id_{prefix_id}_%s"

    def clean_references(self) -> str:
        text = self.cleaned_data.get("references", "")
        try:
            references.parse_field(text)
        except references.ReferenceError as error:
            raise forms.ValidationError(error.message, code="bad_reference") from error
        return text


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why hide it?"),
        max_length=MAX_REASON_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the comment and in the audit trail; the author does not see it."),
        error_messages={"required": _("Say why you hide this comment.")},
    )


class ModerationForm(forms.Form):
    moderation = forms.ChoiceField(
        label=_("Moderation"), choices=Moderation.choices, widget=forms.RadioSelect
    )
    comments_open = forms.BooleanField(label=_("Comments are open"), required=False)
