"""Forms for the host pages: a show, an episode upload and an episode edit (with its people)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import json_input
from .artwork import EXTENSION_BY_FORMAT, artwork_format
from .categories import subcategory_belongs
from .episode_transcripts import MAX_TRANSCRIPT_BYTES  # the cue limit is checked where it is parsed, once
from .models import Episode, EpisodePerson, Show, topic_name_validator
from .moving import new_feed_url_edit_refused
from .text import clean_line, strip_control_chars

MAX_CHAPTERS_BYTES = 2 * 1024 * 1024
_SRT_CUE = re.compile(
    r"\A\d+[ \t]*\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}[ \t]+-->[ \t]+\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}"
)
_VTT_HEADER = re.compile(r"\AWEBVTT(?:[ \t\r\n]|\Z)")


def _artwork_field(help_text) -> forms.FileField:
    # A FileField, not an ImageField: artwork.validate_artwork gives the precise messages.
    return forms.FileField(
        label=_lazy("Artwork"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=help_text,
    )


def _clean_artwork(file):
    """Validate artwork and name it after its real format, so its URL ends in the right extension."""
    if isinstance(file, UploadedFile):
        file.name = f"artwork.{EXTENSION_BY_FORMAT[artwork_format(file)]}"
    return file


def _show_formfield(field, **kwargs):
    # "example.org" typed without a scheme becomes https://example.org (Django 6's default).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ShowForm(forms.ModelForm):
    """Every field of a show a host edits. The slug is set once: it makes the feed URL and podcast:guid."""

    artwork = _artwork_field(_lazy("JPEG or PNG, RGB, square, 1400 to 3000 pixels a side."))

    class Meta:
        model = Show
        formfield_callback = _show_formfield
        fields = [
            "title",
            "slug",
            "description",
            "author",
            "owner_name",
            "owner_email",
            "language",
            "artwork",
            "category",
            "subcategory",
            "explicit",
            "show_type",
            "website",
            "copyright",
            "funding_url",
            "funding_label",
            "locked",
            "complete",
            # Not new_feed_url: it changes only on the move page (episodes/moving.py), checked,
            # confirmed and audited; clean() refuses it if a request still posts it.
            "feed_episode_limit",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        error_messages = {
            "feed_episode_limit": {
                "min_value": _lazy("Publish at least 1 episode, or leave it empty to publish them all."),
            }
        }
        help_texts = {
            "slug": _lazy(
                "Part of the feed address (letters, digits, hyphens). It cannot be changed later: "
                "podcast apps subscribe to that address."
            ),
            "language": _lazy("A language code such as en, en-us or fr."),
            "author": _lazy("Shown as the show's author in podcast apps."),
            "owner_email": _lazy("Apple and other directories write here about the show."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["slug"]  # the feed URL and podcast:guid never change

    def clean_slug(self):
        slug = self.cleaned_data["slug"].lower()
        if Show.objects.filter(slug__iexact=slug).exists():
            raise ValidationError(_("A show with this slug already exists."), code="duplicate_slug")
        return slug

    def clean_language(self):
        language = self.cleaned_data["language"].strip().lower()
        if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", language):
            raise ValidationError(_("Use a language code such as en, en-us or fr."), code="language")
        return language

    def clean_artwork(self):
        return _clean_artwork(self.cleaned_data.get("artwork"))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        category, subcategory = cleaned.get("category"), cleaned.get("subcategory", "")
        if category and not subcategory_belongs(category, subcategory):
            self.add_error(
                "subcategory",
                _("“%(sub)s” is not a subcategory of “%(cat)s”.") % {"sub": subcategory, "cat": category},
            )
        if "new_feed_url" in self.data:
            refused = new_feed_url_edit_refused(show=self.instance, posted=self.data["new_feed_url"])
            if refused:
                self.add_error(None, ValidationError(refused, code="new_feed_url"))
        return cleaned

    def service_data(self) -> dict:
        """cleaned_data for show_create/show_update: artwork only when a new file was uploaded."""
        data = dict(self.cleaned_data)
        if not isinstance(data.get("artwork"), UploadedFile):
            data.pop("artwork", None)
        return data


def _read_text_upload(file, max_bytes: int, what: str) -> str:
    if file.size > max_bytes:
        raise ValidationError(
            _("The %(what)s file is too large (at most %(mb)d MB).")
            % {"what": what, "mb": max_bytes // (1024 * 1024)},
            code="too_large",
        )
    file.seek(0)
    raw = file.read()
    file.seek(0)
    if not raw.strip():
        raise ValidationError(_("The %(what)s file is empty.") % {"what": what}, code="empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _("The %(what)s file must be UTF-8 text.") % {"what": what}, code="not_utf8"
        ) from None


def _untrusted_json_message(error: json_input.UntrustedJSONError, what: str) -> str:
    if error.reason == "too_deep":
        return _("The %(what)s file is nested too deeply (at most %(max)d levels of [ ] and { }).") % {
            "what": what,
            "max": json_input.MAX_DEPTH,
        }
    if error.reason == "bad_characters":
        return _("The %(what)s file contains a NUL character or an invalid \\u escape.") % {"what": what}
    return _("The %(what)s file is not valid JSON (%(error)s).") % {"what": what, "error": error}


def validate_chapters(text: str) -> None:
    """JSON chapters format: {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "..."}]}."""
    try:
        data = json_input.loads(text)
    except json_input.UntrustedJSONError as error:
        raise ValidationError(_untrusted_json_message(error, _("chapters")), code="json") from None
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        raise ValidationError(
            _('The chapters file needs a "version" (like "1.2.0") and a "chapters" list.'), code="chapters"
        )
    chapters = data.get("chapters")
    if not isinstance(chapters, list) or not chapters:
        raise ValidationError(_('The chapters file needs a non-empty "chapters" list.'), code="chapters")
    for index, chapter in enumerate(chapters, start=1):
        start = chapter.get("startTime") if isinstance(chapter, dict) else None
        if isinstance(start, bool) or not isinstance(start, int | float) or start < 0:
            raise ValidationError(
                _('Chapter %(n)d needs a "startTime" in seconds (a number, 0 or more).') % {"n": index},
                code="chapter_start",
            )
        if not isinstance(chapter.get("title", ""), str):
            raise ValidationError(
                _('The "title" of chapter %(n)d must be text.') % {"n": index}, code="chapter_title"
            )


def topic_names(text: str) -> list[str]:
    return [
        raw.lstrip("#") for raw in strip_control_chars(text or "").replace(",", " ").split() if raw != "#"
    ]


class _EpisodeTextForm(forms.Form):
    """The text fields of an episode, the same on upload and on edit."""

    title = forms.CharField(label=_lazy("Title"), max_length=255)
    notes = forms.CharField(
        label=_lazy("Show notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_lazy("Markdown: **bold**, *italic*, [links](https://example.org), lists."),
    )
    season = forms.IntegerField(label=_lazy("Season"), required=False, min_value=1, max_value=100_000)
    number = forms.IntegerField(
        label=_lazy("Episode number"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        # Apple: "a non-zero integer (1, 2, 3, etc.)"; the database refuses 0 too (episode_number_positive).
        error_messages={
            "min_value": _lazy("Episode numbers start at 1: leave it empty for an unnumbered episode.")
        },
    )
    episode_type = forms.ChoiceField(
        label=_lazy("Episode type"), choices=Episode.EpisodeType.choices, initial=Episode.EpisodeType.FULL
    )
    explicit = forms.BooleanField(label=_lazy("Explicit content"), required=False)
    topics = forms.CharField(
        label=_lazy("Topics"),
        required=False,
        max_length=500,
        help_text=_lazy("Hashtag-like words, separated by spaces: #POCUS #airway"),
    )
    status = forms.ChoiceField(
        label=_lazy("Status"), choices=Episode.Status.choices, initial=Episode.Status.DRAFT
    )
    publish_at = forms.DateTimeField(
        label=_lazy("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_lazy(
            "In your time zone. With status Published: empty publishes now, a future time schedules it."
        ),
    )

    def clean_title(self):
        title = clean_line(self.cleaned_data["title"])
        if not title:
            raise ValidationError(_("An episode needs a title."), code="required")
        return title

    def clean_topics(self):
        text = self.cleaned_data["topics"]
        for name in topic_names(text):
            try:
                topic_name_validator(name)
            except ValidationError:
                raise ValidationError(
                    _("“%(topic)s” is not a topic: use one word of letters, digits, - or _ (like #POCUS).")
                    % {"topic": name},
                    code="topic",
                ) from None
        return text


class _EpisodeFilesForm(forms.Form):
    """An episode's optional artwork, transcript and chapters files, checked the same on upload and edit."""

    artwork = _artwork_field(_lazy("Optional: the show's artwork is used otherwise. JPEG or PNG, square."))
    transcript = forms.FileField(
        label=_lazy("Transcript"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".vtt,.srt,text/vtt"}),
        help_text=_lazy("Optional: WebVTT (.vtt) or SRT (.srt), UTF-8."),
    )
    chapters = forms.FileField(
        label=_lazy("Chapters"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".json,application/json"}),
        help_text=_lazy("Optional: a JSON chapters file (.json)."),
    )

    def clean_artwork(self):
        return _clean_artwork(self.cleaned_data.get("artwork"))

    def clean_transcript(self):
        file = self.cleaned_data.get("transcript")
        if not file:
            return None
        name = file.name.lower()
        if not name.endswith((".vtt", ".srt")):
            raise ValidationError(_("A transcript must be a .vtt or .srt file."), code="transcript_type")
        text = _read_text_upload(file, MAX_TRANSCRIPT_BYTES, _("transcript"))
        if name.endswith(".vtt"):
            if not _VTT_HEADER.match(text):
                raise ValidationError(_("A WebVTT file must start with “WEBVTT”."), code="transcript_vtt")
            file.name = "transcript.vtt"
        else:
            if not _SRT_CUE.match(text.lstrip()):
                raise ValidationError(
                    _("This does not look like an SRT file: it should start with “1” and a line like "
                      "“00:00:01,000 --> 00:00:04,000”."),
                    code="transcript_srt",
                )  # fmt: skip
            file.name = "transcript.srt"
        return file

    def clean_chapters(self):
        file = self.cleaned_data.get("chapters")
        if not file:
            return None
        if not file.name.lower().endswith(".json"):
            raise ValidationError(_("Chapters must be a .json file."), code="chapters_type")
        validate_chapters(_read_text_upload(file, MAX_CHAPTERS_BYTES, _("chapters")))
        file.name = "chapters.json"
        return file


class EpisodeUploadForm(_EpisodeTextForm, _EpisodeFilesForm):
    """A new episode: its audio file (MP3 or M4A) and optional artwork, transcript and chapters."""

    audio = forms.FileField(
        label=_lazy("Audio file"),
        widget=forms.FileInput(
            attrs={"accept": "audio/mpeg,audio/mp4,audio/x-m4a,audio/ogg,.mp3,.m4a,.ogg,.opus"}
        ),
        help_text=_lazy(
            "MP3 or M4A (AAC). Ogg Vorbis and Opus play in most apps, but Apple Podcasts leaves "
            "such episodes out."
        ),
        error_messages={
            "empty": _lazy("The file is empty."),
            "required": _lazy("Choose an audio file (MP3 or M4A) to upload."),
        },
    )
    slug = forms.SlugField(
        label=_lazy("Slug"),
        required=False,
        max_length=90,
        help_text=_lazy("Optional: part of the episode's address. Made from the title when empty."),
    )

    def clean_slug(self):
        return self.cleaned_data["slug"].lower()


class EpisodeEditForm(_EpisodeTextForm, _EpisodeFilesForm):
    """What a host can change after upload (guid, slug and audio never change): text, files, people.

    A new artwork, transcript or chapters file replaces the current one; a "remove" box drops it.
    """

    remove_artwork = forms.BooleanField(label=_lazy("Remove the episode artwork"), required=False)
    remove_transcript = forms.BooleanField(label=_lazy("Remove the transcript"), required=False)
    remove_chapters = forms.BooleanField(label=_lazy("Remove the chapters"), required=False)

    FILE_FIELDS = ("artwork", "transcript", "chapters")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for field in self.FILE_FIELDS:
            if cleaned.get(field) and cleaned.get(f"remove_{field}"):
                # As Django's own "clear" checkbox does: the two choices contradict each other.
                self.add_error(f"remove_{field}", _("Choose a new file or remove the current one, not both."))
        return cleaned

    def service_kwargs(self) -> dict:
        """cleaned_data split as episode_update takes it: data, topics and the file arguments."""
        data = dict(self.cleaned_data)
        kwargs = {"topics": data.pop("topics")}
        for field in self.FILE_FIELDS:
            kwargs[field] = data.pop(field) or None
            kwargs[f"remove_{field}"] = data.pop(f"remove_{field}")
        return {"data": data, **kwargs}


class PersonForm(forms.Form):
    """One podcast:person: who is heard in the episode and in what role."""

    # Not "required": the empty extra rows of the formset must not all show a required star.
    name = forms.CharField(label=_lazy("Name"), max_length=128, required=False)
    role = forms.ChoiceField(
        label=_lazy("Role"), choices=EpisodePerson.Role.choices, initial=EpisodePerson.Role.GUEST
    )
    credentials = forms.CharField(
        label=_lazy("Credentials"), max_length=64, required=False, help_text=_lazy("For example MD, FRCA.")
    )

    def clean_name(self):
        return clean_line(self.cleaned_data["name"])

    def clean_credentials(self):
        return clean_line(self.cleaned_data["credentials"])

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("name") and cleaned.get("credentials"):
            self.add_error("name", _("Give the person's name."))
        return cleaned


PersonFormSet = forms.formset_factory(PersonForm, extra=3, max_num=20, validate_max=True)


class _EditPersonFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if forms.formsets.DELETION_FIELD_NAME in form.fields:
            form.fields[forms.formsets.DELETION_FIELD_NAME].label = _lazy("Remove this person")


# On the edit page the rows start filled with the episode's people; a row is removed with its box.
EditPersonFormSet = forms.formset_factory(
    PersonForm, formset=_EditPersonFormSet, extra=2, max_num=20, validate_max=True, can_delete=True
)
