"""The learner's path: post-test, result, evaluation, My learning, and player progress.

The claim page is billing's (billing/views.py: it may take a payment first), in this URL namespace.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import profile_is_complete_for_credit
from accounts.permissions import AuthenticatedHttpRequest
from episodes import json_input
from episodes.models import Episode

from .. import certificate_search, credit_transcript, selectors, services
from ..forms import EvaluationForm
from ..models import Activity, Attempt


def problem_page(request, activity: Activity, message: str, status: int):
    """A refused step: the reason, a way back, and a 4xx status."""
    return render(request, "credits/problem.html", {"activity": activity, "message": message}, status=status)


def _activity(pk: int) -> Activity:
    activity = selectors.learner_activity(pk=pk)
    if activity is None:
        raise Http404
    return activity


@login_required
def post_test(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(pk)
    status = 200
    error = None
    if request.method == "POST":
        answers = {key[2:]: request.POST.getlist(key) for key in request.POST if key.startswith("q_")}
        try:
            attempt_id = int(request.POST.get("attempt", ""))
        except ValueError:
            return HttpResponseBadRequest(_("The form is missing its attempt number."))
        try:
            attempt = services.attempt_submit(attempt_id=attempt_id, learner=request.user, answers=answers)
        except services.CreditError as exc:
            if exc.code == "not_found":
                raise Http404 from None
            if exc.code == "already_submitted":
                return problem_page(request, activity, exc.message, 409)
            error, status = exc.message, 400
        else:
            return redirect("credits:attempt", pk=attempt.pk)
    try:
        attempt = services.attempt_start(learner=request.user, activity=activity)
    except services.CreditError as exc:
        return problem_page(request, activity, exc.message, 403)
    chosen = {key[2:]: request.POST.get(key) for key in request.POST if key.startswith("q_")}
    return render(
        request,
        "credits/post_test.html",
        {"activity": activity, "attempt": attempt, "error": error, "chosen": chosen},
        status=status,
    )


@login_required
def attempt_result(request: AuthenticatedHttpRequest, pk: int):
    # Only the learner's own attempts: another learner's id is simply not found.
    attempt = get_object_or_404(
        Attempt.objects.select_related("activity__provider", "activity__episode__show"),
        pk=pk,
        learner=request.user,
    )
    if not attempt.is_submitted:
        return redirect("credits:post_test", pk=attempt.activity_id)
    reveal = services.attempt_reveals_answers(attempt)
    rows = selectors.attempt_feedback(attempt, reveal=reveal)
    status = selectors.learner_status(learner=request.user, activity=attempt.activity)
    return render(
        request,
        "credits/attempt_result.html",
        {"attempt": attempt, "activity": attempt.activity, "rows": rows, "reveal": reveal, "status": status},
    )


@login_required
def evaluation(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(pk)
    form = EvaluationForm(request.POST or None)
    code = 200
    if request.method == "POST" and form.is_valid():
        # The service reads (under the learner's lock) what the page would check first: one read.
        try:
            services.evaluation_submit(learner=request.user, activity=activity, data=form.cleaned_data)
        except services.CreditError as exc:
            if exc.code == "already_evaluated":
                return redirect("credits:claim", pk=pk)
            if exc.code == "not_passed":
                return problem_page(request, activity, exc.message, 403)
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Thank you for your evaluation."))
            return redirect("credits:claim", pk=pk)
    evaluated, passed = selectors.evaluation_state(learner=request.user, activity=activity)
    if evaluated:
        return redirect("credits:claim", pk=pk)
    if not passed:
        return problem_page(request, activity, _("Pass the post-test before evaluating the activity."), 403)
    if request.method == "POST":
        code = 400
    return render(request, "credits/evaluation.html", {"activity": activity, "form": form}, status=code)


@login_required
def my_learning(request: AuthenticatedHttpRequest):
    in_progress, claims = selectors.my_learning(learner=request.user)
    # Where each certificate's latest correction request stands (open, answered, closed).
    corrections = certificate_search.learner_corrections(learner=request.user)
    for claim in claims:
        certificate = getattr(claim, "certificate", None)
        claim.correction = corrections.get(certificate.pk) if certificate else None  # type: ignore[attr-defined]
    profile = getattr(request.user, "profile", None)
    # Per credit type (AMA, participation, ANCC, ...): revoked certificates are not credit.
    totals = credit_transcript.learner_credit_totals(learner=request.user)
    return render(
        request,
        "credits/my_learning.html",
        {
            "in_progress": in_progress,
            "claims": claims,
            "totals": totals,
            "profile_complete": profile_is_complete_for_credit(profile),
        },
    )


@require_POST
def listening_progress(request, pk: int):
    """The web player reports what was played (JSON: {"ranges": [[start, end], ...]}); logged-in only."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in to record your listening.")}, status=401)
    episode = get_object_or_404(Episode, pk=pk)
    if not episode.is_public:
        raise Http404
    if request.content_type != "application/json":
        # A form body was already read by the CSRF check, so request.body could not be read (a 500).
        return JsonResponse({"error": _("The body must be JSON.")}, status=400)
    if len(request.body) > 64 * 1024:
        return JsonResponse({"error": _("Too much data.")}, status=413)
    try:
        payload = json_input.loads(request.body or b"{}")
    except json_input.UntrustedJSONError as error:
        if error.reason == "too_deep":
            return JsonResponse({"error": _("The body is nested too deeply.")}, status=400)
        return JsonResponse({"error": _("The body must be JSON.")}, status=400)
    try:
        progress = services.listening_record(
            user=request.user,
            episode=episode,
            ranges=payload.get("ranges") if isinstance(payload, dict) else None,
        )
    except services.CreditError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse(
        {"seconds_played": round(progress.seconds_played), "duration": round(episode.audio_duration)}
    )
