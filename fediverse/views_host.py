"""The host's fediverse page for a show: its handle, followers, blocked domains, recent deliveries."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest, host_required, is_host_of
from episodes.models import Show

from .blocks import BlockError, domain_block, domain_unblock, normalise_domain
from .keys import actor_url, handle
from .models import BlockedDomain, Delivery, Follower

RECENT_DELIVERIES = 30
FOLLOWERS_SHOWN = 200


class BlockForm(forms.Form):
    domain = forms.CharField(
        label=gettext_lazy("Domain"),
        max_length=255,
        help_text=gettext_lazy("Like spam.example; its subdomains too."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), max_length=255, required=False)

    def clean_domain(self) -> str:
        try:
            return normalise_domain(self.cleaned_data["domain"])
        except BlockError as error:
            raise forms.ValidationError(str(error)) from None


def _hosted_show(request, slug: str) -> Show:
    """The show, if this user hosts it; otherwise 404, so other hosts do not learn that it exists."""
    show = get_object_or_404(Show, slug=slug)
    if not is_host_of(request.user, show):
        raise Http404
    return show


@host_required
@require_http_methods(["GET", "POST"])
def show_fediverse(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    show = _hosted_show(request, slug)
    form = BlockForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("unblock"):
            try:
                domain_unblock(domain=request.POST["unblock"], show=show, by=request.user)
            except BlockError as error:
                messages.error(request, str(error))
                return redirect("fediverse:host_show", slug=show.slug)
            messages.success(
                request, _("%(domain)s is no longer blocked.") % {"domain": request.POST["unblock"]}
            )
            return redirect("fediverse:host_show", slug=show.slug)
        form = BlockForm(request.POST)
        if form.is_valid():
            try:
                domain_block(
                    domain=form.cleaned_data["domain"],
                    show=show,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except BlockError as error:
                form.add_error("domain", str(error))
            else:
                messages.success(
                    request, _("%(domain)s is blocked.") % {"domain": form.cleaned_data["domain"]}
                )
                return redirect("fediverse:host_show", slug=show.slug)
        status = 400
    follows = Follower.objects.filter(show=show, ended_at__isnull=True, actor__gone_at__isnull=True)
    context = {
        "show": show,
        "handle": handle(show),
        "actor_url": actor_url(show),
        "follower_count": follows.count(),
        "followers": follows.select_related("actor").order_by("-accepted_at")[:FOLLOWERS_SHOWN],
        "blocks": BlockedDomain.objects.filter(show=show).order_by("domain"),
        "site_blocks": BlockedDomain.objects.filter(show__isnull=True).count(),
        "deliveries": Delivery.objects.filter(show=show).order_by("-created_at", "-pk")[:RECENT_DELIVERIES],
        "form": form,
    }
    return render(request, "fediverse/host_show.html", context, status=status)
