"""Audio, artwork, transcript and chapters files, served with HEAD and byte ranges."""

from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from accounts.permissions import answers_before_sessions, is_host_of

from ..analytics.buffer import counting_enabled, recorder_for
from ..artwork import MIN_SIDE, current_renditions, feed_width_of, rendition_stem
from ..delivery import serve_file
from ..edge import ensure_link
from ..models import Episode, Show

# The audio at a URL stays the same recording forever, but its tags (title, cover) are rewritten when a
# host renames an episode, which changes the bytes, size and ETag. A day bounds how long a cache may
# serve the old tags; the ETag makes revalidation cheap and If-Range keeps resumed downloads from
# mixing two versions, so a longer max-age would gain little.
AUDIO_CACHE = "public, max-age=86400"
# A show's artwork URL is stable while the image behind it may be replaced.
ARTWORK_CACHE = "public, max-age=86400"
# A rendition's URL holds its content's digest: the bytes behind it never change.
RENDITION_CACHE = "public, max-age=31536000, immutable"
# Transcripts and chapters get corrected after publication more often than audio.
TEXT_CACHE = "public, max-age=3600"
# A draft or scheduled episode fetched by its host: never stored by a shared cache.
PRIVATE_CACHE = "private, no-cache"
# Web players fetch transcripts and chapters (and may analyse audio) from other origins.
CORS = {"Access-Control-Allow-Origin": "*"}

TRANSCRIPT_TYPES = {"vtt": Episode.TranscriptType.VTT, "srt": Episode.TranscriptType.SRT}


def _image_ext(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    return "jpg" if ext == "jpeg" else ext


def _episode_for(request, pk: int) -> tuple[Episode, bool]:
    """The episode if the public may see it (published and due), or if the user hosts its show.

    Returns the episode and whether it is public; anyone else gets 404, so drafts do not leak.
    """
    episode = get_object_or_404(Episode.objects.select_related("show"), pk=pk)
    if episode.is_public:
        return episode, True
    # Answered before the session middleware (public audio), there is no user yet: the 404 sends the
    # request on through the full stack, which asks again with the host's session.
    if hasattr(request, "user") and is_host_of(request.user, episode.show):
        return episode, False
    raise Http404


@answers_before_sessions
@require_safe
def episode_audio(request, pk, slug, ext):
    episode, public = _episode_for(request, pk)
    if slug != episode.slug or ext != episode.audio_extension:
        raise Http404
    if public:
        ensure_link(episode)  # behind nginx's link tree: its next requests never reach the app
    return serve_file(
        request,
        episode.audio,
        content_type=episode.audio_mime,
        cache_control=AUDIO_CACHE if public else PRIVATE_CACHE,
        download_name=f"{episode.slug}.{ext}",
        extra_headers=CORS if public else None,
        # Every request of a public episode is logged and may complete a counted download (IAB rules,
        # episodes/analytics/); a host previewing a draft is not an audience. Behind nginx
        # (X-Accel-Redirect) the app still decides the range, so it is recorded the same way.
        on_served=recorder_for(episode) if public and counting_enabled() else None,
    )


@require_safe
def show_artwork(request, slug, ext):
    show = get_object_or_404(Show, slug=slug)
    if not show.artwork or _image_ext(show.artwork.name) != ext:
        raise Http404
    return serve_file(
        request,
        show.artwork,
        content_type="image/png" if ext == "png" else "image/jpeg",
        cache_control=ARTWORK_CACHE,
    )


@require_safe
def episode_artwork(request, pk, ext):
    episode, public = _episode_for(request, pk)
    if not episode.artwork or _image_ext(episode.artwork.name) != ext:
        raise Http404
    return serve_file(
        request,
        episode.artwork,
        content_type="image/png" if ext == "png" else "image/jpeg",
        cache_control=ARTWORK_CACHE if public else PRIVATE_CACHE,
    )


def _serve_rendition(request, owner, stem: str, cache_control: str):
    """The rendition named ``stem`` (``<digest>-<width>``) of ``owner``'s current artwork.

    A stem of replaced artwork (in a feed or page fetched before the change) is redirected to the
    current rendition of that width (a feed cover: to the current feed cover); otherwise 404.
    """
    widths = current_renditions(owner.artwork, owner.artwork_renditions)
    width = int(stem.rsplit("-", 1)[1])
    name = widths.get(width)
    if name is not None and rendition_stem(name) == stem:
        rendition = FieldFile(owner, owner.artwork.field, name)
        return serve_file(request, rendition, content_type="image/jpeg", cache_control=cache_control)
    if name is not None:
        target = owner.get_artwork_rendition_url(width)
    elif width >= MIN_SIDE and feed_width_of(widths):
        target = owner.get_feed_artwork_url()
    else:
        raise Http404
    response = HttpResponseRedirect(target)
    response["Cache-Control"] = ARTWORK_CACHE if cache_control == RENDITION_CACHE else PRIVATE_CACHE
    return response


@require_safe
def show_artwork_rendition(request, slug, stem):
    show = get_object_or_404(Show, slug=slug)
    return _serve_rendition(request, show, stem, RENDITION_CACHE)


@require_safe
def episode_artwork_rendition(request, pk, stem):
    episode, public = _episode_for(request, pk)
    return _serve_rendition(request, episode, stem, RENDITION_CACHE if public else PRIVATE_CACHE)


@require_safe
def episode_transcript(request, pk, ext):
    episode, public = _episode_for(request, pk)
    wanted = TRANSCRIPT_TYPES[ext]
    if not episode.transcript or (episode.transcript_type or Episode.TranscriptType.VTT) != wanted:
        raise Http404
    return serve_file(
        request,
        episode.transcript,
        content_type=f"{wanted}; charset=utf-8",
        cache_control=TEXT_CACHE if public else PRIVATE_CACHE,
        download_name=f"{episode.slug}.{ext}",
        extra_headers=CORS if public else None,
    )


@require_safe
def episode_chapters(request, pk):
    episode, public = _episode_for(request, pk)
    if not episode.chapters:
        raise Http404
    return serve_file(
        request,
        episode.chapters,
        content_type="application/json+chapters",
        cache_control=TEXT_CACHE if public else PRIVATE_CACHE,
        extra_headers=CORS if public else None,
    )
