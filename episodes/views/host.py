"""Host pages: the shows and episodes a host manages (create, edit, upload, schedule), not only the admin."""

from functools import wraps

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest, host_required, is_host_of

from .. import services
from ..audio import AudioError
from ..forms import EditPersonFormSet, EpisodeEditForm, EpisodeUploadForm, PersonFormSet, ShowForm
from ..models import Episode, EpisodePerson, Show
from ..unpublish import leaves_listeners, unpublish_warnings
from ..upload import max_upload_bytes, redirect_after_upload, storage_full_response, upload_limited

APPLE_PODCASTS_CONNECT_URL = "https://podcastsconnect.apple.com/"
SPOTIFY_FOR_PODCASTERS_URL = "https://podcasters.spotify.com/"


def verified_user_required(view):
    """Logged in with a verified email address (anonymous: to the login page; unverified: 403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not EmailAddress.objects.filter(user_id=request.user.pk, verified=True).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _hosted_show(request, slug: str) -> Show:
    """The show, if this user hosts it; otherwise 404, so other hosts do not learn that it exists."""
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404
    return show


def _add_service_errors(form, error: Exception) -> None:
    """Show a service's refusal next to the field it concerns (or above the form)."""
    if isinstance(error, AudioError):
        form.add_error("audio" if "audio" in form.fields else None, str(error))
    elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@host_required
def dashboard(request: AuthenticatedHttpRequest):
    now = timezone.now()
    published = Q(episodes__status=Episode.Status.PUBLISHED)
    shows = (
        Show.objects.filter(memberships__user=request.user)
        .annotate(
            episode_count=Count("episodes", distinct=True),
            public_count=Count(
                "episodes", filter=published & Q(episodes__publish_at__lte=now), distinct=True
            ),
            scheduled_count=Count(
                "episodes", filter=published & Q(episodes__publish_at__gt=now), distinct=True
            ),
            draft_count=Count("episodes", filter=Q(episodes__status=Episode.Status.DRAFT), distinct=True),
        )
        .order_by("title")
    )
    return render(request, "episodes/host/dashboard.html", {"shows": shows})


@verified_user_required
@upload_limited
def show_create(request):
    """Create a show; its creator becomes its host.

    Decision: any logged-in user with a verified email address may create a show (no approval
    step): publishing a podcast is not accrediting it, and credit is gated separately (providers
    and coordinators). Once they host a show, the MFA gate on /host/ applies to them, so their
    next host page asks them to set up an authenticator app first.
    """
    if request.method == "POST":
        form = ShowForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                show = services.show_create(host=request.user, data=form.service_data())
            except services.StorageFull:
                return storage_full_response(request)  # the server's fault: 507, nothing was saved
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, _("Your show “%(title)s” was created.") % {"title": show.title})
                return redirect("episodes:host_show", slug=show.slug)
        return render(request, "episodes/host/show_form.html", {"form": form}, status=400)
    return render(request, "episodes/host/show_form.html", {"form": ShowForm()})


@host_required
def show_manage(request: AuthenticatedHttpRequest, slug):
    show = _hosted_show(request, slug)
    episodes = list(show.episodes.order_by("-publish_at", "-id"))
    return render(
        request,
        "episodes/host/show_manage.html",
        {
            "show": show,
            "episodes": episodes,
            # Counted from the rows the table shows, by the rule each row's badge uses: no query.
            "apple_refused": sum(not episode.apple_accepts_audio for episode in episodes),
            "apple_url": APPLE_PODCASTS_CONNECT_URL,
            "spotify_url": SPOTIFY_FOR_PODCASTERS_URL,
        },
    )


@host_required
@upload_limited
def show_edit(request: AuthenticatedHttpRequest, slug):
    show = _hosted_show(request, slug)
    if request.method == "POST":
        # Bind a separate copy: an invalid form must not change the show the page shows.
        form = ShowForm(request.POST, request.FILES, instance=Show.objects.get(pk=show.pk))
        if form.is_valid():
            try:
                services.show_update(show=show, actor=request.user, data=form.service_data())
            except services.StorageFull:
                return storage_full_response(request)  # the server's fault: 507, nothing was saved
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, _("The show was saved."))
                return redirect("episodes:host_show", slug=show.slug)
        return render(request, "episodes/host/show_form.html", {"form": form, "show": show}, status=400)
    form = ShowForm(instance=show)
    return render(request, "episodes/host/show_form.html", {"form": form, "show": show})


def _persons(formset) -> list[services.PersonData]:
    return [
        services.PersonData(
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            credentials=form.cleaned_data.get("credentials", ""),
        )
        for form in formset.forms
        if form.has_changed() and form.cleaned_data.get("name")
    ]


@host_required
@upload_limited
def episode_upload(request: AuthenticatedHttpRequest, slug):
    show = _hosted_show(request, slug)
    context = {"show": show, "max_bytes": max_upload_bytes(), "upload": True}
    if request.method == "POST":
        form = EpisodeUploadForm(request.POST, request.FILES)
        persons = PersonFormSet(request.POST, prefix="persons")
        form_ok, persons_ok = form.is_valid(), persons.is_valid()
        if form_ok and persons_ok:
            data = form.cleaned_data
            try:
                episode = services.episode_create(
                    show=show,
                    actor=request.user,
                    title=data["title"],
                    audio=data["audio"],
                    slug=data["slug"],
                    notes=data["notes"],
                    status=data["status"],
                    publish_at=data["publish_at"],
                    season=data["season"],
                    number=data["number"],
                    episode_type=data["episode_type"],
                    explicit=data["explicit"],
                    artwork=data["artwork"] or None,
                    transcript=data["transcript"],
                    chapters=data["chapters"],
                    topics=data["topics"],
                    persons=_persons(persons),
                )
            except services.StorageFull:
                return storage_full_response(request)  # the server's fault: 507, nothing was saved
            except (ValidationError, AudioError) as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, _episode_saved_message(episode))
                return redirect_after_upload(request, "episodes:host_show", slug=show.slug)
        context.update(form=form, persons=persons)
        return render(request, "episodes/host/episode_form.html", context, status=400)
    context.update(form=EpisodeUploadForm(), persons=PersonFormSet(prefix="persons"))
    return render(request, "episodes/host/episode_form.html", context)


def _episode_saved_message(episode: Episode) -> str:
    if episode.is_scheduled:
        local = timezone.localtime(episode.publish_at)
        return _("“%(title)s” is scheduled for %(when)s.") % {
            "title": episode.title,
            "when": local.strftime("%Y-%m-%d %H:%M %Z"),
        }
    if episode.is_public:
        return _("“%(title)s” is published.") % {"title": episode.title}
    return _("“%(title)s” is saved as a draft.") % {"title": episode.title}


def _edit_initial(episode: Episode) -> dict:
    return {
        "title": episode.title,
        "notes": episode.notes,
        "season": episode.season,
        "number": episode.number,
        "episode_type": episode.episode_type,
        "explicit": episode.explicit,
        "status": episode.status,
        "publish_at": episode.publish_at,
        "topics": " ".join(f"#{topic.name}" for topic in episode.topics.all()),
    }


def _persons_initial(people: list[EpisodePerson]) -> list[dict]:
    return [{"name": p.name, "role": p.role, "credentials": p.credentials} for p in people]


def _edited_persons(formset, people: list[EpisodePerson]) -> list[services.PersonData]:
    """The rows kept on the edit page, in order; a row still naming its person keeps their links.

    The page has no fields for a person's profile link and photo (they come from imported feeds),
    so an edit must not silently drop them.
    """
    result = []
    for index, form in enumerate(formset.forms):
        if form.cleaned_data.get("DELETE") or not form.cleaned_data.get("name"):
            continue
        person = services.PersonData(
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            credentials=form.cleaned_data.get("credentials", ""),
        )
        if index < len(people) and people[index].name == person.name:
            person.href, person.img = people[index].href, people[index].img
        result.append(person)
    return result


def _edit_page(request, show, episode, form, persons, status=200, confirm_unpublish=False):
    context = {
        "show": show,
        "episode": episode,
        "form": form,
        "persons": persons,
        "max_bytes": max_upload_bytes(),
        "confirm_unpublish": confirm_unpublish,
    }
    return render(request, "episodes/host/episode_form.html", context, status=status)


@host_required
@require_http_methods(["GET", "HEAD", "POST"])
@upload_limited
def episode_edit(request: AuthenticatedHttpRequest, slug, pk):
    show = _hosted_show(request, slug)
    episode = get_object_or_404(Episode, pk=pk, show=show)
    people = list(episode.persons.all())
    if request.method != "POST":
        form = EpisodeEditForm(initial=_edit_initial(episode))
        persons = EditPersonFormSet(initial=_persons_initial(people), prefix="persons")
        return _edit_page(request, show, episode, form, persons)
    action = request.POST.get("action", "save")
    confirmed = request.POST.get("confirm") == "1"
    if action == "draft" and not confirmed and episode.is_public:
        # Listeners lose it at once: always ask (what else it affects, e.g. a published CME
        # activity, is listed); a second POST with confirm=1 goes ahead. Works without JavaScript.
        return render(
            request,
            "episodes/host/unpublish_confirm.html",
            {"show": show, "episode": episode, "warnings": unpublish_warnings(episode)},
        )
    if action in {"publish", "draft"}:
        try:
            if action == "publish":
                episode = services.episode_publish(episode=episode, actor=request.user)
            else:
                episode = services.episode_update(
                    episode=episode, actor=request.user, data={"status": Episode.Status.DRAFT}
                )
        except (ValidationError, AudioError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return redirect("episodes:host_episode_edit", slug=show.slug, pk=episode.pk)
        messages.success(request, _episode_saved_message(episode))
        return redirect("episodes:host_show", slug=show.slug)
    form = EpisodeEditForm(request.POST, request.FILES, initial=_edit_initial(episode))
    # A post without the people's rows (a script, an old page) leaves the people as they are.
    with_persons = "persons-TOTAL_FORMS" in request.POST
    persons = EditPersonFormSet(
        request.POST if with_persons else None, initial=_persons_initial(people), prefix="persons"
    )
    form_ok, persons_ok = form.is_valid(), (not with_persons or persons.is_valid())
    if form_ok and persons_ok and not confirmed:
        leaving = leaves_listeners(
            episode, status=form.cleaned_data["status"], publish_at=form.cleaned_data["publish_at"]
        )
        warnings = unpublish_warnings(episode) if leaving else []
        if warnings:
            form.add_error(None, [*warnings, _("Tick the confirmation below and save again to go ahead.")])
            return _edit_page(request, show, episode, form, persons, status=400, confirm_unpublish=True)
    if form_ok and persons_ok:
        try:
            episode = services.episode_update(
                episode=episode,
                actor=request.user,
                persons=_edited_persons(persons, people) if with_persons else None,
                **form.service_kwargs(),
            )
        except services.StorageFull:
            return storage_full_response(request)  # the server's fault: 507, nothing was saved
        except (ValidationError, AudioError) as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _episode_saved_message(episode))
            return redirect_after_upload(request, "episodes:host_show", slug=show.slug)
    return _edit_page(request, show, episode, form, persons, status=400)
