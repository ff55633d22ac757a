"""Seats, invitations, consent and the institution admin's page (institutions/views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("institutions/", views.mine, name="mine"),
    path("institutions/join/<slug:slug>/", views.join, name="join"),
    path("institutions/memberships/<int:pk>/consent/", views.consent, name="consent"),
    path("institutions/memberships/<int:pk>/leave/", views.leave, name="leave"),
    path("institutions/invitations/<str:token>/", views.invitation, name="invitation"),
    path("institutions/admin/", views.admin_list, name="admin_list"),
    path("institutions/<slug:slug>/admin/", views.admin, name="admin"),
    path("institutions/<slug:slug>/admin/invite/", views.admin_invite, name="admin_invite"),
    path(
        "institutions/<slug:slug>/admin/invitations/<int:pk>/revoke/",
        views.admin_invitation_revoke,
        name="admin_invitation_revoke",
    ),
    path(
        "institutions/<slug:slug>/admin/members/<int:pk>/remove/",
        views.admin_member_remove,
        name="admin_member_remove",
    ),
    path(
        "institutions/<slug:slug>/admin/members/<int:pk>/reinvite/",
        views.admin_member_reinvite,
        name="admin_member_reinvite",
    ),
    path(
        "institutions/<slug:slug>/admin/completions.csv",
        views.admin_completions_csv,
        name="admin_completions_csv",
    ),
]
