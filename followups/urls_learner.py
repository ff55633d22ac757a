"""The learner's follow-up URLs: the one-tap answer link, unsubscribe, and the consent switch."""

from django.urls import path

from . import feed_items, views_learner

urlpatterns = [
    path("follow-up/<str:token>/", views_learner.answer, name="answer"),
    path("follow-up/<str:token>/reminder.mp3", feed_items.reminder_audio, name="reminder_audio"),
    path("follow-ups/unsubscribe/<str:token>/", views_learner.unsubscribe, name="unsubscribe"),
    path("follow-ups/consent/", views_learner.consent, name="consent"),
]
