"""Payment pages: checkout results, history, coordinator prices and revenue, the Stripe webhook."""

from django.urls import path

from . import views, views_seats

app_name = "billing"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("payments/", views.payment_history, name="history"),
    path("orders/<uuid:reference>/", views.order_page, name="order"),
    path("orders/<uuid:reference>/status.json", views.order_status, name="order_status"),
    path("orders/<uuid:reference>/cancel/", views.order_cancel, name="order_cancel"),
    path("providers/<slug:slug>/pass/", views.pass_buy, name="pass_buy"),
    path("institutions/<slug:slug>/seats/", views_seats.seats_buy, name="seats_buy"),
    path("coordinator/activities/<int:pk>/fee/", views.coordinator_fee, name="coordinator_fee"),
    path("coordinator/providers/<slug:slug>/pass/", views.coordinator_pass, name="coordinator_pass"),
    path("coordinator/providers/<slug:slug>/orders/", views.coordinator_orders, name="coordinator_orders"),
]

# The claim page is billing's view (it may take a payment first) at credits' address and name,
# "credits:claim": podcastcme/urls.py adds these patterns to the credits namespace.
credits_urlpatterns = [
    path("activities/<int:pk>/claim/", views.claim, name="claim"),
]
