"""The account's API tokens page: list, create (the secret shown once, on the answer to the POST) and
revoke. Changing tokens needs a recent authentication (allauth asks again); hosts, coordinators and
staff pass the two-factor gate here too (the path is in MFA_REQUIRED_PATH_PREFIXES)."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest

from .errors import TokenError
from .forms import TokenCreateForm
from .tokens import token_create, token_revoke, user_tokens


def _page(
    request: AuthenticatedHttpRequest, form: TokenCreateForm, *, new_secret: str = "", status: int = 200
):
    context = {"form": form, "tokens": user_tokens(user=request.user), "new_secret": new_secret}
    response = render(request, "api/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a new secret
    return response


@never_cache
@login_required
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenCreateForm())
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        _token, secret = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
    except TokenError as error:
        form.add_error(None, str(error))
        return _page(request, form, status=400)
    return _page(request, TokenCreateForm(), new_secret=secret, status=201)


@login_required
@reauthentication_required
@require_POST
def token_revoke_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = user_tokens(user=request.user).filter(pk=pk).first()
    if token is None:  # another user's token is not found
        raise Http404(_("No such token."))
    token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token %(name)s revoked: it no longer works.") % {"name": token.name})
    return redirect("api:tokens")
