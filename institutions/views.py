"""Pages of institutional access: the learner's institutions (join by domain, consent, leave), an
invitation link, and the institution admin's page (seats, members, invitations, shared completions).

Thin: check who asks, call one service or selector, render. The admin pages answer only the
institution's own admins (InstitutionAdmin rows), and only after a two-factor login (see
``institution_admin_required``); staff use Django's admin instead."""

import csv
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.permissions import has_mfa, is_authenticated_active, session_completed_mfa

from . import invitations, selectors, services
from .errors import InstitutionError
from .forms import ConsentForm, InviteForm
from .models import Institution, Invitation, Membership


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # behind login_required
    return user


def _consent(request: HttpRequest) -> bool:
    """The consent checkbox as posted: ticked means yes; absent (or anything unreadable) means no."""
    form = ConsentForm(request.POST)
    return bool(form.is_valid() and form.cleaned_data["shares_completions"])


def _problem(request: HttpRequest, error: InstitutionError, *, institution: Institution | None = None):
    return render(
        request,
        "institutions/problem.html",
        {"message": error.message, "institution": institution},
        status=error.status,
    )


# --- Learners -------------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Your institutions: current seats (consent, leave), institutions you may join by a verified
    address, and those you could join once an address is verified."""
    user = _user(request)
    memberships = selectors.learner_memberships(user=user)
    current = {m.institution_id for m in memberships if m.ended_at is None}
    barred = selectors.barred_institution_ids(user=user)
    return render(
        request,
        "institutions/mine.html",
        {
            "memberships": memberships,
            "eligible": [
                i for i in selectors.eligible_institutions(user=user) if i.pk not in current | barred
            ],
            "removed_from": [m for m in memberships if m.removed_at and not m.readmitted_at],
            "unverified": [
                i for i in selectors.unverified_domain_institutions(user=user) if i.pk not in current | barred
            ],
            "consent_form": ConsentForm(),
        },
    )


@login_required
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    institution = get_object_or_404(Institution, slug=slug)
    try:
        invitations.membership_join_by_domain(
            institution=institution, user=_user(request), shares_completions=_consent(request)
        )
    except InstitutionError as error:
        return _problem(request, error, institution=institution)
    messages.success(request, _("You hold a seat at %(name)s.") % {"name": institution.name})
    return redirect("institutions:mine")


def _own_membership(request: HttpRequest, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("institution"), pk=pk, user=_user(request))


@login_required
@require_POST
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _own_membership(request, pk)
    shares = _consent(request)
    try:
        services.membership_consent_set(membership=membership, user=_user(request), shares_completions=shares)
    except InstitutionError as error:
        return _problem(request, error, institution=membership.institution)
    if shares:
        messages.success(
            request, _("%(name)s now sees your completions.") % {"name": membership.institution.name}
        )
    else:
        messages.success(
            request, _("%(name)s no longer sees your completions.") % {"name": membership.institution.name}
        )
    return redirect("institutions:mine")


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _own_membership(request, pk)
    services.membership_end(membership=membership, actor=_user(request), reason="left")
    messages.success(
        request, _("You left %(name)s; your seat is free.") % {"name": membership.institution.name}
    )
    return redirect("institutions:mine")


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the email. Anyone holding it sees whom it invites and to what; accepting needs
    a login with that address verified."""
    try:
        found = invitations.invitation_for_token(token)
    except InstitutionError as error:
        return _problem(request, error)
    problem = invitations.invitation_problem(found)
    if problem is not None:
        return _problem(request, problem, institution=found.institution)
    if request.method == "POST":
        if not is_authenticated_active(request.user):
            return redirect_to_login(request.get_full_path())
        try:
            invitations.invitation_accept(
                token=token, user=_user(request), shares_completions=_consent(request)
            )
        except InstitutionError as error:
            return _problem(request, error, institution=found.institution)
        messages.success(request, _("You hold a seat at %(name)s.") % {"name": found.institution.name})
        return redirect("institutions:mine")
    return render(
        request,
        "institutions/invitation.html",
        {
            "invitation": found,
            "institution": found.institution,
            "form": ConsentForm(),
            "next": request.get_full_path(),
        },
    )


# --- The institution's admins ---------------------------------------------------------------------


def institution_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only the institution's own admins, after a two-factor login: they see clinicians' records.

    The site-wide gate (MFA_REQUIRED_PATH_PREFIXES) knows hosts, coordinators and staff only
    (accounts cannot see institutions), so this decorator applies the same two rules here: an account
    without an authenticator is sent to set one up; a session that skipped the code logs in again."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        if not is_authenticated_active(request.user):
            return redirect_to_login(request.get_full_path())
        institution = get_object_or_404(Institution.objects.select_related("provider"), slug=slug)
        if not selectors.is_institution_admin(institution=institution, user=request.user):
            raise PermissionDenied
        if not has_mfa(request.user):
            messages.warning(
                request,
                _(
                    "Institution admins must use two-factor authentication. "
                    "Set up an authenticator app to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        if not session_completed_mfa(request, request.user):
            logout(request)
            messages.warning(request, _("This page needs a login with two-factor authentication."))
            return redirect_to_login(request.get_full_path())
        return view(request, institution, *args, **kwargs)

    return wrapper


@require_GET
def admin_list(request: HttpRequest) -> HttpResponse:
    """The institutions the user administers (one: straight to its page)."""
    if not is_authenticated_active(request.user):
        return redirect_to_login(request.get_full_path())
    mine_ = selectors.admin_institutions(user=request.user)
    if not mine_:
        raise PermissionDenied
    if len(mine_) == 1:
        return redirect("institutions:admin", slug=mine_[0].slug)
    return render(request, "institutions/admin_list.html", {"institutions": mine_})


def _admin_page(
    request: HttpRequest, institution: Institution, *, form: InviteForm | None = None, status=200
):
    page = selectors.admin_page(institution)
    return render(
        request,
        "institutions/admin.html",
        {
            "page": page,
            "institution": institution,
            "form": form or InviteForm(),
            "completions_shown": page.completions[:100],
            "sharing": sum(1 for m in page.members if m.shares_completions),
        },
        status=status,
    )


@require_GET
@institution_admin_required
def admin(request: HttpRequest, institution: Institution) -> HttpResponse:
    return _admin_page(request, institution)


@require_POST
@institution_admin_required
def admin_invite(request: HttpRequest, institution: Institution) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _admin_page(request, institution, form=form, status=400)
    made = invitations.invitations_send(
        institution=institution, emails=form.cleaned_data["addresses"], actor=_user(request)
    )
    skipped = len(form.cleaned_data["addresses"]) - len(made)
    messages.success(request, _("%(n)s invitation(s) sent.") % {"n": len(made)})
    if skipped:
        messages.info(request, _("%(n)s address(es) already hold a seat: not invited.") % {"n": skipped})
    return redirect("institutions:admin", slug=institution.slug)


@require_POST
@institution_admin_required
def admin_invitation_revoke(request: HttpRequest, institution: Institution, pk: int) -> HttpResponse:
    found = get_object_or_404(Invitation, pk=pk, institution=institution)
    try:
        invitations.invitation_revoke(invitation=found, actor=_user(request))
    except InstitutionError as error:
        return _problem(request, error, institution=institution)
    messages.success(request, _("The invitation to %(email)s is withdrawn.") % {"email": found.email})
    return redirect("institutions:admin", slug=institution.slug)


@require_POST
@institution_admin_required
def admin_member_remove(request: HttpRequest, institution: Institution, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, institution=institution, ended_at__isnull=True
    )
    services.membership_end(
        membership=membership, actor=_user(request), reason="removed by admin", removed=True
    )
    messages.success(
        request,
        _(
            "%(email)s no longer holds a seat, and cannot take one again by email domain or single "
            "sign-on until you invite them again."
        )
        % {"email": membership.user.email},
    )
    return redirect("institutions:admin", slug=institution.slug)


@require_POST
@institution_admin_required
def admin_member_reinvite(request: HttpRequest, institution: Institution, pk: int) -> HttpResponse:
    """The "Invite again" button beside a removed member: a new invitation to their account's address,
    which lifts the bar on their rejoining."""
    membership = get_object_or_404(
        Membership.objects.select_related("user"),
        pk=pk,
        institution=institution,
        removed_at__isnull=False,
        readmitted_at__isnull=True,
    )
    invitations.invitations_send(
        institution=institution, emails=[membership.user.email], actor=_user(request)
    )
    messages.success(
        request,
        _("%(email)s is invited again and may take a seat again.") % {"email": membership.user.email},
    )
    return redirect("institutions:admin", slug=institution.slug)


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ first)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@institution_admin_required
def admin_completions_csv(request: HttpRequest, institution: Institution) -> HttpResponse:
    """The shared completions (consenting members only), one row per claim."""
    members = selectors.institution_members(institution)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{institution.slug}-completions-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(["name", "email", "activity", "completed_at", "credits", "credit_type"])
    for row in selectors.shared_completions(institution, members):
        user = row.membership.user
        writer.writerow(
            [
                _csv_cell(selectors.person_name(user)),
                _csv_cell(user.email),
                _csv_cell(row.activity_title),
                row.claimed_at.isoformat(),
                f"{row.credits:.2f}",
                _csv_cell(row.credit_type),
            ]
        )
    return response
