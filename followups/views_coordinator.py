"""The coordinator's follow-up setup of an activity: on or off, the schedule, the post-test questions
asked again and the questions written for the follow-up. Same access as the activity's other
coordinator pages (credits.views.access): another provider's activity is a 404; a show that no
longer grants the provider makes changes a 403. MFA-gated by the /coordinator/ prefix."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required
from credits.models import Question
from credits.views.access import coordinator_activity_or_404, locked_response

from . import selectors, services
from .errors import FollowUpError
from .forms import PlanForm, QuestionForm
from .models import DEFAULT_INTERVALS, FollowUpQuestion


def _page(request, activity, *, plan_form=None, question_form=None, status: int = 200):
    plan = selectors.plan_for(activity)
    questions = Question.objects.filter(activity=activity).order_by("position", "id")
    if plan_form is None:
        initial = {
            "enabled": plan.enabled if plan else True,
            "intervals": ", ".join(str(d) for d in (plan.intervals_days if plan else DEFAULT_INTERVALS)),
            "practice_change_days": plan.practice_change_days if plan else 60,
            "reused": [str(q.source_id) for q in selectors.plan_questions(plan) if q.source_id]
            if plan
            else [str(q.pk) for q in questions],
        }
        plan_form = PlanForm(initial=initial, questions=questions)
    return render(
        request,
        "followups/coordinator_plan.html",
        {
            "activity": activity,
            "plan": plan,
            "plan_form": plan_form,
            "question_form": question_form or QuestionForm(),
            "own_questions": [q for q in selectors.plan_questions(plan) if q.source_id is None],
            "counts": selectors.activity_counts(activity),
        },
        status=status,
    )


@coordinator_required
def plan_edit(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if request.method != "POST":
        return _page(request, activity)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    questions = Question.objects.filter(activity=activity)
    form = PlanForm(request.POST, questions=questions)
    if form.is_valid():
        try:
            services.plan_save(
                activity=activity,
                actor=request.user,
                enabled=form.cleaned_data["enabled"],
                intervals_days=form.interval_list(),
                practice_change_days=form.cleaned_data["practice_change_days"],
                reused_question_ids=[int(pk) for pk in form.cleaned_data["reused"]],
            )
        except FollowUpError as exc:
            field = {"intervals": "intervals", "practice_change_days": "practice_change_days"}.get(exc.code)
            form.add_error(field if field else "reused" if exc.code == "questions" else None, exc.message)
        else:
            messages.success(request, _("Follow-up saved."))
            return redirect("followups:coordinator_plan", pk=activity.pk)
    return _page(request, activity, plan_form=form, status=400)


@coordinator_required
@require_POST
def question_add(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(
                activity=activity,
                actor=request.user,
                text=form.cleaned_data["text"],
                options=form.options(),
                correct=form.cleaned_data["correct"],
                rationale=form.cleaned_data["rationale"],
            )
        except FollowUpError as exc:
            field = exc.code if exc.code in form.fields else "option_1" if exc.code == "options" else None
            form.add_error(field, exc.message)
        else:
            messages.success(request, _("Question added to the follow-up."))
            return redirect("followups:coordinator_plan", pk=activity.pk)
    return _page(request, activity, question_form=form, status=400)


@coordinator_required
@require_POST
def question_remove(request: AuthenticatedHttpRequest, pk: int, question_pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    question = get_object_or_404(FollowUpQuestion, pk=question_pk, plan__activity=activity)
    services.question_remove(question=question, actor=request.user)
    messages.success(request, _("Question removed from the follow-up (answers already given are kept)."))
    return redirect("followups:coordinator_plan", pk=activity.pk)
