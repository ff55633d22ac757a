"""Filled by the issue 18 work."""

urlpatterns: list = []
