"""Coordinator pages: the provider's activities, their people and disclosures, quizzes, evaluations."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import certificate_search, grants, selectors, services
from ..forms import ActivityForm, PersonFormSet, QuestionFormSet, QuizImportForm
from ..models import Provider


def _provider(request, slug: str) -> Provider:
    # Another provider's pages do not exist for this coordinator.
    return get_object_or_404(Provider, slug=slug, memberships__user=request.user)


def _activity(request, pk: int):
    activity = selectors.coordinator_activity(user=request.user, pk=pk)
    if activity is None:
        raise Http404
    return activity


def _locked(request, activity):
    """The answer to a change of an activity whose show no longer grants its provider (None: allowed)."""
    if grants.activity_is_changeable(activity):
        return None
    return render(
        request,
        "credits/grants/activity_locked.html",
        {"activity": activity, "message": grants.activity_lock_message(activity)},
        status=403,
    )


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@coordinator_required
def dashboard(request: AuthenticatedHttpRequest):
    providers = Provider.objects.filter(memberships__user=request.user).order_by("name")
    activities = selectors.coordinator_activities(user=request.user)
    invitations = grants.pending_invitations(user=request.user)
    return render(
        request,
        "credits/coordinator/dashboard.html",
        {
            "providers": providers,
            "activities": activities,
            "invitations": invitations,
            "late_certificates": selectors.certificates_needing_attention(user=request.user),
            "pending_corrections": certificate_search.pending_corrections(user=request.user).count(),
        },
    )


@coordinator_required
def activity_create(request: AuthenticatedHttpRequest, slug: str):
    provider = _provider(request, slug)
    # Only episodes of shows whose hosts granted this provider; the service checks the grant again.
    episodes = grants.episodes_for_new_activity(provider=provider)
    form = ActivityForm(
        request.POST or None, episodes=episodes, initial={"episode": request.GET.get("episode")}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"episode", "mandate_topics"}}
        try:
            activity = services.activity_create(
                provider=provider,
                episode=form.cleaned_data["episode"],
                actor=request.user,
                data=data,
                mandate_topics=list(form.cleaned_data["mandate_topics"]),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, _("Activity created. Now add the people in control of content and the quiz.")
            )
            return redirect("credits:coordinator_activity", pk=activity.pk)
    status = 400 if request.method == "POST" else 200
    granted = provider.show_grants.active().exists()
    return render(
        request,
        "credits/coordinator/activity_form.html",
        {"form": form, "provider": provider, "granted": granted, "no_episodes": not episodes.exists()},
        status=status,
    )


@coordinator_required
def activity_manage(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(request, pk)
    summary = selectors.evaluation_summary(activity)
    full = selectors.activity_for_episode(activity.episode)
    changeable = grants.activity_is_changeable(activity)
    return render(
        request,
        "credits/coordinator/activity.html",
        {
            "activity": full,
            "summary": summary,
            "changeable": changeable,
            "lock_message": "" if changeable else grants.activity_lock_message(activity),
        },
    )


@coordinator_required
def activity_edit(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(request, pk)
    if (locked := _locked(request, activity)) is not None:
        return locked
    form = ActivityForm(request.POST or None, instance=activity, editing=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "mandate_topics"}
        try:
            services.activity_update(
                activity=activity,
                actor=request.user,
                data=data,
                mandate_topics=list(form.cleaned_data["mandate_topics"]),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Activity saved."))
            return redirect("credits:coordinator_activity", pk=pk)
    activity.refresh_from_db()
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "credits/coordinator/activity_form.html",
        {"form": form, "provider": activity.provider, "activity": activity},
        status=status,
    )


@coordinator_required
def activity_people(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(request, pk)
    if (locked := _locked(request, activity)) is not None:
        return locked
    initial = [
        {
            "name": p.name,
            "credentials": p.credentials,
            "role": p.role,
            "relationships": "\n".join(f"{d.company} | {d.nature}" for d in p.disclosures.all()),
            "mitigated": all(d.mitigated for d in p.disclosures.all()) and p.disclosures.exists(),
        }
        for p in activity.people.prefetch_related("disclosures")
    ]
    formset = PersonFormSet(request.POST or None, initial=initial, prefix="people")
    if request.method == "POST" and formset.is_valid():
        people = [
            {**f.cleaned_data}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("name")
        ]
        try:
            services.activity_set_people(activity=activity, actor=request.user, people=people)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("People and disclosures saved."))
            return redirect("credits:coordinator_activity", pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "credits/coordinator/people.html", {"activity": activity, "formset": formset}, status=status
    )


@coordinator_required
def quiz_edit(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(request, pk)
    if (locked := _locked(request, activity)) is not None:
        return locked
    initial = []
    for question in activity.questions.prefetch_related("options"):
        item = {"text": question.text, "rationale": question.rationale, "references": question.references}
        for i, option in enumerate(question.options.all()[:5], start=1):
            item[f"option_{i}"] = option.text
            if option.is_correct:
                item["correct"] = str(i)
        initial.append(item)
    formset = QuestionFormSet(request.POST or None, initial=initial, prefix="q")
    import_form = QuizImportForm()
    error = None
    if request.method == "POST" and formset.is_valid():
        items = [
            f.as_quiz_item() for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            services.quiz_replace(activity=activity, actor=request.user, data={"questions": items})
        except services.CreditError as exc:
            error = exc.message
        else:
            messages.success(request, _("Post-test saved (%(n)d questions).") % {"n": len(items)})
            return redirect("credits:coordinator_activity", pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "credits/coordinator/quiz.html",
        {"activity": activity, "formset": formset, "import_form": import_form, "error": error},
        status=status,
    )


@coordinator_required
def quiz_export(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(request, pk)
    body = json.dumps(services.quiz_export(activity), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="quiz-{slugify(activity.title)[:50] or activity.pk}.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@coordinator_required
def quiz_import(request: AuthenticatedHttpRequest, pk: int):
    activity = _activity(request, pk)
    if request.method != "POST":
        return redirect("credits:coordinator_quiz", pk=pk)
    if (locked := _locked(request, activity)) is not None:
        return locked
    form = QuizImportForm(request.POST, request.FILES)
    error = None
    if form.is_valid():
        try:
            questions = services.quiz_replace(
                activity=activity, actor=request.user, data=form.cleaned_data["file"]
            )
        except services.CreditError as exc:
            error = exc.message
        else:
            messages.success(request, _("Imported %(n)d questions.") % {"n": len(questions)})
            return redirect("credits:coordinator_activity", pk=pk)
    else:
        error = " ".join(str(message) for messages in form.errors.values() for message in messages)
    formset = QuestionFormSet(prefix="q")
    return render(
        request,
        "credits/coordinator/quiz.html",
        {"activity": activity, "formset": formset, "import_form": form, "error": error},
        status=400,
    )
