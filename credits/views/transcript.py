"""The learner's transcript (page, CSV, PDF) and self-reported credits."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest
from episodes import object_storage

from .. import credit_transcript, external_credits, transcript_export
from ..forms_transcript import ExternalCreditForm, TranscriptFilterForm
from ..models import ExternalCredit


def _filtered(
    request, *, with_licences: bool = True
) -> tuple[TranscriptFilterForm, credit_transcript.Transcript | None]:
    """The filter form bound to the query string and, when it is valid, the transcript it selects."""
    form = TranscriptFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    return form, credit_transcript.learner_transcript(
        learner=request.user,
        start=data.get("start"),
        end=data.get("end"),
        topic=data.get("topic"),
        with_licences=with_licences,
    )


def _bad_filters(request, form: TranscriptFilterForm):
    return render(request, "credits/transcript.html", {"form": form, "transcript": None}, status=400)


@login_required
def transcript_page(request: AuthenticatedHttpRequest):
    form, transcript = _filtered(request)
    if transcript is None:
        return _bad_filters(request, form)
    return render(
        request,
        "credits/transcript.html",
        {"form": form, "transcript": transcript, "query": request.GET.urlencode()},
    )


@login_required
def transcript_csv(request: AuthenticatedHttpRequest):
    form, transcript = _filtered(request, with_licences=False)
    if transcript is None:
        return _bad_filters(request, form)
    response = StreamingHttpResponse(
        transcript_export.transcript_csv_lines(transcript), content_type="text/csv; charset=utf-8"
    )
    filename = transcript_export.export_filename(transcript, "csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def transcript_pdf(request: AuthenticatedHttpRequest):
    """Ask for the PDF: a task lays it out. The learner is sent to its page, which says it is being
    prepared and offers the download once it is ready. When it is ready at once (the immediate task
    backend of development and tests), the PDF itself is the answer."""
    form = TranscriptFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return _bad_filters(request, form)
    data = form.cleaned_data if request.GET else {}
    token = transcript_export.transcript_pdf_request(
        learner=request.user, start=data.get("start"), end=data.get("end"), topic=data.get("topic")
    )
    state = transcript_export.transcript_pdf_state(learner=request.user, token=token)
    if state is not None and state.state == "ready":
        return _pdf_download(state)
    return redirect("credits:transcript_pdf_status", token=token)


def _pdf_state_or_404(request, token: str) -> transcript_export.PdfState:
    state = transcript_export.transcript_pdf_state(learner=request.user, token=token)
    if state is None:  # not this learner's, or never asked for
        raise Http404
    return state


@login_required
def transcript_pdf_status(request: AuthenticatedHttpRequest, token: str):
    """ "Being prepared" (the page reloads itself), then the download link; or what went wrong."""
    state = _pdf_state_or_404(request, token)
    waiting = state.state == "pending" and not state.late
    return render(
        request,
        "credits/transcript_pdf_status.html",
        {"state": state, "token": token, "reload_after": 3 if waiting else None},
    )


@login_required
def transcript_pdf_download(request: AuthenticatedHttpRequest, token: str):
    state = _pdf_state_or_404(request, token)
    if state.state != "ready":
        return redirect("credits:transcript_pdf_status", token=token)
    return _pdf_download(state)


def _pdf_download(state: transcript_export.PdfState) -> HttpResponse:
    # A transcript PDF is small (tens to hundreds of KB): read whole, answered with its length.
    try:
        with default_storage.open(state.path, "rb") as handle:
            pdf = handle.read()
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{state.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _own_credit(request, pk: int) -> ExternalCredit:
    credit = credit_transcript.learner_external_credit(learner=request.user, pk=pk)
    if credit is None:  # another learner's id is simply not found
        raise Http404
    return credit


def _form_context(form: ExternalCreditForm, credit: ExternalCredit | None) -> dict:
    return {"form": form, "credit": credit}


@login_required
@require_http_methods(["GET", "POST"])
def external_create(request: AuthenticatedHttpRequest):
    form = ExternalCreditForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            external_credits.external_credit_create(
                learner=request.user,
                data=form.cleaned_data,
                topics=form.cleaned_data["mandate_topics"],
                certificate_file=form.cleaned_data.get("certificate_file") or None,
            )
            messages.success(request, _("Your self-reported credit has been added to your transcript."))
            return redirect("credits:transcript")
        return render(request, "credits/external_form.html", _form_context(form, None), status=400)
    return render(request, "credits/external_form.html", _form_context(form, None))


@login_required
@require_http_methods(["GET", "POST"])
def external_edit(request: AuthenticatedHttpRequest, pk: int):
    credit = _own_credit(request, pk)
    if request.method == "POST":
        # Not bound to ``credit``: validating would change it in memory before the service sees it.
        form = ExternalCreditForm(request.POST, request.FILES)
        if form.is_valid():
            external_credits.external_credit_update(
                credit=credit,
                learner=request.user,
                data=form.cleaned_data,
                topics=form.cleaned_data["mandate_topics"],
                certificate_file=form.cleaned_data.get("certificate_file") or None,
                clear_file=form.cleaned_data["remove_file"],
            )
            messages.success(request, _("Your self-reported credit has been saved."))
            return redirect("credits:transcript")
        return render(request, "credits/external_form.html", _form_context(form, credit), status=400)
    form = ExternalCreditForm(instance=credit)
    return render(request, "credits/external_form.html", _form_context(form, credit))


@login_required
@require_http_methods(["GET", "POST"])
def external_delete(request: AuthenticatedHttpRequest, pk: int):
    credit = _own_credit(request, pk)
    if request.method == "POST":
        external_credits.external_credit_delete(credit=credit, learner=request.user)
        messages.success(request, _("The self-reported credit has been deleted."))
        return redirect("credits:transcript")
    return render(request, "credits/external_delete.html", {"credit": credit})


@login_required
def external_file(request: AuthenticatedHttpRequest, pk: int):
    credit = _own_credit(request, pk)
    if not credit.certificate_file:
        raise Http404
    kind = credit.certificate_file.name.rsplit(".", 1)[-1].lower()
    content_type = external_credits.CONTENT_TYPES.get(kind)
    if content_type is None:
        raise Http404
    filename = f"certificate-{credit.pk}.{kind}"
    storage = credit.certificate_file.storage
    if object_storage.is_remote(storage):
        return _bucket_download(storage, credit.certificate_file.name, content_type, filename)
    try:
        handle = credit.certificate_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def _bucket_download(storage, name: str, content_type: str, filename: str) -> HttpResponse:
    """The learner's own file from object storage: 302 to a URL signed for a few minutes."""
    if not storage.exists(name):
        raise Http404
    return object_storage.signed_redirect(
        storage,
        name,
        seconds=object_storage.private_seconds(),
        content_type=content_type,
        filename=filename,
        attachment=True,
        cache_control="private, no-store",
    )
