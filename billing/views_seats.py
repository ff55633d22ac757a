"""The institution admin's "Buy seats" page: the price of a seat for a year, how many, then Stripe.

Behind institutions' admin gate (the institution's own admins, after a two-factor login)."""

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from institutions.models import Institution
from institutions.views import institution_admin_required

from .money import format_amount
from .seat_checkout import seat_price, seats_checkout_start
from .services import BillingError


class SeatsForm(forms.Form):
    seats = forms.IntegerField(label=_("Number of seats"), min_value=1)

    def __init__(self, *args, limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["seats"]
        field.validators.append(MaxValueValidator(limit))
        field.widget.attrs.update({"min": 1, "max": limit, "inputmode": "numeric"})


@require_http_methods(["GET", "POST"])
@institution_admin_required
def seats_buy(request: HttpRequest, institution: Institution) -> HttpResponse:
    price = seat_price(institution)
    limit = settings.INSTITUTIONS["MAX_SEATS_PER_LICENCE"]
    form = SeatsForm(request.POST or None, limit=limit)
    problem = ""
    status = 200
    if request.method == "POST" and price is not None:
        if form.is_valid():
            try:
                order = seats_checkout_start(
                    admin=request.user,  # type: ignore[arg-type]  # the gate let only a logged-in admin in
                    institution=institution,
                    seats=form.cleaned_data["seats"],
                )
            except BillingError as error:
                problem, status = error.message, 400
            else:
                return redirect(order.checkout_url)
        else:
            status = 400
    return render(
        request,
        "billing/seats_buy.html",
        {
            "institution": institution,
            "form": form,
            "price": format_amount(*price) if price else "",
            "problem": problem,
        },
        status=status if price is not None else 409,
    )
