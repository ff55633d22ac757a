"""Coordinator pages for credit for every profession (docs/credit-types.md): the provider's
accreditations, and the further credit types (ANCC, ACPE, AAPA, IPCE) one activity offers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import credit_type_services, credit_types, grants
from ..errors import CreditError
from ..forms_credit_types import AccreditationsForm, CreditTypeForm
from ..models import AcpeActivityType, Activity, ActivityCredit, CreditKind
from .access import coordinator_activity_or_404, coordinator_provider_or_404, locked_response


@coordinator_required
def provider_accreditations(request: AuthenticatedHttpRequest, slug: str):
    """The accreditations the provider holds, which decide the credit types its activities may offer."""
    provider = coordinator_provider_or_404(
        request, slug
    )  # another provider's page does not exist for them (404)
    error = ""
    if request.method == "POST":
        form = AccreditationsForm(request.POST)
        if form.is_valid():
            try:
                result = credit_type_services.accreditations_save(
                    provider=provider, actor=request.user, **form.cleaned_data
                )
            except CreditError as exc:
                error = exc.message
            else:
                text = _("Accreditations saved.")
                if result.refreshed:
                    text += " " + ngettext(
                        "%(n)d published activity now shows the new statements.",
                        "%(n)d published activities now show the new statements.",
                        len(result.refreshed),
                    ) % {"n": len(result.refreshed)}
                if result.locked:
                    text += " " + _(
                        "Not changed, because their show's hosts no longer let you change them: %(titles)s."
                    ) % {"titles": "; ".join(a.title for a in result.locked)}
                messages.success(request, text)
                return redirect("credits:coordinator_accreditations", slug=provider.slug)
    else:
        form = AccreditationsForm(initial=credit_type_services.accreditation_snapshot(provider))
    return render(
        request,
        "credits/coordinator/accreditations.html",
        {
            "provider": provider,
            "form": form,
            "error": error,
            "allowed": [credit_types.kind_label(k) for k in credit_types.provider_kinds(provider)],
        },
        status=400 if request.method == "POST" else 200,
    )


def _rows(activity: Activity) -> list[dict[str, object]]:
    provider = activity.provider
    allowed = set(credit_types.provider_kinds(provider))
    rows: list[dict[str, object]] = []
    for row in ActivityCredit.objects.filter(activity=activity).order_by("kind"):
        rows.append(
            {
                "row": row,
                "label": credit_types.kind_label(row.kind),
                "allowed": row.kind in allowed,
                "needs": credit_types.accreditation_needed(row.kind),
                "statement": credit_types.statement(
                    kind=row.kind,
                    provider=provider,
                    amount=row.amount,
                    uan=row.uan,
                    acpe_type=row.acpe_activity_type,
                ),
            }
        )
    return rows


@coordinator_required
def activity_credit_types(request: AuthenticatedHttpRequest, pk: int):
    """AMA (read-only here) and each further type with its amount, UAN, ACPE type and statement;
    POST ``action`` add / change / remove. A published activity gets a new version when learners
    already started the current one (learners under way keep what they were offered)."""
    activity = coordinator_activity_or_404(request, pk)
    error = ""
    form = CreditTypeForm()
    if request.method == "POST":
        locked = locked_response(request, activity)
        if locked is not None:
            return locked
        action = request.POST.get("action", "")
        try:
            if action == "remove":
                kind = request.POST.get("kind", "")
                credit_type_services.credit_type_remove(activity=activity, actor=request.user, kind=kind)
                done = _("%(type)s is no longer offered.") % {"type": credit_types.kind_label(kind)}
            elif action in ("add", "change"):
                form = CreditTypeForm(request.POST)
                if not form.is_valid():
                    raise CreditError(
                        " ".join(
                            f"{form.fields[name].label}: {' '.join(str(e) for e in errs)}"
                            for name, errs in form.errors.items()
                        ),
                        "form",
                    )
                service = (
                    credit_type_services.credit_type_add
                    if action == "add"
                    else credit_type_services.credit_type_change
                )
                service(activity=activity, actor=request.user, **form.cleaned_data)
                done = _("%(type)s saved.") % {"type": credit_types.kind_label(form.cleaned_data["kind"])}
            else:
                raise CreditError(_("Choose what to do: add, change or remove a credit type."), "action")
        except CreditError as exc:
            error = exc.message
        except ValidationError as exc:  # the activity would no longer pass the publishing checks
            error = " ".join(exc.messages)
        else:
            messages.success(request, done)
            return redirect("credits:coordinator_credit_types", pk=activity.pk)
        activity.refresh_from_db()
    provider = activity.provider
    allowed = credit_types.provider_kinds(provider)
    rows = _rows(activity)
    offered = {r["row"].kind for r in rows}  # type: ignore[attr-defined]
    return render(
        request,
        "credits/coordinator/credit_types.html",
        {
            "activity": activity,
            "provider": provider,
            "rows": rows,
            "addable": [(k, credit_types.kind_label(k)) for k in allowed if k not in offered],
            "not_allowed": [
                (credit_types.kind_label(k), credit_types.accreditation_needed(k))
                for k in CreditKind.values
                if k not in allowed
            ],
            "acpe_types": AcpeActivityType.choices,
            "form": form,
            "error": error,
            "changeable": grants.activity_is_changeable(activity),
        },
        status=400 if error else 200,
    )
