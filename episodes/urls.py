from django.urls import path, re_path

from .views import analytics, embed, feed, files, host, moving, namespace, personal, public

app_name = "episodes"

urlpatterns = [
    # Public pages
    path("shows/<slug:slug>/", public.show_detail, name="show"),
    path("shows/<slug:show_slug>/<slug:slug>/", public.episode_detail, name="episode"),
    path("topics/<slug:slug>/", public.topic_detail, name="topic"),
    path("search/", public.search, name="search"),
    # The embeddable player (framed by other sites) and its oEmbed endpoint (docs/embedding.md)
    path("embed/episodes/<int:pk>/", embed.episode_embed, name="embed"),
    path("oembed", embed.oembed, name="oembed"),
    # The feed
    path("shows/<slug:slug>/feed.xml", feed.show_feed, name="feed"),
    path("topics/<slug:slug>/feed.xml", feed.topic_feed, name="topic_feed"),
    # The document of the feeds' CME credit namespace (docs/cme-namespace.md)
    path("ns/cme/1.0", namespace.cme_namespace, name="cme_namespace"),
    # Files: stable ASCII URLs ending in the real extension (models.audio_extension_of)
    re_path(
        r"^audio/(?P<pk>\d+)/(?P<slug>[-a-zA-Z0-9_]+)\.(?P<ext>mp3|m4a|ogg|opus)$",
        files.episode_audio,
        name="audio",
    ),
    re_path(
        r"^shows/(?P<slug>[-a-zA-Z0-9_]+)/artwork\.(?P<ext>jpg|png)$", files.show_artwork, name="show_artwork"
    ),
    re_path(
        r"^episodes/(?P<pk>\d+)/artwork\.(?P<ext>jpg|png)$", files.episode_artwork, name="episode_artwork"
    ),
    # Artwork renditions (JPEG): the name holds the content digest, so each URL is cacheable forever
    re_path(
        r"^shows/(?P<slug>[-a-zA-Z0-9_]+)/artwork/(?P<stem>[0-9a-f]{16}-\d{2,4})\.jpg$",
        files.show_artwork_rendition,
        name="show_artwork_rendition",
    ),
    re_path(
        r"^episodes/(?P<pk>\d+)/artwork/(?P<stem>[0-9a-f]{16}-\d{2,4})\.jpg$",
        files.episode_artwork_rendition,
        name="episode_artwork_rendition",
    ),
    re_path(
        r"^episodes/(?P<pk>\d+)/transcript\.(?P<ext>vtt|srt)$", files.episode_transcript, name="transcript"
    ),
    path("episodes/<int:pk>/chapters.json", files.episode_chapters, name="chapters"),
    # Personal feeds: the token in the path makes the listener's downloads theirs
    path("p/<str:token>/<slug:slug>/feed.xml", personal.personal_feed, name="personal_feed"),
    re_path(
        r"^p/(?P<token>[-A-Za-z0-9_]+)/audio/(?P<pk>\d+)/(?P<slug>[-a-zA-Z0-9_]+)\.(?P<ext>mp3|m4a|ogg|opus)$",
        personal.personal_audio,
        name="personal_audio",
    ),
    path("account/feeds/", personal.my_feeds, name="my_feeds"),
    # Host pages (MFA required by RequireMFAForRolesMiddleware for everything under /host/)
    path("host/", host.dashboard, name="host_dashboard"),
    path("host/shows/new/", host.show_create, name="host_show_create"),
    path("host/shows/<slug:slug>/", host.show_manage, name="host_show"),
    path("host/shows/<slug:slug>/edit/", host.show_edit, name="host_show_edit"),
    path("host/shows/<slug:slug>/episodes/new/", host.episode_upload, name="host_episode_upload"),
    path("host/shows/<slug:slug>/episodes/<int:pk>/edit/", host.episode_edit, name="host_episode_edit"),
    path("host/shows/<slug:slug>/analytics/", analytics.show_analytics, name="host_show_analytics"),
    path("host/shows/<slug:slug>/move/", moving.show_move, name="host_show_move"),
    path("host/shows/<slug:slug>/move/undo/", moving.show_move_undo, name="host_show_move_undo"),
]
