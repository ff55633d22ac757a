"""Audio at the edge: nginx sends audio bytes without Python in the byte path (docs/audio-delivery.md).

Two mechanisms, each switched on by a setting (both off in the embedded default):

- **Public audio: a tree of links** (``PODCASTCME_EDGE_AUDIO_ROOT``). For each public episode the
  app keeps one relative symbolic link ``<root>/audio/<id>/<slug>.<ext>`` to the stored file, the
  same path as the public URL, so nginx serves ``/audio/...`` with ``root <root>; try_files $uri
  @app``. A missing link (a draft, a scheduled episode whose time has just come, a link not made
  yet) falls through to the app, which answers as before and makes the link if the episode is
  public: the first request after publication is the app's, the rest are nginx's. Saving an
  episode (unpublish, reschedule, new file) re-syncs its link after the commit; deleting it
  removes the link. ``manage.py sync_edge_audio`` rebuilds the whole tree (after restoring media).
- **Personal-feed audio: signed links that expire** (``PODCASTCME_EDGE_SIGNING_KEY``). The feed
  keeps its stable ``/p/<token>/audio/...`` URLs; the app checks the token on every request (a
  revoked feed gets 404 at once) and answers ``302`` to
  ``<prefix><signature>/<expires>/<feed id>/<episode id>/<storage path>``, which nginx checks with
  ``secure_link`` (MD5 of ``<expires>/<feed>/<episode>/<path> <key>``) and serves from MEDIA_ROOT.
  A link lives ``PODCASTCME_EDGE_LINK_SECONDS``: a link handed out before a revocation stops working
  within that many seconds (410 once expired, 403 when forged).

Neither counts downloads in the app: nginx's JSON access log does, through
``episodes.analytics.access_log`` (the same rules, ``recording.record_many``).
"""

import base64
import hashlib
import logging
import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Episode, PersonalFeed

logger = logging.getLogger(__name__)


def edge_root() -> Path | None:
    root = settings.PODCASTCME_EDGE_AUDIO_ROOT
    return Path(root) if root else None


def link_path(root: Path, episode: Episode) -> Path:
    """The link's place: the public URL's path under the root (``/audio/<id>/<slug>.<ext>``)."""
    return root / "audio" / str(episode.pk) / f"{episode.slug}.{episode.audio_extension}"


def _target(episode: Episode) -> Path | None:
    if not episode.audio:
        return None
    try:
        return Path(episode.audio.storage.path(episode.audio.name))
    except NotImplementedError:  # remote storage: nginx cannot read it from a disk
        return None


def publish_link(episode: Episode) -> bool:
    """Make (or repoint) the episode's link; False when there is no tree or no local file."""
    root, target = edge_root(), _target(episode)
    if root is None or target is None or not target.exists():
        return False
    link = link_path(root, episode)
    relative = os.path.relpath(target, link.parent)
    try:
        if os.readlink(link) == relative:
            return True
    except OSError:
        pass
    link.parent.mkdir(parents=True, exist_ok=True)
    temporary = link.with_name(f".{link.name}.{secrets.token_hex(4)}")
    os.symlink(relative, temporary)
    os.replace(temporary, link)  # atomic: nginx sees the old link or the new one, never none
    return True


def withdraw_link(episode: Episode) -> None:
    root = edge_root()
    if root is None:
        return
    root_audio = root / "audio" / str(episode.pk)
    if not root_audio.is_dir():
        return
    for link in root_audio.iterdir():  # also a link made under an earlier slug or extension
        link.unlink(missing_ok=True)


def sync_link(episode: Episode) -> None:
    """The link exists exactly when the episode is public (and its file is local)."""
    if edge_root() is None:
        return
    if episode.is_public and publish_link(episode):
        root = edge_root()
        assert root is not None
        keep = link_path(root, episode)
        for other in keep.parent.iterdir():
            if other != keep:
                other.unlink(missing_ok=True)
        return
    withdraw_link(episode)


def ensure_link(episode: Episode) -> None:
    """From the app's public audio view: the request nginx passed on because the link is missing."""
    root = edge_root()
    if root is not None and not os.path.lexists(link_path(root, episode)):
        try:
            publish_link(episode)
        except OSError:  # a tree nginx cannot be given never costs a listener their audio
            logger.exception("no edge link made for episode %s", episode.pk)


def sync_all() -> tuple[int, int]:
    """Rebuild the tree: (links made or kept, episodes without one); links of deleted episodes go."""
    root = edge_root()
    if root is None:
        return 0, 0
    linked = unlinked = 0
    known = set()
    for episode in Episode.objects.iterator():
        known.add(str(episode.pk))
        sync_link(episode)
        if os.path.lexists(link_path(root, episode)):
            linked += 1
        else:
            unlinked += 1
    folder = root / "audio"
    for stale in folder.iterdir() if folder.is_dir() else []:
        if stale.name not in known and stale.is_dir():
            for link in stale.iterdir():
                link.unlink(missing_ok=True)
            stale.rmdir()
    return linked, unlinked


@receiver(post_save, sender=Episode, dispatch_uid="episodes.edge.sync_on_save")
def _sync_on_save(sender, instance: Episode, **kwargs) -> None:
    if edge_root() is None:
        return
    pk = instance.pk

    def sync() -> None:
        episode = Episode.objects.filter(pk=pk).first()
        if episode is not None:
            sync_link(episode)

    transaction.on_commit(sync, robust=True)  # a rolled-back publish makes no link


@receiver(post_delete, sender=Episode, dispatch_uid="episodes.edge.withdraw_on_delete")
def _withdraw_on_delete(sender, instance: Episode, **kwargs) -> None:
    withdraw_link(instance)


# --- signed links for personal-feed audio (nginx secure_link) ---------------------------------------


def signing_enabled() -> bool:
    return bool(settings.PODCASTCME_EDGE_SIGNING_KEY)


def _signature(expires: int, rest: str) -> str:
    # nginx: secure_link_md5 "$pa_expires/$pa_rest $podcastcme_edge_key" (deploy/nginx/podcastcme-site.conf)
    text = f"{expires}/{rest} {settings.PODCASTCME_EDGE_SIGNING_KEY}"
    digest = hashlib.md5(text.encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signed_audio_path(feed: PersonalFeed, episode: Episode, *, now: float | None = None) -> str:
    """The path of a link to the episode's file for this feed's listener, valid for a short time."""
    expires = int(now if now is not None else time.time()) + settings.PODCASTCME_EDGE_LINK_SECONDS
    rest = f"{feed.pk}/{episode.pk}/{episode.audio.name}"  # nginx signs the decoded path ($uri)
    signature = _signature(expires, rest)
    return f"{settings.PODCASTCME_EDGE_PRIVATE_PREFIX}{signature}/{expires}/{quote(rest)}"
