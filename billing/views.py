"""Payment pages: the claim (it may take a fee), orders, history, passes, coordinator prices, webhook."""

import copy
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import ClaimProfileForm
from accounts.models import LearnerProfile, profile_is_complete_for_credit
from accounts.permissions import AuthenticatedHttpRequest, coordinator_required, remember_roles
from accounts.services import profile_update
from credits import moc
from credits import selectors as credit_selectors
from credits import services as credit_services
from credits.forms import ClaimForm, EvaluationForm
from credits.models import Certificate, Provider
from credits.statements import credit_mark_html
from credits.views.learner import problem_page as credit_problem

from . import gateway, selectors, services, webhooks
from .forms import ActivityFeeForm, ProviderBillingForm
from .models import ActivityFee, Order, OrderKind, OrderStatus, ProviderBilling
from .money import to_major_units

logger = logging.getLogger(__name__)


def _problem(request, message: str, status: int):
    return render(request, "billing/problem.html", {"message": message}, status=status)


def _own_order(request, reference):
    order = selectors.learner_order(learner=request.user, reference=reference)
    if order is None:
        raise Http404
    return order


# --- Webhook --------------------------------------------------------------------------------------


@csrf_exempt  # Stripe cannot send our CSRF token: the signature on the raw body is the check
@require_POST
def stripe_webhook(request):
    try:
        outcome = webhooks.webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except gateway.WebhookRejected as error:
        logger.warning("Stripe webhook refused: %s", error)
        return HttpResponseBadRequest(f"Webhook refused: {error}", content_type="text/plain")
    except gateway.GatewayError as error:  # we must ask Stripe and cannot: let Stripe send it again
        logger.warning("Stripe webhook deferred: %s", error)
        return HttpResponse("Try again later", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


# --- Learners -------------------------------------------------------------------------------------


def _claim_form(request, version, profile) -> ClaimForm:
    return ClaimForm(
        request.POST or None,
        initial={"minutes": version.estimated_minutes},
        moc_boards=[r["board"] for r in moc.version_registrations(version)],
        board_ids=profile.board_ids if profile is not None else {},
        profile=profile,
        version=version,  # the further credit types it offers: a box per type the profession may claim
    )


@login_required
def claim(request: AuthenticatedHttpRequest, pk: int):
    """The claim page (credits' URL ``credits:claim``): what is left of the way to credit, on one
    page sent once: the post-test while not passed, the evaluation while not made, the profile
    fields the certificate needs while missing, and the claim (or the payment first, when a fee
    applies). On success the learner lands on their certificate's verification page.

    It lives here, not in credits, because it may take a payment: credits never imports billing.
    """
    activity = credit_selectors.claim_activity(pk=pk)  # learner_activity's rule, the claim's columns
    if activity is None:
        raise Http404
    # The services check everything again when the form is sent (passed, evaluated, profile, expiry).
    # One read: the learner's claim if made, their version (their latest attempt's: its title,
    # designation and statements apply), their profile, their listening evidence and the steps done.
    page = credit_selectors.claim_page(learner=request.user, activity=activity)
    # The navigation's role flags came with that read (accounts.permissions' per-request cache).
    remember_roles(request.user, host=page.is_host, coordinator=page.is_coordinator)
    if page.claim is not None:
        return render(request, "credits/claim_done.html", {"activity": activity, "claim": page.claim})
    evidence, profile, version = page.evidence, page.profile, page.version
    # The post-test, while not passed: the learner's open attempt (started here if none is open).
    quiz = None
    if not page.passed:
        try:
            quiz = credit_services.attempt_start(learner=request.user, activity=activity)
        except credit_services.CreditError as exc:
            return credit_problem(request, activity, exc.message, 403)
        version = quiz.version
    if version is None:
        raise Http404
    evaluation_form = None if page.evaluated else EvaluationForm(request.POST or None)
    form = _claim_form(request, version, profile)
    # What this claim still needs from the profile (legal name, degree), asked on this page. Bound to
    # a copy: nothing is saved unless the claim form is valid too.
    profile_form = None
    if not profile_is_complete_for_credit(profile):
        instance = copy.copy(profile) if profile is not None else LearnerProfile(user=request.user)
        profile_form = ClaimProfileForm(request.POST or None, instance=instance)
    price = selectors.claim_price(learner=request.user, activity=activity)
    code = 200
    quiz_error = None
    failed = None  # an attempt failed on this page: its result is shown above the next attempt
    chosen = {key[2:]: request.POST.get(key) for key in request.POST if key.startswith("q_")}
    passed_attempt = None
    if request.method == "POST":
        # Every form checked first (every error shown at once, the answers kept); the post-test is
        # scored only when the rest can be saved, so an attempt is never spent on a skipped field.
        claim_ok = form.is_valid()
        if evaluation_form is not None:
            claim_ok = evaluation_form.is_valid() and claim_ok
        if profile_form is not None:
            claim_ok = profile_form.is_valid() and claim_ok
        if quiz is not None:
            answers = {key[2:]: request.POST.getlist(key) for key in request.POST if key.startswith("q_")}
            if len(answers) < len(quiz.questions):
                quiz_error = _("Answer every question of the post-test.")
                claim_ok = False
            elif request.POST.get("attempt") != str(quiz.pk):
                # Another tab scored or replaced the attempt this page showed: the current one, again.
                quiz_error = _("The post-test on this page has changed: answer its questions again.")
                claim_ok = False
            elif claim_ok:
                try:
                    attempt = credit_services.attempt_submit(
                        attempt_id=quiz.pk, learner=request.user, answers=answers
                    )
                except credit_services.CreditError as exc:
                    quiz_error, claim_ok = exc.message, False
                else:
                    if attempt.passed:
                        passed_attempt, quiz = attempt, None
                    else:
                        reveal = credit_services.attempt_reveals_answers(attempt)
                        failed = {
                            "attempt": attempt,
                            "rows": credit_selectors.attempt_feedback(attempt, reveal=reveal),
                            "reveal": reveal,
                        }
                        chosen, claim_ok = {}, False
                        try:
                            quiz = credit_services.attempt_start(learner=request.user, activity=activity)
                        except credit_services.CreditError as exc:
                            quiz, quiz_error = None, exc.message
        if claim_ok and evaluation_form is not None:
            try:
                credit_services.evaluation_submit(
                    learner=request.user, activity=activity, data=evaluation_form.cleaned_data
                )
            except credit_services.CreditError as exc:
                if exc.code != "already_evaluated":  # a double submit: the first one stands
                    evaluation_form.add_error(None, exc.message)
                    claim_ok = False
            if claim_ok:
                evaluation_form = None
        if claim_ok and profile_form is not None:
            try:
                profile = profile_update(
                    user=request.user,
                    data=profile_form.profile_data(),
                    degree_equivalence_attested=profile_form.cleaned_data.get("degree_equivalence", False),
                )
            except ValidationError as error:
                profile_form.add_error(None, error)
                claim_ok = False
            else:
                profile_form = None
                # The profession is known now: the further credit types it may claim, ticked.
                form = _claim_form(request, version, profile)
                claim_ok = form.is_valid()
                if form.credit_offers and not request.POST.getlist("credit_kinds"):
                    # Let the learner see (and untick) the types before claiming.
                    messages.info(
                        request,
                        _("Your profile is saved. Check the credit for your profession, then claim."),
                    )
                    claim_ok = False
        if claim_ok:
            try:
                # A fee (and no valid pass): the order is made first, with the learner's choices (MOC
                # opt-ins, credit types) checked and kept on it, and the learner goes to Stripe; the
                # claim is made with those choices when the webhook confirms the payment. No fee: the
                # claim, now. The same form fields either way.
                outcome = services.claim_submit(
                    learner=request.user,
                    activity=activity,
                    minutes=form.cleaned_data["minutes"],
                    attested=form.cleaned_data["attest"],
                    listening_evidence=evidence,
                    moc_optins=form.moc_optins(),
                    credit_kinds=form.credit_kinds(),
                )
            except services.BillingError as exc:
                if exc.code == "already_claimed":  # a double submit: show the claim that won
                    existing = credit_selectors.learner_claim(learner=request.user, activity=activity)
                    return render(
                        request, "credits/claim_done.html", {"activity": activity, "claim": existing}
                    )
                form.add_error("minutes" if exc.code == "minutes" else None, exc.message)
            else:
                if isinstance(outcome, Order):
                    return redirect(outcome.checkout_url)
                messages.success(request, _("Your credit is claimed."))
                # The certificate itself, as a board will see it, with the learner's own links; while
                # a worker has not printed it yet, that page tells its owner it is being prepared.
                certificate = getattr(outcome, "certificate", None)  # made with the claim, no query
                if certificate is not None and certificate.code:
                    return redirect("credits:verify", code=certificate.code)
                return render(request, "credits/claim_done.html", {"activity": activity, "claim": outcome})
        if form.errors or profile_form is not None or evaluation_form is not None or quiz_error:
            code = 400
    return render(
        request,
        "credits/claim.html",
        {
            "activity": activity,
            "form": form,
            "evidence": evidence,
            "profile": profile,
            "profile_complete": profile_is_complete_for_credit(profile),
            "profile_form": profile_form,
            "evaluation_form": evaluation_form,
            "attempt": quiz,
            "chosen": chosen,
            "quiz_error": quiz_error,
            "failed": failed,
            "passed_attempt": passed_attempt,
            "version": version,
            "designation": credit_mark_html(version.content.get("designation_statement", "")),
            "accreditation": version.content.get("accreditation_statement", ""),
            "price": price,
        },
        status=code,
    )


@login_required
@require_GET
def order_page(request: AuthenticatedHttpRequest, reference):
    """Stripe's success URL: says "being confirmed" until the webhook has decided, then what was bought."""
    order = _own_order(request, reference)
    certificate = Certificate.objects.filter(claim_id=order.claim_id).first() if order.claim_id else None
    return render(
        request,
        "billing/order.html",
        {"order": order, "certificate": certificate, "waiting": order.is_open},
    )


@login_required
@require_GET
def order_status(request: AuthenticatedHttpRequest, reference):
    order = _own_order(request, reference)
    return JsonResponse(
        {"status": order.status, "paid": order.status == OrderStatus.PAID, "done": not order.is_open}
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: AuthenticatedHttpRequest, reference):
    """Stripe's cancel URL lands here (GET shows the choice); the POST cancels the order."""
    order = _own_order(request, reference)
    if request.method == "POST" and order.is_open:
        try:
            services.order_cancel(order=order, actor=request.user)
        except services.BillingError as error:
            return _problem(request, error.message, 409)
        messages.info(request, _("Payment cancelled. Nothing was charged."))
        if order.kind == OrderKind.CLAIM:
            return redirect("credits:claim", pk=order.activity_id)
        return redirect("billing:history")
    return render(request, "billing/order_cancel.html", {"order": order})


@login_required
@require_POST
def pass_buy(request: AuthenticatedHttpRequest, slug: str):
    provider = get_object_or_404(Provider, slug=slug)
    try:
        order = services.pass_checkout_start(learner=request.user, provider=provider)
    except services.BillingError as error:
        return _problem(request, error.message, 409 if error.code == "already_holds_pass" else 400)
    return redirect(order.checkout_url)


@login_required
def payment_history(request: AuthenticatedHttpRequest):
    return render(
        request,
        "billing/history.html",
        {
            "orders": selectors.learner_orders(learner=request.user),
            "passes": selectors.learner_passes(learner=request.user),
        },
    )


# --- Coordinators ---------------------------------------------------------------------------------


def _coordinated_provider(request, slug: str) -> Provider:
    # Another provider's pages do not exist for this coordinator.
    return get_object_or_404(Provider, slug=slug, memberships__user=request.user)


@coordinator_required
def coordinator_fee(request: AuthenticatedHttpRequest, pk: int):
    activity = credit_selectors.coordinator_activity(user=request.user, pk=pk)
    if activity is None:
        raise Http404
    billing = ProviderBilling.objects.filter(provider=activity.provider).first()
    currency = billing.currency if billing else "usd"
    fee = ActivityFee.objects.filter(activity=activity).first()
    enabled = gateway.payments_enabled()
    form = ActivityFeeForm(
        request.POST or None,
        currency=currency,
        initial={"amount": to_major_units(fee.amount if fee else 0, currency)},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid() and enabled:
            try:
                services.activity_fee_set(
                    activity=activity, actor=request.user, amount=form.cleaned_data["amount"]
                )
            except services.BillingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Fee saved."))
                return redirect("billing:coordinator_fee", pk=pk)
        status = 400
    return render(
        request,
        "billing/coordinator/fee.html",
        {"activity": activity, "form": form, "currency": currency, "enabled": enabled},
        status=status,
    )


@coordinator_required
def coordinator_pass(request: AuthenticatedHttpRequest, slug: str):
    provider = _coordinated_provider(request, slug)
    billing = ProviderBilling.objects.filter(provider=provider).first()
    enabled = gateway.payments_enabled()
    currency = billing.currency if billing else "usd"
    initial = {
        "currency": currency,
        "pass_price": to_major_units(billing.pass_price, currency) if billing and billing.pass_price else "",
    }
    form = ProviderBillingForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid() and enabled:
            try:
                services.provider_billing_set(
                    provider=provider,
                    actor=request.user,
                    currency=form.cleaned_data["currency"],
                    pass_price=form.cleaned_data["pass_price"],
                )
            except services.BillingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Currency and annual pass saved."))
                return redirect("billing:coordinator_pass", slug=slug)
        status = 400
    return render(
        request,
        "billing/coordinator/pass.html",
        {"provider": provider, "form": form, "enabled": enabled},
        status=status,
    )


@coordinator_required
def coordinator_orders(request: AuthenticatedHttpRequest, slug: str):
    provider = _coordinated_provider(request, slug)
    return render(
        request,
        "billing/coordinator/orders.html",
        {
            "provider": provider,
            "orders": selectors.provider_orders(provider=provider),
            "revenue": selectors.provider_revenue(provider=provider),
        },
    )
