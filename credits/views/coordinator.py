"""Coordinator pages: the provider's activities, their people and disclosures, quizzes, evaluations."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import (
    activity_page,
    certificate_search,
    commercial_support,
    grants,
    providers,
    selectors,
    services,
    versions,
)
from ..forms import ActivityForm, QuestionFormSet, QuizImportForm
from ..forms_rows import ADD_ROW, filled_forms, with_added_row
from ..forms_setup import CommercialSupportForm, ProviderSettingsForm
from ..models import CommercialSupport, Provider
from .access import coordinator_activity_or_404, coordinator_provider_or_404, locked_response


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
            "waiting_corrections": certificate_search.pending_corrections_to_list(user=request.user),
        },
    )


@coordinator_required
def activity_create(request: AuthenticatedHttpRequest, slug: str):
    provider = coordinator_provider_or_404(request, slug)
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
                request,
                _(
                    "Activity created as a draft (learners cannot see it). Now add the people in control of "
                    "content and the post-test, then publish it."
                ),
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


def _manage_page(request, activity, *, status: int = 200, publish_error: list[str] | None = None):
    """The activity's page: its lifecycle status and what to do next, details, version history, results."""
    changeable = grants.activity_is_changeable(activity)
    state, state_label = activity_page.lifecycle_status(activity)
    checklist = activity_page.publish_checklist(activity) if activity.is_draft else []
    return render(
        request,
        "credits/coordinator/activity.html",
        {
            "activity": activity,
            "people": activity.people.filter(removed_at__isnull=True).select_related("person"),
            "supports": CommercialSupport.objects.filter(activity=activity),
            "state": state,
            "state_label": state_label,
            "checklist": checklist,
            "publish_error": publish_error or [],
            "minutes_needed": versions.minutes_needed(activity),
            "history": activity_page.version_history(activity),
            "in_progress": activity_page.learners_in_progress(activity),
            "summary": selectors.evaluation_summary(activity),
            "changeable": changeable,
            "lock_message": "" if changeable else grants.activity_lock_message(activity),
        },
        status=status,
    )


@coordinator_required
def activity_manage(request: AuthenticatedHttpRequest, pk: int):
    return _manage_page(request, coordinator_activity_or_404(request, pk))


@coordinator_required
@require_POST
def activity_publish(request: AuthenticatedHttpRequest, pk: int):
    """Draft -> published (POST only). With problems: the page with the list, 400, nothing written."""
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    try:
        version = versions.activity_publish(activity=activity, actor=request.user)
    except ValidationError as error:
        return _manage_page(
            request, coordinator_activity_or_404(request, pk), status=400, publish_error=error.messages
        )
    messages.success(
        request,
        _("Published: learners now see version %(n)d on the episode page and in the feed.")
        % {"n": version.number},
    )
    return redirect("credits:coordinator_activity", pk=pk)


@coordinator_required
def activity_withdraw(request: AuthenticatedHttpRequest, pk: int):
    """Published -> withdrawn, after a confirmation page asking for the reason (kept in the record)."""
    activity = coordinator_activity_or_404(request, pk)
    error = None
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            versions.activity_withdraw(activity=activity, actor=request.user, reason=reason)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, _("Withdrawn: no new learner can start; those who passed can still finish.")
            )
            return redirect("credits:coordinator_activity", pk=pk)
    return render(
        request,
        "credits/coordinator/withdraw.html",
        {
            "activity": activity,
            "error": error,
            "reason": reason,
            "in_progress": activity_page.learners_in_progress(activity),
        },
        status=400 if error else 200,
    )


@coordinator_required
def activity_support(request: AuthenticatedHttpRequest, pk: int):
    """The activity's commercial support (ACCME Standard 4): the list, and a form to add a supporter."""
    activity = coordinator_activity_or_404(request, pk)
    form = CommercialSupportForm(request.POST or None)
    if request.method == "POST":
        if (locked := locked_response(request, activity)) is not None:
            return locked
        if form.is_valid():
            try:
                commercial_support.commercial_support_add(
                    activity=activity, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Commercial support recorded."))
                return redirect("credits:coordinator_support", pk=pk)
    return render(
        request,
        "credits/coordinator/commercial_support.html",
        {
            "activity": activity,
            "form": form,
            "supports": CommercialSupport.objects.filter(activity=activity),
            "changeable": grants.activity_is_changeable(activity),
        },
        status=400 if request.method == "POST" else 200,
    )


@coordinator_required
@require_POST
def activity_support_remove(request: AuthenticatedHttpRequest, pk: int, support_pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    get_object_or_404(CommercialSupport, pk=support_pk, activity=activity)
    try:
        commercial_support.commercial_support_remove(
            activity=activity, actor=request.user, support_id=support_pk
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Commercial support removed."))
    return redirect("credits:coordinator_support", pk=pk)


@coordinator_required
def provider_settings(request: AuthenticatedHttpRequest, slug: str):
    """The provider's own settings: "The" before its name, contact email, privacy policy, time zone."""
    provider = coordinator_provider_or_404(request, slug)
    old = providers.provider_snapshot(provider)
    form = ProviderSettingsForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        try:
            providers.provider_save(actor=request.user, provider=form.instance, old=old)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Provider settings saved. Published activities keep what learners were shown until "
                    "their next version."
                ),
            )
            return redirect("credits:coordinator_provider_settings", slug=slug)
    if request.method == "POST":
        provider.refresh_from_db()
    return render(
        request,
        "credits/coordinator/provider_settings.html",
        {"provider": provider, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@coordinator_required
def activity_edit(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
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
        {
            "form": form,
            "provider": activity.provider,
            "activity": activity,
            "minutes_needed": versions.minutes_needed(activity),
        },
        status=status,
    )


# The people page (people in control of content, disclosures): credits/views/disclosures.py.


def _stored_quiz(activity) -> list[dict]:
    """The stored questions as the editor's initial rows."""
    initial = []
    for question in activity.questions.prefetch_related("options"):
        item = {"text": question.text, "rationale": question.rationale, "references": question.references}
        for i, option in enumerate(question.options.all()[:5], start=1):
            item[f"option_{i}"] = option.text
            if option.is_correct:
                item["correct"] = str(i)
        initial.append(item)
    return initial


def _quiz_page(request, activity, *, formset, import_form=None, error=None, import_error=None, status=200):
    # The file input is in the editor's form (its Import button posts to the import URL), so the
    # browser must not require it: that would block "Save". The import view still requires a file.
    import_form = import_form or QuizImportForm()
    import_form.use_required_attribute = False
    context = {
        "activity": activity,
        "formset": formset,
        "import_form": import_form,
        "error": error,
        "import_error": import_error,
    }
    return render(request, "credits/coordinator/quiz.html", context, status=status)


@coordinator_required
def quiz_edit(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    if request.method == "POST" and ADD_ROW in request.POST:
        # "Add a question" without JavaScript: the rows as typed and one more blank row; nothing saved.
        formset = with_added_row(QuestionFormSet, request.POST, prefix="q", initial=_stored_quiz(activity))
        return _quiz_page(request, activity, formset=formset)
    formset = QuestionFormSet(request.POST or None, initial=_stored_quiz(activity), prefix="q")
    error = None
    if request.method == "POST" and formset.is_valid():
        items = [f.as_quiz_item() for f in filled_forms(formset)]
        try:
            services.quiz_replace(activity=activity, actor=request.user, data={"questions": items})
        except services.CreditError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                ngettext(
                    "Post-test saved (%(n)d question).", "Post-test saved (%(n)d questions).", len(items)
                )
                % {"n": len(items)},
            )
            return redirect("credits:coordinator_activity", pk=pk)
    status = 400 if request.method == "POST" else 200
    return _quiz_page(request, activity, formset=formset, error=error, status=status)


@coordinator_required
def quiz_export(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    body = json.dumps(services.quiz_export(activity), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="quiz-{slugify(activity.title)[:50] or activity.pk}.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@coordinator_required
def quiz_import(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if request.method != "POST":
        return redirect("credits:coordinator_quiz", pk=pk)
    if (locked := locked_response(request, activity)) is not None:
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
            messages.success(
                request,
                ngettext("Imported %(n)d question.", "Imported %(n)d questions.", len(questions))
                % {"n": len(questions)},
            )
            return redirect("credits:coordinator_activity", pk=pk)
    else:
        error = " ".join(str(message) for messages in form.errors.values() for message in messages)
    # Nothing was replaced: show the stored quiz, or what was typed in the editor when its Import
    # button sent the editor's rows along (they are kept, not saved).
    typed = "q-TOTAL_FORMS" in request.POST
    formset = QuestionFormSet(request.POST if typed else None, initial=_stored_quiz(activity), prefix="q")
    return _quiz_page(request, activity, formset=formset, import_form=form, import_error=error, status=400)
