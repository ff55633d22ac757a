"""Moving a show away: the host's pages (move, confirm, undo) and the 301 its old feed answers."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest, host_required

from ..models import Show
from ..moving import (
    MovedFeed,
    MoveRefused,
    clean_new_feed_url,
    move_show_away,
    stop_announcing_new_feed_url,
    undo_move,
)
from .host import _hosted_show


class MoveShowForm(forms.Form):
    new_feed_url = forms.CharField(
        label=gettext_lazy("New feed URL"),
        max_length=2000,  # the service gives the clear message about the real limit
        strip=True,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "The RSS feed URL the new host gives you for this show, starting with https://."
        ),
    )


def _form_errors(form: MoveShowForm, error: MoveRefused) -> None:
    if hasattr(error, "error_dict"):
        for errors in error.error_dict.values():
            form.add_error("new_feed_url", errors)
    else:
        form.add_error(None, error.messages)


@host_required
@require_http_methods(["GET", "HEAD", "POST"])
def show_move(request: AuthenticatedHttpRequest, slug):
    """Move the show away: the URL, then a confirmation page (a second POST with confirm=1).

    The same page stops announcing a new feed URL set without a move (``stop_announcing=1``).
    """
    show = _hosted_show(request, slug)
    if request.method != "POST":
        # A URL announced without a redirect is offered as the one to move to (the host confirms).
        form = MoveShowForm(initial={"new_feed_url": show.new_feed_url if not show.moved_away_at else ""})
        return render(request, "episodes/host/show_move.html", {"show": show, "form": form})
    if request.POST.get("stop_announcing") == "1":
        return _stop_announcing(request, show)
    form = MoveShowForm(request.POST)
    if form.is_valid():
        try:
            url = clean_new_feed_url(form.cleaned_data["new_feed_url"])
            if show.moved_away_at is not None:
                raise MoveRefused(
                    {"new_feed_url": [_("This show has already moved away. Undo that move first.")]}
                )
            if request.POST.get("confirm") == "1":
                show = move_show_away(show=show, actor=request.user, new_feed_url=url)
        except MoveRefused as error:
            _form_errors(form, error)
        else:
            if request.POST.get("confirm") != "1":
                return render(
                    request, "episodes/host/show_move_confirm.html", {"show": show, "new_feed_url": url}
                )
            messages.success(
                request,
                _("“%(title)s” has moved: its feed now redirects to %(url)s.")
                % {"title": show.title, "url": show.new_feed_url},
            )
            return redirect("episodes:host_show", slug=show.slug)
    return render(request, "episodes/host/show_move.html", {"show": show, "form": form}, status=400)


def _stop_announcing(request: AuthenticatedHttpRequest, show: Show):
    try:
        show = stop_announcing_new_feed_url(show=show, actor=request.user)
    except MoveRefused as error:
        messages.error(request, " ".join(error.messages))
        return redirect("episodes:host_show_move", slug=show.slug)
    messages.success(request, _("The feed no longer announces a new feed URL."))
    return redirect("episodes:host_show", slug=show.slug)


@host_required
@require_POST
def show_move_undo(request: AuthenticatedHttpRequest, slug):
    show = _hosted_show(request, slug)
    try:
        show = undo_move(show=show, actor=request.user)
    except MoveRefused as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The move was undone: the show's feed is served here again."))
    return redirect("episodes:host_show", slug=show.slug)


def moved_feed_response(request, move: MovedFeed) -> HttpResponsePermanentRedirect:
    """301 to the new feed; a GET gets the minimal feed (itunes:new-feed-url) as the body.

    Apple asks for both the 301 and the tag: apps that follow the redirect never read the body, and
    a client that does not follow it still finds the new URL and every episode in the body.
    Cache-Control bounds how long a shared cache keeps the redirect, so an undo reaches the apps
    that did not yet store the new URL within a poll interval.
    """
    response = HttpResponsePermanentRedirect(
        move.new_feed_url, content_type="application/rss+xml; charset=utf-8"
    )
    response.headers["Cache-Control"] = f"public, max-age={settings.PODCASTCME_FEED_MAX_AGE}"
    if request.method == "GET":
        response.content = move.body
    return response
