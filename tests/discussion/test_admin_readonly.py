"""The discussion is read-only in the admin (moderation happens on the host's page, audited): no
add, change or delete for a superuser, on the comments, their references, the rules or the marks."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from discussion.admin import ReferenceInline
from discussion.models import Comment, HelpfulMark, ShowDiscussion
from testkit import factories


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Comment, ShowDiscussion, HelpfulMark])
def test_no_add_change_or_delete_in_the_discussion_admin(model):
    request = RequestFactory().get("/admin/")
    request.user = factories.make_user("root@example.org", is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[model]
    inline = ReferenceInline(Comment, admin.site)
    for checked in (model_admin, inline):
        assert not checked.has_add_permission(request)
        assert not checked.has_change_permission(request)
        assert not checked.has_delete_permission(request)
    assert ReferenceInline.extra == 0 and ReferenceInline.can_delete is False
