"""The learner's follow-up pages: the answer page opened by the emailed one-tap link (no login: the
signed link is the key), the unsubscribe link, and the consent switch on My learning and after a claim.

Every refusal is a page of its own with a 4xx status and writes nothing: a tampered link (400), a link
to no follow-up or one not sent yet (404), one sent to another account than the one logged in (403),
one already answered (409), one closed or cancelled (410), answers missing or not among the options
shown (400)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import AuthenticatedHttpRequest

from . import links, selectors, services
from .errors import FollowUpError
from .forms import KnowledgeAnswerForm, PracticeAnswerForm
from .models import FollowUp, FollowUpKind, FollowUpStatus

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "same-origin",  # the token stays on the site; a POST keeps its Origin (CSRF)
}


def _page(request, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


def _refused(request, message: str, status: int, follow_up: FollowUp | None = None):
    return _page(
        request, "followups/refused.html", {"message": message, "follow_up": follow_up}, status=status
    )


def _follow_up_for(request, token: str) -> FollowUp | tuple[str, int]:
    """The follow-up the link names, or (message, status) for the refusal page."""
    read = links.follow_up_token_read(token)
    if read is None:
        return _(
            "This link is not valid. Open it from the email as it was sent (a link cut short does not work)."
        ), 400
    pk, nonce = read
    follow_up = (
        FollowUp.objects.select_related(
            "activity__episode", "activity__provider", "claim__evaluation", "learner"
        )
        .filter(pk=pk)
        .first()
    )
    if follow_up is None or not links.nonce_matches(follow_up, nonce):
        return _("This follow-up does not exist."), 404
    if request.user.is_authenticated and request.user.pk != follow_up.learner_id:
        return _("This follow-up was sent to another account. Log out, or open your own email's link."), 403
    return follow_up


def _state_refusal(follow_up: FollowUp) -> tuple[str, int] | None:
    if follow_up.status == FollowUpStatus.ANSWERED:
        return _("You already answered this follow-up. Your results are on My learning."), 409
    if follow_up.status == FollowUpStatus.CANCELLED:
        return _("This follow-up was cancelled (you opted out, or the certificate was revoked)."), 410
    if follow_up.status == FollowUpStatus.EXPIRED or (
        follow_up.expires_at is not None and timezone.now() > follow_up.expires_at
    ):
        return _(
            "This follow-up has closed: its link was open for a limited time. The next one comes by email."
        ), 410
    if follow_up.status != FollowUpStatus.SENT:
        return _("This follow-up does not exist."), 404
    return None


def answer(request, token: str):
    found = _follow_up_for(request, token)
    if isinstance(found, tuple):
        return _refused(request, *found)
    follow_up = found
    if (refusal := _state_refusal(follow_up)) is not None:
        return _refused(request, *refusal, follow_up=follow_up)
    if request.method not in ("GET", "HEAD", "POST"):
        return _refused(request, _("Open the link, then send the form."), 405)
    is_practice = follow_up.kind == FollowUpKind.PRACTICE
    form = (
        PracticeAnswerForm(request.POST or None)
        if is_practice
        else KnowledgeAnswerForm(request.POST or None, follow_up=follow_up)
    )
    status = 200
    error = ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if isinstance(form, PracticeAnswerForm):
                    services.follow_up_answer_practice(follow_up=follow_up, **form.answer())
                    return _page(request, "followups/answered_practice.html", {"follow_up": follow_up})
                done = services.follow_up_answer_knowledge(follow_up=follow_up, answers=form.answers())
                return _page(
                    request,
                    "followups/answered_knowledge.html",
                    {"follow_up": done, "review": selectors.knowledge_review(done)},
                )
            except FollowUpError as exc:
                if exc.status != 400:
                    return _refused(request, exc.message, exc.status, follow_up=follow_up)
                error = exc.message
    return _page(
        request,
        "followups/answer.html",
        {
            "follow_up": follow_up,
            "form": form,
            "error": error,
            "is_practice": is_practice,
            "intended_change": follow_up.claim.evaluation.change_description if is_practice else "",
        },
        status=status,
    )


@csrf_exempt  # RFC 8058's one-click POST comes from the mail provider, with no CSRF cookie or token
def unsubscribe(request, token: str):
    """The email's unsubscribe link: the page has one button (a link scanner that opens every link of
    an email must not unsubscribe anyone); a mail client's one-click POST (RFC 8058) also works. The
    signed token is the key (as for the answer link), so a forged cross-site POST needs the token: it
    can only do what the token's owner could, stop their own follow-ups."""
    user_id = links.unsubscribe_token_read(token)
    if user_id is None:
        return _refused(request, _("This link is not valid. Open it from the email as it was sent."), 400)
    learner = User.objects.filter(pk=user_id).first()
    if learner is None:
        return _refused(request, _("This link is not valid. Open it from the email as it was sent."), 404)
    done = False
    if request.method == "POST":
        services.consent_set(learner=learner, opted_in=False, where="email")
        done = True
    return _page(request, "followups/unsubscribe.html", {"done": done, "email": learner.email})


def _next_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_POST
def consent(request: AuthenticatedHttpRequest):
    """Opt in or out of follow-ups (the switch on My learning and on the page after a claim)."""
    choice = request.POST.get("opted_in")
    if choice not in ("1", "0"):
        return _refused(request, _("Choose whether to receive follow-ups."), 400)
    where = request.POST.get("where", "")
    where = where if where in ("my_learning", "claim") else "my_learning"
    opted_in = choice == "1"
    services.consent_set(learner=request.user, opted_in=opted_in, where=where)
    if opted_in:
        messages.success(
            request, _("Follow-ups are on: short questions by email at the intervals each activity sets.")
        )
    else:
        messages.success(request, _("Follow-ups are off. Those not yet answered are cancelled."))
    return redirect(_next_url(request, reverse("credits:my_learning")))
