"""Certificates: the learner's PDF and correction requests, public verification, coordinator actions."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import AuthenticatedHttpRequest, answers_before_sessions, coordinator_required
from episodes import object_storage

from .. import certificate_search, report_selectors, selectors
from .. import certificates as service
from ..downloads import certificate_download_path, certificate_from_token
from ..errors import CreditError
from ..models import Certificate, CorrectionRequest
from ..statements import format_credits

# --- Forms ---------------------------------------------------------------------------------------


class CorrectionForm(forms.Form):
    learner_name = forms.CharField(label=gettext_lazy("Name as it should be printed"), max_length=400)
    degree = forms.CharField(label=gettext_lazy("Degree as it should be printed"), max_length=40)
    message = forms.CharField(
        label=gettext_lazy("What is wrong (optional)"), max_length=2000, required=False, widget=forms.Textarea
    )


# Revoking and re-issuing are destructive: the first POST shows what will happen and asks for a
# confirmation (typing REVOKE, or ticking a box); only the second, confirmed POST changes anything.
CONFIRM_STEP = "confirm"
REVOKE_WORD = "REVOKE"


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for revoking (kept in the record and emailed to the learner)"),
        max_length=500,
    )
    step = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm_word = forms.CharField(
        label=gettext_lazy("Type REVOKE to confirm"), max_length=20, required=False
    )


class ReissueForm(forms.Form):
    learner_name = forms.CharField(label=gettext_lazy("Name to print"), max_length=400, required=False)
    degree = forms.CharField(label=gettext_lazy("Degree to print"), max_length=40, required=False)
    from_profile = forms.BooleanField(
        label=gettext_lazy("Take the name and degree from the learner's profile as it is now"), required=False
    )
    credits = forms.CharField(
        label=gettext_lazy("Credits"),
        max_length=10,
        required=False,
        help_text=gettext_lazy("Quarter steps, at least 0.25, at most the activity's designation."),
    )
    completion_date = forms.DateField(
        label=gettext_lazy("Completion date"),
        required=False,
        help_text=gettext_lazy("In the provider's time zone; not in the future, not before the release."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction (kept in the record and emailed to the learner)"),
        max_length=500,
    )
    step = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked the changes: issue the new revision"), required=False
    )

    # Sent again, hidden, by the confirmation page.
    CARRIED = ("learner_name", "degree", "from_profile", "credits", "completion_date", "reason")


class CertificateSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Learner name, email, certificate number or verification code"),
        max_length=100,
        required=False,
    )
    size = forms.TypedChoiceField(
        label=gettext_lazy("Per page"),
        choices=[(n, str(n)) for n in report_selectors.PAGE_SIZES],
        coerce=int,
        required=False,
        empty_value=None,
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve and re-issue")), ("reject", gettext_lazy("Decline"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Note to the learner"), max_length=500, required=False)


# --- The learner ---------------------------------------------------------------------------------


def _own_certificate(request, pk: int) -> Certificate:
    # Another learner's certificate does not exist for this user.
    return get_object_or_404(
        Certificate.objects.select_related("claim__activity__provider"), pk=pk, claim__learner=request.user
    )


@login_required
@require_GET
def certificate_pdf(request: AuthenticatedHttpRequest, pk: int):
    """The learner's own certificate: checked here, then handed over by a short-lived signed link.

    The signed link is answered before the session and auth middleware (like a static file), so
    downloading an issued certificate costs one query and the file, not a page's worth of work.
    """
    certificate = _own_certificate(request, pk)
    if certificate.status == Certificate.Status.REVOKED:
        context = {"certificate": certificate, "revoked_on": service.revoked_on(certificate)}
        return render(request, "credits/certificate/revoked.html", context, status=410)
    if certificate.pdf and not service.stored_pdf_is_sound(certificate.pdf.name):
        certificate = service.certificate_mark_broken(certificate=certificate)  # never serve 0 bytes
    if not certificate.pdf:
        return _pdf_not_ready(request, certificate)
    response = redirect(certificate_download_path(certificate))
    response["Cache-Control"] = "private, no-store"
    return response


def _reload_after(certificate: Certificate) -> int | None:
    """Seconds until the waiting page reloads itself: often at first, then less, then not at all."""
    if certificate.pdf_is_late:
        return None  # the page says what happened; reloading every few seconds would not help
    age = (timezone.now() - certificate.issued_at).total_seconds()
    return 5 if age < 60 else 30


def _pdf_not_ready(request, certificate: Certificate):
    reload_after = _reload_after(certificate)
    context = {"certificate": certificate, "claim": certificate.claim, "reload_after": reload_after}
    response = render(request, "credits/certificate/pending.html", context, status=202)
    if reload_after:
        response["Retry-After"] = str(reload_after)
    return response


@answers_before_sessions
@require_GET
def certificate_download(request, token: str, filename: str):
    """Serve an issued certificate from a signed link made by ``certificate_pdf`` (valid minutes)."""
    issued = certificate_from_token(token)
    if issued is None or filename != f"{issued.number}.pdf":
        raise Http404  # expired, forged, revoked since, or re-issued since: ask the page again
    if not service.stored_pdf_has_bytes(issued.pdf_name):
        raise Http404  # emptied since the page checked it (a full disk): the page says so and re-renders
    prefix = settings.PODCASTCME_X_ACCEL_REDIRECT_PREFIX
    response: HttpResponse | FileResponse
    if object_storage.is_remote(default_storage):  # the bucket sends it, from a URL valid minutes
        response = object_storage.signed_redirect(
            default_storage,
            issued.pdf_name,
            seconds=object_storage.private_seconds(),
            content_type="application/pdf",
            filename=filename,
            attachment=True,
            cache_control="private, no-store",
            method=request.method,
        )
    elif prefix:
        response = HttpResponse(content_type="application/pdf")
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + issued.pdf_name
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            issued.open(), as_attachment=True, filename=filename, content_type="application/pdf"
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def correction_request(request: AuthenticatedHttpRequest, pk: int):
    certificate = _own_certificate(request, pk)
    pending = certificate.correction_requests.filter(status=CorrectionRequest.Status.PENDING).first()
    initial = {"learner_name": certificate.learner_name, "degree": certificate.degree}
    form = CorrectionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                service.correction_request_create(
                    certificate=certificate, learner=request.user, **form.cleaned_data
                )
            except CreditError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your request was sent to the provider."))
                return redirect("credits:my_learning")
        status = 400
    return render(
        request,
        "credits/correction_request.html",
        {"certificate": certificate, "form": form, "pending": pending},
        status=status,
    )


# --- Public verification -------------------------------------------------------------------------


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def _rate_limited(request) -> bool:
    """At most PODCASTCME_VERIFY_LOOKUPS_PER_MINUTE lookups per IP and minute: no guessing codes in bulk."""
    key = f"verify-lookups:{_client_ip(request)}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > settings.PODCASTCME_VERIFY_LOOKUPS_PER_MINUTE


def _too_many(json: bool) -> HttpResponse:
    message = _("Too many verification lookups from your address. Wait a minute and try again.")
    response: HttpResponse
    if json:
        response = JsonResponse({"error": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "60"
    return response


def _find(code: str, *, owner=None) -> Certificate | None:
    """The certificate with this code; one not printed yet only for its learner (``owner``): nobody
    else holds it yet."""
    canonical = service.code_normalize(code)
    if canonical is None:
        return None
    found = Certificate.objects.filter(code=canonical).select_related("claim__activity__provider").first()
    if found is None or found.status != Certificate.Status.PENDING:
        return found
    mine = owner is not None and owner.is_authenticated and found.claim.learner_id == owner.pk
    return found if mine else None


def _verification(certificate: Certificate) -> dict:
    """What anyone holding the code sees: the printed fields and, for a revoked certificate, that it
    was revoked and when (the day in the provider's time zone). Never the coordinator's reason: it is
    internal (the learner is told it by email; the coordinator's page shows it)."""
    fields = service.certificate_fields(certificate)
    data = {
        "code": service.code_display(certificate.code),
        "status": "revoked" if certificate.status == Certificate.Status.REVOKED else "valid",
        **fields,
    }
    if certificate.status == Certificate.Status.REVOKED:
        if certificate.revoked_at is None:  # the check constraint certificate_revoked_has_date forbids it
            raise ValueError(f"Certificate {certificate.number} is revoked but has no revocation time.")
        data["revoked_at"] = certificate.revoked_at.isoformat()
        data["revoked_on"] = service.revoked_on(certificate).isoformat()
    return data


NOT_FOUND = gettext_lazy("No certificate has this code. Check it against the certificate and try again.")


@require_GET
def verify_lookup(request):
    code = request.GET.get("code", "").strip()
    if not code:
        return render(request, "credits/verify_lookup.html", {})
    canonical = service.code_normalize(code)
    if canonical is None:
        error = _(
            "That is not a certificate code: a code has 28 letters and digits, printed in groups of four "
            "(like 7K3M-9Q2D-…)."
        )
        return render(request, "credits/verify_lookup.html", {"code": code, "error": error}, status=400)
    return redirect("credits:verify", code=service.code_display(canonical))


@require_GET
def verify_html(request, code: str):
    if _rate_limited(request):
        return _too_many(json=False)
    certificate = _find(code, owner=request.user)
    if certificate is None:
        return render(request, "credits/verify_lookup.html", {"code": code, "error": NOT_FOUND}, status=404)
    revoked = certificate.status == Certificate.Status.REVOKED
    context = {
        "pending": certificate.status == Certificate.Status.PENDING,
        "certificate": certificate,
        "v": _verification(certificate),
        "issued_on": service.issue_date(certificate),
        "revoked": revoked,
        "revoked_on": service.revoked_on(certificate) if revoked else None,
        "own": selectors.own_certificate(certificate=certificate, user=request.user),
    }
    response = render(request, "credits/verify.html", context)
    response["Cache-Control"] = "no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def verify_json(request, code: str):
    if _rate_limited(request):
        return _too_many(json=True)
    certificate = _find(code)
    if certificate is None:
        return JsonResponse({"error": str(NOT_FOUND)}, status=404)
    response = JsonResponse(_verification(certificate), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Coordinators --------------------------------------------------------------------------------


def _coordinated_certificate(request, pk: int) -> Certificate:
    # Certificates of providers the user does not coordinate do not exist for them.
    return get_object_or_404(
        Certificate.objects.select_related("claim__activity__provider", "claim__learner"),
        pk=pk,
        claim__activity__provider__memberships__user=request.user,
    )


def _reissue_initial(certificate: Certificate) -> dict:
    return {
        "learner_name": certificate.learner_name,
        "degree": certificate.degree,
        "credits": format_credits(certificate.credits),
        "completion_date": certificate.completion_date,
    }


def _certificate_page(request, certificate: Certificate, *, revoke=None, reissue=None, status=200):
    revoked = certificate.status == Certificate.Status.REVOKED
    context = {
        "certificate": certificate,
        "v": _verification(certificate),
        "issued_on": service.issue_date(certificate),
        "revoked_on": service.revoked_on(certificate) if revoked else None,
        "revisions": certificate.revisions.order_by("-revision"),
        "corrections": certificate.correction_requests.select_related("requested_by"),
        "revoke_form": revoke or RevokeForm(),
        "reissue_form": reissue or ReissueForm(initial=_reissue_initial(certificate)),
        "provider": certificate.claim.activity.provider,
    }
    return render(request, "credits/coordinator_certificate.html", context, status=status)


def _confirm_page(request, certificate: Certificate, *, action: str, form, changes=None, status=200):
    """The confirmation step of a destructive action: what will happen, and the confirming control."""
    carried = ("reason",) if action == "revoke" else ReissueForm.CARRIED
    hidden = [(name, request.POST[name]) for name in carried if request.POST.get(name, "") != ""]
    context = {
        "certificate": certificate,
        "action": action,
        "form": form,
        "hidden": hidden,
        "changes": changes or [],
        "revoke_word": REVOKE_WORD,
    }
    return render(request, "credits/certificate/confirm.html", context, status=status)


@coordinator_required
@require_GET
def coordinator_certificate(request: AuthenticatedHttpRequest, pk: int):
    return _certificate_page(request, _coordinated_certificate(request, pk))


@coordinator_required
@require_POST
def coordinator_revoke(request: AuthenticatedHttpRequest, pk: int):
    certificate = _coordinated_certificate(request, pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return _certificate_page(request, certificate, revoke=form, status=400)
    if certificate.status == Certificate.Status.REVOKED:
        form.add_error(None, _("This certificate is already revoked."))
        return _certificate_page(request, certificate, revoke=form, status=400)
    if form.cleaned_data["step"] != CONFIRM_STEP:
        return _confirm_page(request, certificate, action="revoke", form=form)
    if form.cleaned_data["confirm_word"].strip().upper() != REVOKE_WORD:
        form.add_error("confirm_word", _("Type REVOKE to confirm: nothing was changed."))
        return _confirm_page(request, certificate, action="revoke", form=form, status=400)
    try:
        service.certificate_revoke(
            certificate=certificate, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except CreditError as exc:
        form.add_error(None, exc.message)
        return _certificate_page(request, certificate, revoke=form, status=400)
    messages.success(request, _("The certificate is revoked and the learner has been told."))
    return redirect("credits:coordinator_certificate", pk=pk)


def _reissue_arguments(data: dict) -> dict:
    from_profile = data["from_profile"]
    return {
        "reason": data["reason"],
        "learner_name": None if from_profile else (data["learner_name"] or None),
        "degree": None if from_profile else (data["degree"] or None),
        "from_profile": from_profile,
        "credits": data["credits"].strip() or None,
        "completion_date": data["completion_date"],
    }


@coordinator_required
@require_POST
def coordinator_reissue(request: AuthenticatedHttpRequest, pk: int):
    certificate = _coordinated_certificate(request, pk)
    form = ReissueForm(request.POST)
    if not form.is_valid():
        return _certificate_page(request, certificate, reissue=form, status=400)
    arguments = _reissue_arguments(form.cleaned_data)
    try:
        plan = service.certificate_reissue_preview(certificate=certificate, actor=request.user, **arguments)
    except CreditError as exc:
        form.add_error(None, exc.message)
        return _certificate_page(request, certificate, reissue=form, status=400)
    changes = service.changes_for_people(plan.changed)
    if form.cleaned_data["step"] != CONFIRM_STEP:
        return _confirm_page(request, certificate, action="reissue", form=form, changes=changes)
    if not form.cleaned_data["confirm"]:
        form.add_error("confirm", _("Tick the box to confirm the new revision: nothing was changed."))
        return _confirm_page(request, certificate, action="reissue", form=form, changes=changes, status=400)
    try:
        service.certificate_reissue(certificate=certificate, actor=request.user, **arguments)
    except CreditError as exc:
        form.add_error(None, exc.message)
        return _certificate_page(request, certificate, reissue=form, status=400)
    messages.success(request, _("The certificate is re-issued as a new revision; the learner has been told."))
    return redirect("credits:coordinator_certificate", pk=pk)


@coordinator_required
@require_GET
def coordinator_certificates(request: AuthenticatedHttpRequest):
    """Find a certificate of the coordinator's providers by learner name, email, number or code."""
    form = CertificateSearchForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request, "credits/coordinator/certificates.html", {"form": form, "page": None}, status=400
        )
    query = form.cleaned_data["q"] if request.GET else ""
    size = (form.cleaned_data["size"] if request.GET else None) or report_selectors.PAGE_SIZES[0]
    results = certificate_search.certificate_search(user=request.user, query=query)
    # A page at a time along the index on (issued_at, id): "Older" continues after the page's last
    # certificate, "Newer" before its first. No OFFSET, no COUNT of every certificate: the page
    # costs the same at 100 claims or 10,000 (credits/report_selectors.py, bench/bench_reports.py).
    keep = {"q": query, **({"size": size} if size != report_selectors.PAGE_SIZES[0] else {})}
    query_string = urlencode({k: v for k, v in keep.items() if v})
    try:
        page = report_selectors.certificate_page(
            results, size=size, before=request.GET.get("before"), after=request.GET.get("after")
        )
    except report_selectors.BadCursor:  # a malformed link, or not one of the coordinator's certificates
        context = {"form": form, "page": None, "q": query, "bad_page": True, "query_string": query_string}
        return render(request, "credits/coordinator/certificates.html", context, status=404)
    return render(
        request,
        "credits/coordinator/certificates.html",
        {
            "form": form,
            "page": page,
            "q": query,
            "query_string": query_string,
        },
    )


@coordinator_required
@require_GET
def coordinator_corrections(request: AuthenticatedHttpRequest):
    query = request.GET.get("q", "").strip()
    providers = Q(certificate__claim__activity__provider__memberships__user=request.user)
    if query:
        canonical = service.code_normalize(query)
        found = (
            Certificate.objects.filter(claim__activity__provider__memberships__user=request.user)
            .filter(Q(number__iexact=query) | Q(code=canonical or "-"))
            .first()
        )
        if found is not None:
            return redirect("credits:coordinator_certificate", pk=found.pk)
        messages.error(request, _("No certificate of your providers has this number or code."))
    requests = (
        CorrectionRequest.objects.filter(providers)
        .select_related("certificate", "requested_by")
        .order_by("status", "-requested_at")[:200]
    )
    return render(request, "credits/corrections.html", {"requests": requests, "q": query})


@coordinator_required
def coordinator_correction_decide(request: AuthenticatedHttpRequest, pk: int):
    correction = get_object_or_404(
        CorrectionRequest.objects.select_related("certificate", "requested_by"),
        pk=pk,
        certificate__claim__activity__provider__memberships__user=request.user,
    )
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                service.correction_request_decide(
                    correction=correction,
                    actor=request.user,
                    approve=form.cleaned_data["decision"] == "approve",
                    note=form.cleaned_data["note"],
                )
            except CreditError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("credits:coordinator_corrections")
        status = 400
    return render(
        request,
        "credits/certificate/correction_decide.html",
        {"correction": correction, "form": form},
        status=status,
    )
