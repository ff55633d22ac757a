from django.urls import path

from . import inbox, views_content, views_host, views_protocol

app_name = "fediverse"

urlpatterns = [
    path(".well-known/webfinger", views_protocol.webfinger, name="webfinger"),
    path(".well-known/nodeinfo", views_protocol.nodeinfo_links, name="nodeinfo_links"),
    path("nodeinfo/2.0", views_protocol.nodeinfo, name="nodeinfo"),
    path("ap/shows/<slug:slug>", views_protocol.actor, name="actor"),
    path("ap/shows/<slug:slug>/followers", views_protocol.followers, name="followers"),
    path("ap/shows/<slug:slug>/inbox", inbox.show_inbox, name="inbox"),
    path("ap/inbox", inbox.shared_inbox, name="shared_inbox"),
    path("ap/activities/<uuid:pk>", views_protocol.activity, name="activity"),
    path("host/shows/<slug:slug>/fediverse/", views_host.show_fediverse, name="host_show"),
    # H2: the outbox, episodes' and comments' Notes below.
    path("ap/shows/<slug:slug>/outbox", views_content.outbox, name="outbox"),
    path("ap/episodes/<int:pk>", views_content.episode_object, name="episode_note"),
    path("ap/comments/<int:pk>", views_content.comment_object, name="comment_note"),
]
