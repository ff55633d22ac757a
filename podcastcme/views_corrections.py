"""The host's corrections page of an episode: the corrections published so far and the form to
publish one (``podcastcme.corrections.publish_correction``: discussion publishes it, credits tells
the CME activity's coordinators; it spans both apps, so the page lives here)."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest, host_required, is_host_of
from discussion.corrections import MAX_CORRECTION_CHARS, CorrectionError, episode_corrections
from discussion.models import Comment
from episodes.models import Episode, Show

from .corrections import publish_correction


class CorrectionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Correction"),
        max_length=MAX_CORRECTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Plain text, at most 2,000 characters: what was wrong and what is right, with a source if "
            "there is one. It is dated and cannot be edited or withdrawn; a later correction can amend it."
        ),
    )
    prompted_by = forms.IntegerField(
        label=gettext_lazy("Prompted by comment # (optional)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("The number of the comment on this episode that pointed out the error."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand: the correction appears at once on the episode page and in the feed, "
            "and is sent to the show's followers on the Fediverse."
        ),
        error_messages={"required": gettext_lazy("Tick the box to confirm that the correction is public.")},
    )

    def __init__(self, *args, episode: Episode, **kwargs):
        super().__init__(*args, **kwargs)
        self.episode = episode
        self.comment: Comment | None = None

    def clean_prompted_by(self) -> int | None:
        number = self.cleaned_data.get("prompted_by")
        if number is not None:
            self.comment = Comment.objects.filter(pk=number, episode=self.episode).first()
            if self.comment is None:
                raise forms.ValidationError(
                    _("There is no comment #%(number)s on this episode.") % {"number": number}
                )
        return number


def _hosted_episode(request: HttpRequest, slug: str, pk: int) -> tuple[Show, Episode]:
    """The show and its episode, if this user hosts the show; otherwise 404 (as the other host pages)."""
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404
    return show, get_object_or_404(Episode, pk=pk, show=show)


@host_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_corrections_page(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    show, episode = _hosted_episode(request, slug, pk)
    status = 200
    if request.method == "POST":
        form = CorrectionForm(request.POST, episode=episode)
        if form.is_valid():
            try:
                correction, notified = publish_correction(
                    episode=episode, text=form.cleaned_data["text"], by=request.user, prompted_by=form.comment
                )
            except CorrectionError as error:
                form.add_error("text" if error.code in {"empty", "too_long"} else None, error.message)
            else:
                text = _(
                    "The correction is published: it is on the episode page and in the feed, and the "
                    "show's followers receive the update."
                )
                if notified:
                    text += " " + _(
                        "The CME activity's coordinators were emailed, since its content may need review."
                    )
                messages.success(request, text)
                return redirect(f"{request.path}#correction-{correction.pk}")
        status = 400
    else:
        initial = {}
        if request.GET.get("prompted_by", "").isdigit():
            initial["prompted_by"] = int(request.GET["prompted_by"])
        form = CorrectionForm(initial=initial, episode=episode)
    context = {
        "show": show,
        "episode": episode,
        "form": form,
        "corrections": episode_corrections(episode),
        "max_chars": MAX_CORRECTION_CHARS,
    }
    return render(request, "discussion/host_corrections.html", context, status=status)
