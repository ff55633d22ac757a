"""Writes for shows and episodes: create, edit, publish, schedule. Views call only these."""

import logging
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record

from . import events as episode_events
from .artwork import TAG_MAX_BYTES, current_renditions, store_renditions, stored_renditions, tag_cover
from .audio import AudioError, AudioInfo, embedded_cover_bytes, read_audio, write_tags
from .audit_actions import EpisodeAction
from .episode_transcripts import (
    MAX_TRANSCRIPT_BYTES,
    ReadTranscript,
    TranscriptRefused,
    read_transcript,
    transcript_too_large_message,
)
from .models import (
    Episode,
    EpisodePerson,
    NotesFormat,
    Show,
    ShowHost,
    Topic,
    TranscriptText,
    podcast_guid_for,
)
from .object_storage import StagedCopy, editable_copy, local_copy
from .push import feed_changed
from .text import clean_line, notes_to_html, strip_control_chars
from .upload import is_out_of_space, upload_temp_file

logger = logging.getLogger(__name__)


class PublishingError(ValueError):
    """A publishing action cannot be done; the message is for the host."""


class StorageFull(PublishingError):
    """The disk (or a file size limit) refused a file while it was stored; nothing was saved."""

    def __init__(self):
        super().__init__(
            _(
                "There is not enough free disk space on the server to store this file, so nothing was "
                "saved. Please try again later; if it happens again, tell the site's administrators."
            )
        )


class StoredFiles:
    """Files a service writes before its transaction commits: deleted if anything fails, commit included.

    Store-then-commit: a file is written first and its row committed after, so a failure in
    between (a full disk half-way through a file, tagging, a refused database write, a failed
    commit) must take the files back out. ``on_commit`` cannot do it (it never hears of a rollback),
    so ``committed()`` wraps the whole transaction. Within an outer transaction (a caller's
    ``atomic``) a later rollback of that outer transaction is the caller's to clean up.
    """

    def __init__(self):
        self._written: list[tuple[Any, str]] = []

    def save(self, field_file, name: str, content: File) -> None:
        """``field_file.save(name, content, save=False)``, remembering the name before a byte is written."""
        field = field_file.field
        storage = field_file.storage
        name = storage.get_available_name(
            field.generate_filename(field_file.instance, name), field.max_length
        )
        # Noted first: a write that fails half-way (disk full) leaves a partial file under this name.
        self._written.append((storage, name))
        saved = storage.save(name, content, max_length=field.max_length)
        if saved != name:
            self._written.append((storage, saved))
        setattr(field_file.instance, field.attname, saved)

    def note(self, storage, name: str) -> None:
        """A file about to be written by someone else (artwork renditions): deleted if anything fails."""
        self._written.append((storage, name))

    def delete_all(self) -> None:
        for storage, name in self._written:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("could not delete %s after a failed upload", name)
        self._written.clear()

    @contextmanager
    def committed(self):
        """Run the block in a transaction; if it or the commit fails, delete every file saved so far."""
        try:
            with transaction.atomic():
                yield self
        except BaseException as error:
            self.delete_all()
            if is_out_of_space(error):
                raise StorageFull() from error
            raise

    @contextmanager
    def deleted_on_failure(self):
        """Run the block outside any transaction (storing in a bucket is network calls, and no
        transaction waits on them); if it fails, delete every file saved so far."""
        try:
            yield self
        except BaseException as error:
            self.delete_all()
            if is_out_of_space(error):
                raise StorageFull() from error
            raise


def _touch(show: Show, *, announce: bool = True) -> None:
    """Mark the show's feed as changed (the feed cache keys on this); hubs hear of it after the commit
    unless ``announce`` is False (a draft's change: the public feed does not show it)."""
    show.content_changed_at = timezone.now()
    Show.objects.filter(pk=show.pk).update(content_changed_at=show.content_changed_at)
    if announce:
        feed_changed(show)


def show_content_changed(*, show: Show) -> None:
    """The public feed of ``show`` shows something new that lives in another app (a correction on an
    episode, ``discussion.corrections``): its cache is renewed, and hubs and feed listeners (the
    fediverse's Update) hear of it after the commit. Call it inside the caller's transaction."""
    _touch(show)


def _store_renditions(files: StoredFiles, artwork: Any, folder: str) -> dict[str, str]:
    """The JPEG renditions of newly stored artwork (feed, pages, audio tags; episodes/artwork.py),
    stored before the transaction opens and deleted with the other files if anything fails."""
    try:
        return store_renditions(artwork, f"artwork/renditions/{folder}", before_write=files.note)
    except ValidationError as error:  # stored artwork was checked: only a file changed since gets here
        raise ValidationError({"artwork": error.messages}) from None


def _delete_old_renditions(storage: Any, old: dict[str, str], keep: dict[str, str]) -> None:
    """After the commit: the renditions of replaced artwork (those the new artwork does not share)."""
    kept = set(stored_renditions(keep))
    for name in stored_renditions(old):
        if name not in kept:
            transaction.on_commit(partial(storage.delete, name), robust=True)


def artwork_renditions_make(*, owner: Show | Episode, again: bool = False) -> bool:
    """Make the renditions of artwork stored before they existed (``manage.py artwork_renditions``);
    True when made. ``again`` remakes current ones (after RENDITION_VERSION changed).

    Renditions are derived files, not a record of what a host did: no audit row. The feed changes
    (its covers' URLs), so its cache is told. Files first, then a short transaction that keeps them
    only if the artwork is still the one they were made from.
    """
    if not owner.artwork or (current_renditions(owner.artwork, owner.artwork_renditions) and not again):
        return False
    if isinstance(owner, Show):
        folder = f"shows/{owner.slug}"
    else:
        folder = f"episodes/{owner.show.slug}/{owner.slug}"
    files = StoredFiles()
    with files.deleted_on_failure():
        renditions = _store_renditions(files, owner.artwork, folder)
    with files.committed():
        model = type(owner)
        locked = model.objects.select_for_update().get(pk=owner.pk)
        if locked.artwork.name != owner.artwork.name:
            files.delete_all()  # replaced meanwhile: its own renditions were made with it
            return False
        _delete_old_renditions(locked.artwork.storage, locked.artwork_renditions, renditions)
        model.objects.filter(pk=owner.pk).update(artwork_renditions=renditions)
        owner.artwork_renditions = renditions
        _touch(owner if isinstance(owner, Show) else owner.show)
    return True


SHOW_TEXT_FIELDS = ("title", "author", "owner_name", "copyright", "funding_label")


def show_create(*, host: User | None, data: dict[str, Any]) -> Show:
    """Create a show; its podcast:guid (``data`` may bring an imported one) never changes."""
    data = dict(data)
    for field in SHOW_TEXT_FIELDS:
        if field in data:
            data[field] = clean_line(data[field])
    if "description" in data:
        data["description"] = strip_control_chars(data["description"]).strip()
    artwork = data.pop("artwork", None)
    show = Show(**data)
    # An imported show keeps its source's podcast:guid (the importer passes it); otherwise our own.
    show.podcast_guid = show.podcast_guid or podcast_guid_for(show.feed_url)
    show.full_clean()
    files = StoredFiles()
    # Nothing half-written: if anything below fails, the commit included, the artwork goes too.
    # The artwork is stored before the transaction opens (in a bucket that is network calls).
    with files.deleted_on_failure():
        if artwork:
            files.save(show.artwork, artwork.name, artwork)
            show.artwork_renditions = _store_renditions(files, show.artwork, f"shows/{show.slug}")
    with files.committed():
        try:
            with transaction.atomic():
                show.save()
        except IntegrityError:
            raise ValidationError({"slug": _("A show with this slug already exists.")}) from None
        if host is not None:
            ShowHost.objects.create(show=show, user=host)
        audit_record(actor=host, action=EpisodeAction.SHOW_CREATED, obj=show, data={"slug": show.slug})
    return show


def show_update(*, show: Show, actor: User | None, data: dict[str, Any]) -> Show:
    data = dict(data)
    artwork = data.pop("artwork", None)
    files = StoredFiles()
    # Nothing half-written: if anything below fails, the commit included, a new artwork goes too.
    # The artwork is stored before the transaction opens (in a bucket that is network calls).
    with files.deleted_on_failure():
        if artwork:
            files.save(show.artwork, artwork.name, artwork)
            renditions = _store_renditions(files, show.artwork, f"shows/{show.slug}")
    new_artwork = show.artwork.name
    with files.committed():
        show = Show.objects.select_for_update().get(pk=show.pk)
        for field, value in data.items():
            if field in SHOW_TEXT_FIELDS:
                value = clean_line(value)
            elif field == "description":
                value = strip_control_chars(value).strip()
            if field in {"slug", "podcast_guid"}:
                continue  # the feed URL and podcast:guid never change once apps subscribed
            setattr(show, field, value)
        if artwork:
            show.artwork.name = new_artwork
            _delete_old_renditions(show.artwork.storage, show.artwork_renditions, renditions)
            show.artwork_renditions = renditions
        show.content_changed_at = timezone.now()
        show.full_clean()
        show.save()
        fields = sorted([*data, "artwork"] if artwork else data)
        audit_record(actor=actor, action=EpisodeAction.SHOW_UPDATED, obj=show, data={"fields": fields})
        feed_changed(show)  # a ping task, enqueued on commit (nothing for a rollback)
    return show


def topics_from_text(text: str) -> list[Topic]:
    """'#POCUS airway, #OBanes' -> Topic rows (created when new, matched case-insensitively)."""
    names: list[str] = []
    for raw in strip_control_chars(text or "").replace(",", " ").split():
        name = raw.lstrip("#").strip()
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    topics = []
    for name in names:
        Topic._meta.get_field("name").run_validators(name)
        existing = Topic.objects.filter(name__iexact=name).first()
        if existing is None:
            existing = Topic.objects.create(name=name, slug=slugify(name) or uuid.uuid4().hex[:8])
        topics.append(existing)
    return topics


@dataclass
class PersonData:
    name: str
    role: str = EpisodePerson.Role.GUEST
    credentials: str = ""
    href: str = ""
    img: str = ""


def _unique_episode_slug(show: Show, title: str, wanted: str = "") -> str:
    base = slugify(wanted or title)[:90] or "episode"
    slug, n = base, 2
    while Episode.objects.filter(show=show, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _publish_fields(status: str, publish_at: datetime | None) -> datetime | None:
    if status == Episode.Status.PUBLISHED and publish_at is None:
        return timezone.now()
    return publish_at


def episode_create(
    *,
    show: Show,
    actor: User | None,
    title: str,
    audio: File,
    slug: str = "",
    guid: str = "",
    notes: str = "",
    status: str = Episode.Status.DRAFT,
    publish_at: datetime | None = None,
    season: int | None = None,
    number: int | None = None,
    episode_type: str = Episode.EpisodeType.FULL,
    explicit: bool = False,
    artwork: File | None = None,
    transcript: File | None = None,
    chapters: File | None = None,
    topics: str = "",
    persons: list[PersonData] | None = None,
    tag_audio: bool = True,
    notes_format: str = NotesFormat.MARKDOWN,
    source_guid: str = "",
) -> Episode:
    """Store an uploaded episode: identify and measure the audio, tag it, keep the guid forever."""
    title = clean_line(title)
    if not title:
        raise ValidationError({"title": _("An episode needs a title.")})
    audio_path = getattr(audio, "temporary_file_path", None)
    if slug and Episode.objects.filter(show=show, slug=slug).exists():
        raise ValidationError({"slug": _("This show already has an episode with this slug.")})
    transcript_text = _read_transcript_upload(transcript)  # before any file is stored
    episode = Episode(
        show=show,
        title=title,
        slug=_unique_episode_slug(show, title, slug),
        guid=strip_control_chars(guid).strip() or str(uuid.uuid4()),
        notes=strip_control_chars(notes),
        notes_format=notes_format,
        notes_html=notes_to_html(notes, notes_format),  # imported HTML or text: never read as Markdown
        source_guid=source_guid,
        status=status,
        publish_at=_publish_fields(status, publish_at),
        season=season,
        number=number,
        episode_type=episode_type,
        explicit=explicit,
    )
    files = StoredFiles()
    # Nothing half-written: if anything below fails, the commit included, the files go too. The
    # files are stored and tagged before the transaction opens: in a bucket those are network calls.
    with files.deleted_on_failure():
        # Identify the audio before anything is stored (a temp file on disk for large uploads).
        info = _inspect_upload(audio, audio_path)
        episode.audio_mime, episode.audio_size = info.mime, info.size
        episode.audio_duration, episode.audio_bitrate = info.duration, info.bitrate
        audio.name = f"{episode.slug}.{info.extension}"
        files.save(episode.audio, audio.name, audio)
        if artwork is not None:
            files.save(episode.artwork, _name_of(artwork), artwork)
            episode.artwork_renditions = _store_renditions(
                files, episode.artwork, f"episodes/{show.slug}/{episode.slug}"
            )
        if transcript is not None:
            episode.transcript_type = transcript_type_of(_name_of(transcript))
            files.save(episode.transcript, _name_of(transcript), transcript)
        if chapters is not None:
            files.save(episode.chapters, _name_of(chapters), chapters)
        if tag_audio:
            _tag(episode)
            episode.audio_size = episode.audio.size  # tags change the size the feed announces
        episode.full_clean()
    with files.committed():
        with transaction.atomic():
            episode.save()
        _store_transcript_text(episode, transcript_text)
        episode.topics.set(topics_from_text(topics))
        for position, person in enumerate(persons or []):
            values = {
                **person.__dict__,
                "name": clean_line(person.name),
                "credentials": clean_line(person.credentials),
            }
            EpisodePerson.objects.create(episode=episode, position=position, **values)
        _touch(show, announce=episode.status == Episode.Status.PUBLISHED)
        audit_record(
            actor=actor, action=EpisodeAction.EPISODE_CREATED, obj=episode, data={"guid": episode.guid}
        )
        if not guid:  # made here (an imported episode keeps its feed's guid and is not news)
            episode_events.episode_published(episode)
    return episode


def _name_of(upload: File) -> str:
    """An uploaded file's name, which the stored name is made from (forms always give one)."""
    if not upload.name:
        raise ValueError("An uploaded file must have a name.")
    return upload.name


def _inspect_upload(audio: File, audio_path: Callable[[], str] | None = None) -> AudioInfo:
    if audio_path is not None:
        return read_audio(audio_path())
    if hasattr(audio, "path"):
        try:
            return read_audio(audio.path)
        except (AttributeError, ValueError, NotImplementedError):
            pass
    # In-memory uploads (small files): spool to a temporary file so mutagen sees a real file.
    with upload_temp_file(getattr(audio, "name", "") or "") as tmp:
        for chunk in audio.chunks():
            tmp.write(chunk)
        tmp.flush()
        info = read_audio(tmp.name)
    audio.seek(0)
    return info


def _tag(episode: Episode) -> None:
    """Tag a newly stored audio file in place (from a bucket: a copy, uploaded back at once).

    Only for a file no committed row points at yet (``episode_create``, before its transaction);
    an edit tags a ``StagedCopy`` instead (``_staged_tags``).
    """
    cover, mime = _tag_artwork(episode.artwork or episode.show.artwork)
    try:
        # In place on a local disk; from a bucket, a copy is tagged and uploaded under the same name.
        with editable_copy(episode.audio.storage, episode.audio.name) as path:
            _write_episode_tags(path, episode, cover, mime)
    except Exception as error:  # mutagen raises many types on odd files
        _raise_tagging_error(error)


def _tag_artwork(source: Any) -> tuple[bytes | None, str]:
    """The cover to embed (bytes and type) for stored artwork (a FieldFile); none: (None, jpeg).

    Never the original (a 19 MB PNG would be copied into every episode an app downloads): its
    small JPEG rendition, about 600 px and under 200 KB (episodes/artwork.py).
    """
    if not source:
        return None, "image/jpeg"
    return tag_cover(source, source.instance.artwork_renditions), "image/jpeg"


def _write_episode_tags(path: str, episode: Episode, artwork: bytes | None, mime: str) -> None:
    show = episode.show
    write_tags(
        path,
        title=episode.title,
        show_title=show.title,
        author=show.author,
        artwork=artwork,
        artwork_mime=mime,
    )


def _raise_tagging_error(error: Exception) -> NoReturn:
    if _out_of_space_within(error):
        raise StorageFull() from error
    raise AudioError(_("Could not write tags into the audio file (%(error)s).") % {"error": error}) from None


def _staged_tags(episode: Episode, title: str, artwork: Any) -> StagedCopy:
    """A tagged copy of the episode's audio (``title``, cover ``artwork``), made before any
    transaction: the stored file is replaced only after the edit commits (``_put_tags_in_place``)."""
    storage, name = episode.audio.storage, episode.audio.name
    cover, mime = _tag_artwork(artwork)  # from a bucket: a download, so before the transaction
    try:
        copy = StagedCopy(storage, name)
    except Exception as error:
        _raise_tagging_error(error)
    try:
        tagged = Episode(show=episode.show, title=title)
        _write_episode_tags(copy.path, tagged, cover, mime)
    except Exception as error:  # mutagen raises many types on odd files
        copy.discard()
        _raise_tagging_error(error)
    return copy


def episode_cover_shrink(*, episode: Episode) -> bool:
    """Re-tag audio stored with a cover over TAG_MAX_BYTES (before renditions existed: a 19 MB
    cover copied into the MP3) with the small one; True when it did (``manage.py artwork_renditions
    --retag``). Like an edit's: a tagged copy replaces the stored file, the enclosure length follows.
    """
    with local_copy(episode.audio.storage, episode.audio.name) as path:  # a download from a bucket
        if embedded_cover_bytes(path) <= TAG_MAX_BYTES:
            return False
    staged = _staged_tags(episode, episode.title, episode.artwork or episode.show.artwork)
    before = episode.audio_size
    _put_tags_in_place(episode, staged)
    audit_record(
        actor=None,
        action=EpisodeAction.EPISODE_UPDATED,
        obj=episode,
        data={"fields": ["audio_cover"], "audio_size": [before, episode.audio_size]},
    )
    return True


def _put_tags_in_place(episode: Episode, copy: StagedCopy) -> None:
    """After the edit's commit: the tagged copy replaces the stored audio (same name, so same URL),
    then the size the feed announces follows. If that fails the edit stays saved, the file keeps
    its old tags and its old, true size; the next edit of the title or cover tags it again."""
    size = copy.size
    try:
        copy.replace_stored()
    except Exception:
        logger.exception("episode %s: could not replace %s with its re-tagged copy", episode.pk, copy.name)
        return
    episode.audio_size = size
    with transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(audio_size=size)
        # The feed announces the new length (a draft's is not in the public feed: no hub is told).
        _touch(episode.show, announce=episode.status == Episode.Status.PUBLISHED)


def _out_of_space_within(error: BaseException) -> bool:
    """True for a full disk, also when mutagen wrapped the OSError (``MutagenError(OSError(...))``)."""
    return is_out_of_space(error) or any(is_out_of_space(arg) for arg in getattr(error, "args", ()))


def _read_transcript_upload(transcript: File | None) -> ReadTranscript | None:
    """Parse a new transcript file once, before anything is stored; over the limits: refused."""
    if transcript is None:
        return None
    if (getattr(transcript, "size", None) or 0) > MAX_TRANSCRIPT_BYTES:
        raise ValidationError({"transcript": transcript_too_large_message()})
    transcript.seek(0)
    data = transcript.read(MAX_TRANSCRIPT_BYTES + 1)
    transcript.seek(0)
    try:
        return read_transcript(data)
    except TranscriptRefused as refused:
        raise ValidationError({"transcript": refused.message}) from None


def _store_transcript_text(episode: Episode, text: ReadTranscript | None) -> None:
    """What the episode page shows of the transcript (None: the file is gone, and its text)."""
    if text is None:
        TranscriptText.objects.filter(episode=episode).delete()
        return
    TranscriptText.objects.update_or_create(
        episode=episode,
        defaults={
            "paragraphs": text.stored_paragraphs(),
            "cue_count": text.cue_count,
            "complete": text.complete,
            "parsed_at": timezone.now(),
        },
    )


def transcript_type_of(name: str) -> str:
    if name.lower().endswith(".srt"):
        return Episode.TranscriptType.SRT
    return Episode.TranscriptType.VTT


EDITABLE_EPISODE_FIELDS = {
    "title",
    "notes",
    "season",
    "number",
    "episode_type",
    "explicit",
    "status",
    "publish_at",
}


def _store_new_files(
    snapshot: Episode, uploads: dict[str, File | None], stored: StoredFiles
) -> dict[str, str]:
    """Store the new artwork, transcript and chapters files (before the transaction); field -> name."""
    names = {}
    for field, new in uploads.items():
        if new is not None:
            stored.save(getattr(snapshot, field), _name_of(new), new)
            names[field] = getattr(snapshot, field).name
    return names


def _replace_file(episode: Episode, field: str, new_name: str | None, remove: bool, old: list) -> bool:
    """Point ``field`` at the already stored ``new_name`` (or clear it when ``remove``); True when it changed.

    The old file is noted in ``old`` (deleted once the update is committed): until then the feed
    still points at it.
    """
    current = getattr(episode, field)
    if new_name is None and not (remove and current):
        return False
    if current:
        old.append((current.storage, current.name))
    setattr(episode, field, new_name or "")
    return True


def _person_rows(persons: list[PersonData]) -> list[dict[str, Any]]:
    return [
        {**person.__dict__, "name": clean_line(person.name), "credentials": clean_line(person.credentials)}
        for person in persons
    ]


def _replace_persons(episode: Episode, persons: list[PersonData]) -> bool:
    """Make the episode's podcast:person list ``persons``, in order; True when it changed."""
    wanted = _person_rows(persons)
    keys = ("name", "role", "credentials", "href", "img")
    current = [{key: getattr(p, key) for key in keys} for p in episode.persons.all()]
    if current == [{key: row[key] for key in keys} for row in wanted]:
        return False
    episode.persons.all().delete()
    for position, values in enumerate(wanted):
        person = EpisodePerson(episode=episode, position=position, **values)
        person.full_clean()
        person.save()
    return True


def episode_update(
    *,
    episode: Episode,
    actor: User | None,
    data: dict[str, Any],
    topics: str | None = None,
    artwork: File | None = None,
    remove_artwork: bool = False,
    transcript: File | None = None,
    remove_transcript: bool = False,
    chapters: File | None = None,
    remove_chapters: bool = False,
    persons: list[PersonData] | None = None,
) -> Episode:
    """Edit an episode; the guid, slug and audio URL never change.

    A new artwork, transcript or chapters file replaces the old one (a new file wins over its
    ``remove_*`` flag); ``persons`` None leaves them as they are, a list replaces them. Old files
    are deleted only after the commit, new ones at once if the update fails.

    No network call inside the transaction (files may live in a bucket): new files are stored and
    a re-tagged copy of the audio is made before it opens; the copy replaces the stored audio after
    the commit, so a failed edit leaves the stored audio exactly as it was.
    """
    transcript_text = _read_transcript_upload(transcript)  # before any file is stored
    uploads = {"artwork": artwork, "transcript": transcript, "chapters": chapters}
    removals = {"artwork": remove_artwork, "transcript": remove_transcript, "chapters": remove_chapters}
    written = StoredFiles()
    # The episode as it is now, to store the files under its names and tag a copy of its audio.
    snapshot = Episode.objects.select_related("show").get(pk=episode.pk)
    new_title = clean_line(data["title"]) if "title" in data else snapshot.title
    cover_changes = artwork is not None or (remove_artwork and bool(snapshot.artwork))
    staged: StagedCopy | None = None
    # Nothing half-written: if anything below fails, the commit included, the new files go too.
    with written.deleted_on_failure():
        new_names = _store_new_files(snapshot, uploads, written)
        if "artwork" in new_names:  # the tag cover below is read from these
            snapshot.artwork_renditions = _store_renditions(
                written, snapshot.artwork, f"episodes/{snapshot.show.slug}/{snapshot.slug}"
            )
        renditions = snapshot.artwork_renditions if "artwork" in new_names else {}
        if new_title != snapshot.title or cover_changes:
            # snapshot.artwork is the newly stored cover when there is one; removed: the show's.
            removed = remove_artwork and artwork is None
            cover = snapshot.show.artwork if removed else (snapshot.artwork or snapshot.show.artwork)
            staged = _staged_tags(snapshot, new_title, cover)
    try:
        with written.committed():
            episode = _apply_episode_update(
                episode,
                actor,
                data,
                topics,
                new_names,
                removals,
                transcript,
                transcript_text,
                persons,
                renditions=renditions,
            )
            if staged is not None:
                # After the commit (and only if it commits): the tagged copy replaces the stored audio.
                transaction.on_commit(partial(_put_tags_in_place, episode, staged))
                staged = None  # the callback owns it now (a rollback drops it, and with it the copy)
    finally:
        if staged is not None:
            staged.discard()
    return episode


def _apply_episode_update(
    episode: Episode,
    actor: User | None,
    data: dict[str, Any],
    topics: str | None,
    new_names: dict[str, str],
    removals: dict[str, bool],
    transcript: File | None,
    transcript_text: ReadTranscript | None,
    persons: list[PersonData] | None,
    *,
    renditions: dict[str, str],
) -> Episode:
    """The database half of ``episode_update``, inside its transaction: no file is read or written."""
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    was_published = episode.status == Episode.Status.PUBLISHED
    was_public, was_due = episode.is_public, episode.publish_at  # episodes/events.py
    changed = []
    for field, value in data.items():
        if field not in EDITABLE_EPISODE_FIELDS:
            continue
        if field == "title":
            value = clean_line(value)
        if field == "notes":
            value = strip_control_chars(value)
            episode.notes_html = notes_to_html(value, episode.notes_format)
        if getattr(episode, field) != value:
            changed.append(field)
        setattr(episode, field, value)
    episode.publish_at = _publish_fields(episode.status, episode.publish_at)
    old: list[tuple[Any, str]] = []  # (storage, name) of files it replaces or removes
    files: dict[str, str] = {}
    for field in ("artwork", "transcript", "chapters"):
        if _replace_file(episode, field, new_names.get(field), removals[field], old):
            changed.append(field)
            files[field] = "replaced" if field in new_names else "removed"
    if "artwork" in files:  # the new artwork's renditions (stored already), or none when removed
        _delete_old_renditions(episode.artwork.storage, episode.artwork_renditions, renditions)
        episode.artwork_renditions = renditions
    if "transcript" in changed:
        episode.transcript_type = transcript_type_of(_name_of(transcript)) if transcript is not None else ""
    episode.full_clean()
    with transaction.atomic():
        episode.save()
    if "transcript" in changed:
        _store_transcript_text(episode, transcript_text)
    if topics is not None:
        episode.topics.set(topics_from_text(topics))
        changed.append("topics")
    if persons is not None and _replace_persons(episode, persons):
        changed.append("persons")
    # A draft before and after: nothing public changed, so no hub is told.
    _touch(episode.show, announce=was_published or episode.status == Episode.Status.PUBLISHED)
    audit = {"fields": changed, "files": files} if files else {"fields": changed}
    audit_record(actor=actor, action=EpisodeAction.EPISODE_UPDATED, obj=episode, data=audit)
    if not was_public and (not was_published or was_due != episode.publish_at):
        episode_events.episode_published(episode)  # published or (re)scheduled: told when public
    for storage, name in old:
        # After the commit only: a rolled-back edit still needs them, and until then the feed names them.
        transaction.on_commit(partial(storage.delete, name), robust=True)
    return episode


def episode_publish(*, episode: Episode, actor: User | None, at: datetime | None = None) -> Episode:
    """Publish now, or schedule for ``at`` (it appears in the feed once that time has come)."""
    return episode_update(
        episode=episode,
        actor=actor,
        data={"status": Episode.Status.PUBLISHED, "publish_at": at or timezone.now()},
    )
