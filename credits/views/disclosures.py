"""Disclosure pages: the coordinator's people page of an activity (and a person's disclosure detail),
and the person's public self-service form reached through the emailed link (no account)."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import disclosure_services, disclosures, grants
from ..forms_disclosures import (
    MAX_RELATIONSHIP_ROWS,
    RELATIONSHIP_ROWS,
    AddPeopleFormSet,
    DecisionForm,
    DeclarationForm,
    IdentityForm,
    PersonUpdateForm,
    RelationshipFormSet,
    SendRequestForm,
    SpeakerForm,
    declared_relationships,
)
from ..forms_rows import ADD_ROW, filled_forms, with_added_row
from ..models import ContentPerson, DisclosureRequest, FinancialRelationship, RelevanceDecision
from .access import coordinator_activity_or_404, locked_response

# --- Coordinator ---------------------------------------------------------------------------------------


def _content_person(activity, person_pk: int) -> ContentPerson:
    return get_object_or_404(ContentPerson.objects.select_related("person"), activity=activity, pk=person_pk)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _rows(activity):
    """Each active person with their form status, relationships and this activity's decisions."""
    rows = []
    today = None
    for person in disclosures.active_people(activity):
        status = disclosures.form_status(person.person, today)
        relationships = [
            {
                "relationship": relationship,
                "decision": decision,
                "form": DecisionForm(
                    prefix=f"r{relationship.pk}",
                    initial={
                        "relevant": ("yes" if decision.relevant else "no") if decision else None,
                        "reason": decision.reason if decision else "",
                        "mitigation": decision.mitigation if decision else "",
                        "mitigation_note": decision.mitigation_note if decision else "",
                    },
                ),
            }
            for relationship, decision in disclosures.relationships_with_decisions(person, status.form)
        ]
        rows.append(
            {
                "person": person,
                "status": status,
                "relationships": relationships,
                "problems": disclosures.person_problems(person),
            }
        )
    return rows


def _page(request, activity, *, status: int = 200, **forms):
    people = list(disclosures.active_people(activity))
    speaker_forms = []
    for speaker in disclosures.speakers(activity):
        bound = forms.get("speaker_form")
        form = (
            bound
            if bound is not None and bound.data.get("speaker") == speaker.name
            else SpeakerForm(
                people=people,
                initial={
                    "speaker": speaker.name,
                    "person": str(speaker.content_person.pk) if speaker.content_person else "",
                    "reason": speaker.not_in_control_reason,
                },
            )
        )
        speaker_forms.append({"speaker": speaker, "form": form})
    rows = _rows(activity)
    bound_decision = forms.get("decision_form")
    if bound_decision is not None:
        for row in rows:
            for item in row["relationships"]:
                if bound_decision.prefix == f"r{item['relationship'].pk}":
                    item["form"] = bound_decision
    removed = ContentPerson.objects.filter(activity=activity, removed_at__isnull=False).select_related(
        "person"
    )
    return render(
        request,
        "credits/coordinator/people.html",
        {
            "activity": activity,
            "rows": rows,
            "removed": removed,
            "speakers": speaker_forms,
            "add_formset": forms.get("add_formset") or _people_formset(activity),
            "problems": disclosures.people_publish_problems(activity),
            "lock_message": None
            if grants.activity_is_changeable(activity)
            else grants.activity_lock_message(activity),
            "error": forms.get("error"),
        },
        status=status,
    )


@coordinator_required
@require_GET
def activity_people(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    return locked_response(request, activity) or _page(request, activity)


def _people_formset(activity, data=None):
    return AddPeopleFormSet(data, prefix="p", form_kwargs={"provider": activity.provider})


def _invite_args(data: dict) -> dict:
    return {
        "person": data["known"],
        "new_person": {"name": data["name"], "credentials": data["credentials"], "email": data["email"]},
        "role": data["role"],
        "exception": data["exception"],
        "exception_note": data["exception_note"],
        "send_request": data["send_request"],
        "email": data["email"] if data["known"] else "",
    }


def _add_row_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@coordinator_required
@require_POST
def person_add(request: AuthenticatedHttpRequest, pk: int):
    """The list of people to add (several rows, one save, all or nothing). Its "Add row" button,
    without JavaScript, answers with the rows typed and one more blank row, saving nothing."""
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    if ADD_ROW in request.POST:
        formset = with_added_row(
            AddPeopleFormSet, request.POST, prefix="p", form_kwargs={"provider": activity.provider}
        )
        return _page(request, activity, add_formset=formset)
    formset = _people_formset(activity, request.POST)
    if not formset.is_valid():
        return _page(request, activity, status=400, add_formset=formset)
    filled = filled_forms(formset)
    try:
        invitations = disclosure_services.activity_invite_people(
            activity=activity, actor=request.user, rows=[_invite_args(form.cleaned_data) for form in filled]
        )
    except disclosure_services.PersonRowError as refused:
        _add_row_error(filled[refused.index], refused.error)
        return _page(request, activity, status=400, add_formset=formset)
    for invitation in invitations:
        person = invitation.person
        if invitation.added is not None:
            messages.success(
                request, _("%(name)s is in control of this activity's content.") % {"name": person.name}
            )
        else:
            messages.warning(
                request,
                _(
                    "%(name)s was emailed the disclosure form. This activity is published: add them here "
                    "again once their disclosure is collected (learners are shown only people with a "
                    "collected disclosure)."
                )
                % {"name": person.name},
            )
        if invitation.request is not None:
            messages.success(
                request, _("The disclosure form was emailed to %(email)s.") % {"email": person.email}
            )
    return redirect("credits:coordinator_people", pk=activity.pk)


@coordinator_required
@require_http_methods(["GET", "POST"])
def person_detail(request: AuthenticatedHttpRequest, pk: int, person_pk: int):
    """A person's disclosure: every form they gave, the requests sent, and their role on this activity."""
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    content_person = _content_person(activity, person_pk)
    person = content_person.person
    # Two forms on the page: the role on this activity (with the exception) and who the person is.
    posted_identity = request.method == "POST" and "who-name" in request.POST
    posted_role = request.method == "POST" and not posted_identity
    form = PersonUpdateForm(
        request.POST if posted_role else None,
        prefix="role",
        initial={
            "role": content_person.role,
            "exception": content_person.exception,
            "exception_note": content_person.exception_note,
        },
    )
    identity = IdentityForm(
        request.POST if posted_identity else None,
        prefix="who",
        initial={"name": person.name, "credentials": person.credentials, "email": person.email},
    )
    status = 200
    if request.method == "POST":
        bound = identity if posted_identity else form
        if bound.is_valid():
            try:
                if posted_identity:
                    disclosure_services.person_update(
                        person=person, actor=request.user, **identity.cleaned_data
                    )
                else:
                    disclosure_services.activity_person_update(
                        content_person=content_person, actor=request.user, **form.cleaned_data
                    )
            except ValidationError as error:
                bound.add_error(None, _error_text(error))
            else:
                messages.success(request, _("Saved."))
                return redirect("credits:coordinator_person", pk=activity.pk, person_pk=content_person.pk)
        status = 400
        person.refresh_from_db()
    forms_given = person.disclosure_forms.prefetch_related("relationships")
    return render(
        request,
        "credits/disclosures/person.html",
        {
            "activity": activity,
            "content_person": content_person,
            "person": person,
            "status": disclosures.form_status(person),
            "forms_given": forms_given,
            "requests": person.disclosure_requests.all(),
            "decisions": RelevanceDecision.objects.filter(content_person=content_person).select_related(
                "relationship", "decided_by", "mitigated_by"
            ),
            "form": form,
            "identity_form": identity,
            "request_form": SendRequestForm(initial={"email": person.email}),
            "problems": disclosures.person_problems(content_person)
            if content_person.removed_at is None
            else [],
        },
        status=status,
    )


@coordinator_required
@require_POST
def person_request(request: AuthenticatedHttpRequest, pk: int, person_pk: int):
    """Send (or send again) the disclosure form: the earlier link stops working."""
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    content_person = _content_person(activity, person_pk)
    form = SendRequestForm(request.POST)
    if not form.is_valid():
        return _page(request, activity, status=400, error=" ".join(str(e) for e in form.errors["email"]))
    try:
        disclosure_services.disclosure_request_send(
            person=content_person.person,
            actor=request.user,
            activity=activity,
            email=form.cleaned_data["email"],
        )
    except ValidationError as error:
        return _page(request, activity, status=400, error=_error_text(error))
    content_person.person.refresh_from_db()
    messages.success(
        request, _("The disclosure form was emailed to %(email)s.") % {"email": content_person.person.email}
    )
    return redirect("credits:coordinator_people", pk=activity.pk)


@coordinator_required
@require_POST
def request_revoke(request: AuthenticatedHttpRequest, pk: int, person_pk: int, request_pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    content_person = _content_person(activity, person_pk)
    link = get_object_or_404(DisclosureRequest, pk=request_pk, person=content_person.person)
    if request.POST.get("step") != "confirm":
        # A destructive action asks first (issue 15): what happens, then the confirming button.
        context = {"activity": activity, "content_person": content_person, "link": link}
        return render(request, "credits/disclosures/revoke_confirm.html", context)
    try:
        disclosure_services.disclosure_request_revoke(request=link, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The link was revoked: it no longer opens the form."))
    return redirect("credits:coordinator_person", pk=activity.pk, person_pk=content_person.pk)


@coordinator_required
@require_POST
def person_remove(request: AuthenticatedHttpRequest, pk: int, person_pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    content_person = _content_person(activity, person_pk)
    try:
        disclosure_services.activity_remove_person(content_person=content_person, actor=request.user)
    except ValidationError as error:
        return _page(request, activity, status=400, error=_error_text(error))
    messages.success(
        request,
        _("%(name)s is no longer in control of content (kept in the record).")
        % {"name": content_person.person.name},
    )
    return redirect("credits:coordinator_people", pk=activity.pk)


@coordinator_required
@require_POST
def relationship_decide(request: AuthenticatedHttpRequest, pk: int, person_pk: int, relationship_pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    content_person = _content_person(activity, person_pk)
    relationship = get_object_or_404(
        FinancialRelationship, pk=relationship_pk, form__person=content_person.person
    )
    form = DecisionForm(request.POST, prefix=f"r{relationship.pk}")
    if not form.is_valid():
        return _page(request, activity, status=400, decision_form=form)
    data = form.cleaned_data
    try:
        disclosure_services.relationship_decide(
            content_person=content_person,
            relationship=relationship,
            actor=request.user,
            relevant=data["relevant"] == "yes",
            reason=data["reason"],
            mitigation=data["mitigation"],
            mitigation_note=data["mitigation_note"],
        )
    except ValidationError as error:
        form.add_error(None, _error_text(error))
        return _page(request, activity, status=400, decision_form=form)
    messages.success(request, _("Decision recorded for %(company)s.") % {"company": relationship.company})
    return redirect("credits:coordinator_people", pk=activity.pk)


@coordinator_required
@require_POST
def speaker_settle(request: AuthenticatedHttpRequest, pk: int):
    activity = coordinator_activity_or_404(request, pk)
    if (locked := locked_response(request, activity)) is not None:
        return locked
    people = list(disclosures.active_people(activity))
    form = SpeakerForm(request.POST, people=people)
    if not form.is_valid():
        return _page(request, activity, status=400, speaker_form=form)
    data = form.cleaned_data
    person = next((p for p in people if str(p.pk) == data["person"]), None)
    try:
        disclosure_services.speaker_settle(
            activity=activity,
            actor=request.user,
            speaker_name=data["speaker"],
            content_person=person,
            not_in_control_reason="" if person else data["reason"],
        )
    except ValidationError as error:
        return _page(request, activity, status=400, speaker_form=form, error=_error_text(error))
    messages.success(request, _("Recorded for %(name)s.") % {"name": data["speaker"]})
    return redirect("credits:coordinator_people", pk=activity.pk)


# --- The person's public form --------------------------------------------------------------------------

LINK_PROBLEMS = {
    "unknown": (404, _("This link does not open a disclosure form. Check that the whole link was copied.")),
    "used": (
        410,
        _(
            "This form was already completed. To change your answers, ask the provider to send you a "
            "new link."
        ),
    ),
    "revoked": (
        410,
        _("This link was replaced or withdrawn by the provider. Use the newest email you received."),
    ),
    "expired": (410, _("This link has expired. Ask the provider to send you a new one.")),
}


def _private(response):
    # The token is in the address: no cache keeps the page, and no link to another site passes the
    # address on. "same-origin", not "no-referrer": with no-referrer Chromium sends "Origin: null" on
    # the form's own POST, and Django's CSRF check refuses it (the form could never be submitted).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


# Links are 256-bit random tokens, unguessable; still, an address that keeps trying unknown links is
# stopped for a minute (counted per address and minute, like certificate verification lookups).
BAD_LINKS_PER_MINUTE = 20


def _bad_link_key(request) -> str:
    address = request.META.get("REMOTE_ADDR") or "unknown"
    return f"disclosure-bad-links:{address}:{int(timezone.now().timestamp() // 60)}"


def _too_many_bad_links(request) -> bool:
    return (cache.get(_bad_link_key(request)) or 0) >= BAD_LINKS_PER_MINUTE


def _count_bad_link(request) -> None:
    key = _bad_link_key(request)
    cache.add(key, 0, timeout=120)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)


def _link_problem(request, code: str):
    if code == "unknown":
        _count_bad_link(request)
    status, message = LINK_PROBLEMS[code]
    return _private(
        render(request, "credits/disclosures/link_problem.html", {"message": message}, status=status)
    )


def _rows_requested(request) -> int:
    try:
        rows = int(request.GET.get("rows", RELATIONSHIP_ROWS))
    except ValueError:
        rows = RELATIONSHIP_ROWS
    return max(RELATIONSHIP_ROWS, min(rows, MAX_RELATIONSHIP_ROWS))


@require_http_methods(["GET", "POST"])
def disclosure_form(request, token: str):
    """The self-service disclosure form (ACCME Standard 3.1), opened by the emailed link."""
    if _too_many_bad_links(request):
        response = render(
            request,
            "credits/disclosures/link_problem.html",
            {"message": _("Too many wrong links from your address. Wait a minute and try again.")},
            status=429,
        )
        response["Retry-After"] = "60"
        return _private(response)
    try:
        link = disclosure_services.request_for_token(token)
    except disclosure_services.DisclosureLinkError as problem:
        return _link_problem(request, problem.code)
    if request.method == "POST":
        declaration = DeclarationForm(request.POST)
        relationships = RelationshipFormSet(request.POST, prefix="rel")
        valid = declaration.is_valid() & relationships.is_valid()
        if valid:
            data = {**declaration.cleaned_data, "relationships": declared_relationships(relationships)}
            if data["no_relationships"] == bool(data["relationships"]):
                declaration.add_error(
                    None,
                    _(
                        "List every financial relationship with an ineligible company in the past 24 months, "
                        "or tick that you had none (not both)."
                    ),
                )
            else:
                try:
                    disclosure_services.disclosure_form_submit(token=token, data=data)
                except disclosure_services.DisclosureLinkError as problem:
                    return _link_problem(request, problem.code)
                except ValidationError as error:
                    declaration.add_error(None, _error_text(error))
                else:
                    return _private(
                        render(
                            request,
                            "credits/disclosures/done.html",
                            {"person": link.person, "provider": link.person.provider},
                        )
                    )
        status = 400
    else:
        # A refresh starts from the person's last form: they check it and change what changed.
        previous = disclosures.latest_form(link.person)
        initial = [
            {
                "company": r.company,
                "nature": r.nature,
                "started_on": r.started_on,
                "ended_on": r.ended_on,
                "ongoing": r.ongoing,
            }
            for r in (previous.relationships.all() if previous else [])
        ]
        declaration = DeclarationForm(initial={"signed_name": link.person.name})
        relationships = RelationshipFormSet(prefix="rel", initial=initial)
        relationships.extra = _rows_requested(request)
        status = 200
    return _private(
        render(
            request,
            "credits/disclosures/form.html",
            {
                "link": link,
                "person": link.person,
                "provider": link.person.provider,
                "declaration": declaration,
                "relationships": relationships,
                "more_rows": min(len(relationships.forms) + RELATIONSHIP_ROWS, MAX_RELATIONSHIP_ROWS),
                "previous": disclosures.latest_form(link.person),
            },
            status=status,
        )
    )
