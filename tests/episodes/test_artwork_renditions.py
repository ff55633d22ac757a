"""Artwork renditions (issue 16, items 4 and 8): the feed, the pages and the audio tags never carry
the uploaded original, but JPEGs made from it: a square RGB cover of 1400-3000 px for the feed,
160/320/600 px for pages (srcset), about 600 px under 200 KB in every MP3. Artwork Apple refuses
(600 px, 3500 px, RGBA PNG, CMYK JPEG, not square) is made into such a cover when it can be."""

import html
import io
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from mutagen.id3 import ID3
from PIL import Image

from episodes import services
from episodes.artwork import (
    FEED_MAX_BYTES,
    MAX_ARTWORK_BYTES,
    TAG_MAX_BYTES,
    apple_artwork_problem,
    artwork_for_import,
    render,
)
from episodes.audio import write_tags
from episodes.models import Episode, Show
from testkit.factories import make_audio_episode
from testkit.media import audio_bytes, make_artwork, make_audio
from testkit.s3 import s3_media_fixture, s3_server_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _busy(width: int, height: int, sigma: float = 30) -> Image.Image:
    """A picture that compresses badly (noise over a gradient), unlike a flat test colour."""
    noise = Image.effect_noise((width, height), sigma)
    gradient = Image.linear_gradient("L").resize((width, height))
    return Image.merge("RGB", (noise, gradient, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def _assert_feed_cover(data: bytes) -> Image.Image:
    """What Apple Podcasts requires of itunes:image: a square RGB JPEG of 1400-3000 px."""
    image = _image(data)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.width == image.height and 1400 <= image.width <= 3000
    return image


def _fetch(client, url: str):
    path = url.removeprefix(settings.SITE_URL).removeprefix("http://testserver")
    response = client.get(path)
    assert response.status_code == 200, (url, response.status_code)
    return response, b"".join(response.streaming_content) if response.streaming else response.content


def _feed(client, show: Show) -> ET.Element:
    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    channel = ET.fromstring(response.content).find("channel")
    assert channel is not None
    return channel


def _show_post(**overrides) -> dict:
    return {
        "title": "Obstetric Anaesthesia Weekly",
        "slug": "ob-anaes-weekly",
        "description": "Cases from the labour ward.",
        "author": "Dr Ada Example",
        "owner_name": "Dr Ada Example",
        "owner_email": "ada@example.org",
        "language": "en",
        "category": "Health & Fitness",
        "subcategory": "Medicine",
        "show_type": "episodic",
        "locked": "on",
        **overrides,
    }


def _episode_post(**overrides) -> dict:
    return {
        "title": "Spinal hypotension",
        "notes": "Phenylephrine first.",
        "episode_type": "full",
        "status": "published",
        "topics": "",
        "persons-TOTAL_FORMS": "0",
        "persons-INITIAL_FORMS": "0",
        "persons-MIN_NUM_FORMS": "0",
        "persons-MAX_NUM_FORMS": "20",
        "audio": SimpleUploadedFile("episode.mp3", audio_bytes(5.0)),
        **overrides,
    }


def _srcset_urls(page: str, css_class: str) -> list[tuple[str, int]]:
    tag = re.search(rf'<img class="{css_class}"[^>]*>', page)
    assert tag is not None, f"no img.{css_class}"
    srcset = re.search(r'srcset="([^"]+)"', tag.group(0))
    assert srcset is not None, tag.group(0)
    assert 'sizes="' in tag.group(0)
    return [
        (url, int(width[:-1])) for url, width in (c.split() for c in html.unescape(srcset[1]).split(", "))
    ]


# --- The 19 MB cover of the issue ----------------------------------------------------------------


def test_a_19_mb_png_cover_is_stored_but_only_small_jpegs_reach_feed_pages_and_mp3(host_client, host):
    """The issue's case: a ~19.6 MB PNG passes the 20 MB limit; it is kept as uploaded, yet the
    feed, the pages and the MP3 carry JPEGs made from it, and the MP3 grows by less than 200 KB."""
    original = _png(_busy(3000, 3000), compress_level=1)
    assert 19 * 1024 * 1024 < len(original) < MAX_ARTWORK_BYTES
    response = host_client.post(
        reverse("episodes:host_show_create"),
        _show_post(artwork=SimpleUploadedFile("cover.png", original)),
    )
    assert response.status_code == 302, response.content[:500]
    show = Show.objects.get(slug="ob-anaes-weekly")
    with show.artwork.open("rb") as stored:
        assert stored.read() == original  # the original, kept as uploaded

    response = host_client.post(reverse("episodes:host_episode_upload", args=[show.slug]), _episode_post())
    assert response.status_code == 302
    episode = Episode.objects.get(show=show)

    # The MP3: a ~600 px JPEG cover under 200 KB, not the 19 MB original.
    cover = ID3(episode.audio.path).getall("APIC")
    assert len(cover) == 1 and cover[0].mime == "image/jpeg" and cover[0].type == 3
    assert len(cover[0].data) <= TAG_MAX_BYTES
    tag_image = _image(cover[0].data)
    assert tag_image.format == "JPEG" and tag_image.size == (600, 600) and tag_image.mode == "RGB"
    untagged = make_audio(5.0).stat().st_size
    assert episode.audio_size - untagged < 200 * 1024  # was: + 19.6 MB for every download

    # The feed: itunes:image and image are the same JPEG cover, fetched as an app would.
    channel = _feed(host_client, show)
    feed_url = channel.find(f"{ITUNES}image").get("href")
    assert channel.findtext("image/url") == feed_url
    fetched, data = _fetch(host_client, feed_url)
    assert fetched["Content-Type"] == "image/jpeg"
    assert "immutable" in fetched["Cache-Control"]
    assert _assert_feed_cover(data).width == 3000  # as large as the original, within Apple's range
    assert len(data) <= FEED_MAX_BYTES

    # The public page: small renditions with srcset, each one served.
    page = host_client.get(show.get_absolute_url()).content.decode()
    assert show.get_artwork_url() not in page  # the original is linked nowhere public
    candidates = _srcset_urls(page, "show-cover")
    assert [width for _url, width in candidates] == [160, 320, 600]
    for url, width in candidates:
        served, data = _fetch(host_client, url)
        assert served["Content-Type"] == "image/jpeg"
        assert _image(data).size == (width, width)
        assert len(data) < 200 * 1024
    assert show.get_artwork_url() not in _fetch(host_client, reverse("home"))[1].decode()


def test_a_busy_cover_stays_within_the_tag_and_feed_budgets_yet_within_apples_range():
    rendered = render(_png(_busy(1500, 1500, sigma=90), compress_level=1))
    assert len(rendered.images[600]) <= TAG_MAX_BYTES
    assert 480 <= _image(rendered.images[600]).width <= 600
    feed = _assert_feed_cover(rendered.images[rendered.feed_width])
    assert feed.width == rendered.feed_width


# --- Artwork Apple refuses becomes a valid cover (item 4) --------------------------------------------


def _rgba_png() -> bytes:
    image = Image.new("RGBA", (1400, 1400), (200, 30, 30, 255))
    image.paste((0, 0, 0, 0), (0, 0, 700, 1400))  # the left half transparent
    return _png(image)


REFUSED = {
    "600px": (lambda: make_artwork(600, "PNG"), 1400),
    "3500px": (lambda: make_artwork(3500, "JPEG"), 3000),
    "rgba-png": (_rgba_png, 1400),
    "cmyk-jpeg": (lambda: make_artwork(1500, "JPEG", "CMYK"), 1500),
    "not-square-crop": (lambda: make_artwork(1600, "JPEG", height=1400), 1400),
    "wide-banner-pad": (lambda: make_artwork(2000, "PNG", height=1000), 2000),
    "grey-png": (lambda: make_artwork(1400, "PNG", "L"), 1400),
    "palette-png": (lambda: make_artwork(1400, "PNG", "P"), 1400),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_imported_artwork_apple_refuses_gets_a_valid_cover_in_the_feed(client, kind):
    make, side = REFUSED[kind]
    data = make()
    original, changes = artwork_for_import(data)
    assert changes  # the import summary says what the feed cover changed
    show = services.show_create(
        host=None,
        data={
            "title": "Imported",
            "slug": "imported",
            "description": "From another host.",
            "author": "A",
            "owner_name": "A",
            "owner_email": "a@example.org",
            "artwork": original,
        },
    )
    with show.artwork.open("rb") as stored:
        assert stored.read() == data  # the original as it came
    channel = _feed(client, show)
    _response, cover = _fetch(client, channel.find(f"{ITUNES}image").get("href"))
    image = _assert_feed_cover(cover)
    assert image.width == side
    assert apple_artwork_problem(show.artwork, show.artwork_renditions) == ""


def test_transparent_parts_become_white_and_cmyk_keeps_its_colour():
    rendered = render(_rgba_png())
    cover = _image(rendered.images[1400])
    assert cover.getpixel((100, 700)) >= (250, 250, 250)  # was transparent
    red, green, blue = cover.getpixel((1300, 700))
    assert red > 180 and green < 60 and blue < 60
    cmyk = Image.new("CMYK", (1400, 1400), (0, 255, 255, 0))  # pure red in CMYK
    red, green, blue = _image(render(_jpeg(cmyk)).images[1400]).getpixel((700, 700))
    assert red > 200 and green < 60 and blue < 60


def test_nearly_square_artwork_is_cropped_and_a_banner_is_padded_not_cut():
    tall = Image.new("RGB", (1400, 1600), "white")
    tall.paste((255, 0, 0), (0, 0, 1400, 100))  # a red band at the top: cropped away (centre crop)
    cropped = _image(render(_jpeg(tall)).images[1400])
    assert cropped.size == (1400, 1400) and cropped.getpixel((700, 5))[1] > 200
    banner = Image.new("RGB", (3000, 1000), (0, 0, 255))
    padded = _image(render(_png(banner)).images[3000])
    assert padded.size == (3000, 3000)
    assert padded.getpixel((1500, 1500))[2] > 200  # the banner, whole, in the middle


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_artwork(200, "PNG"), "too small to make podcast artwork from (200 × 200 pixels)"),
        (make_artwork(2000, "PNG", height=100), "too small"),
        (b"GIF89a not really", "not an image we can read"),
        (b"<html>404</html>", "not an image we can read"),
        (make_artwork(1400, "PNG")[:300], "damaged or truncated"),
    ],
)
def test_artwork_no_cover_can_be_made_from_is_refused_with_the_reason(data, message):
    with pytest.raises(ValidationError) as caught:
        artwork_for_import(data)
    assert message in " ".join(caught.value.messages)


def test_other_formats_are_kept_as_png_originals():
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), "#0b5cad").save(buffer, format="GIF")
    original, changes = artwork_for_import(buffer.getvalue())
    assert original.name == "artwork.png" and _image(original.read()).format == "PNG"
    assert any("GIF" in change for change in changes)


# --- The host page flags a show Apple would refuse ---------------------------------------------------


def test_a_show_without_artwork_is_flagged_not_ready_for_apple(host_client, show):
    page = host_client.get(reverse("episodes:host_show", args=[show.slug])).content.decode()
    assert 'id="apple-artwork"' in page and "Not ready for Apple Podcasts" in page
    show = services.show_update(
        show=show,
        actor=None,
        data={"artwork": ContentFile(make_artwork(1400), name="artwork.jpg")},
    )
    page = host_client.get(reverse("episodes:host_show", args=[show.slug])).content.decode()
    assert "Not ready for Apple Podcasts" not in page


# --- Replacing, removing, failing ------------------------------------------------------------------


def _files(root) -> set[str]:
    root = Path(root)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_replacing_show_artwork_makes_new_renditions_and_deletes_the_old_after_commit(
    client, show, media_root, django_capture_on_commit_callbacks
):
    show = services.show_update(
        show=show, actor=None, data={"artwork": ContentFile(make_artwork(1400), name="artwork.jpg")}
    )
    old_url, old = show.get_feed_artwork_url(), dict(show.artwork_renditions)
    with django_capture_on_commit_callbacks(execute=True):
        show = services.show_update(
            show=show, actor=None, data={"artwork": ContentFile(_jpeg(_busy(1600, 1600)), name="a.jpg")}
        )
    new_url = show.get_feed_artwork_url()
    assert new_url != old_url and new_url.endswith("-1600.jpg")
    for key, name in old.items():
        if key.isdigit():
            assert not (Path(media_root) / name).exists()
    # A feed fetched before the change still leads to the cover: the old URL redirects to the new.
    response = client.get(old_url)
    assert response.status_code == 302 and response["Location"] == new_url
    _assert_feed_cover(_fetch(client, new_url)[1])


def test_removing_episode_artwork_drops_its_renditions_and_the_feed_item_image(
    host_client, show, django_capture_on_commit_callbacks
):
    with open(make_audio(5.0), "rb") as handle:
        episode = services.episode_create(
            show=show,
            actor=None,
            title="With art",
            audio=SimpleUploadedFile("a.mp3", handle.read()),
            status=Episode.Status.PUBLISHED,
            artwork=ContentFile(make_artwork(700, "PNG", "RGBA"), name="artwork.png"),
        )
    names = [name for key, name in episode.artwork_renditions.items() if key.isdigit()]
    assert names and all((Path(settings.MEDIA_ROOT) / n).exists() for n in names)
    item = _feed(host_client, show).find("item")
    _assert_feed_cover(_fetch(host_client, item.find(f"{ITUNES}image").get("href"))[1])
    with django_capture_on_commit_callbacks(execute=True):
        services.episode_update(episode=episode, actor=None, data={}, remove_artwork=True)
    episode.refresh_from_db()
    assert episode.artwork_renditions == {}
    assert not any((Path(settings.MEDIA_ROOT) / n).exists() for n in names)
    assert _feed(host_client, show).find("item").find(f"{ITUNES}image") is None


def test_a_failed_show_create_leaves_no_rendition_behind(show, media_root):
    before = _files(media_root)
    with pytest.raises(ValidationError):
        services.show_create(  # the slug is taken: refused after the files were stored
            host=None,
            data={
                "title": "Twin",
                "slug": show.slug,
                "description": "d",
                "author": "A",
                "owner_name": "A",
                "owner_email": "a@example.org",
                "artwork": ContentFile(make_artwork(1400), name="artwork.jpg"),
            },
        )
    assert _files(media_root) == before


def test_a_rendition_of_a_draft_episode_is_not_public(client, show):
    with open(make_audio(5.0), "rb") as handle:
        episode = services.episode_create(
            show=show,
            actor=None,
            title="Draft",
            audio=SimpleUploadedFile("a.mp3", handle.read()),
            artwork=ContentFile(make_artwork(1400), name="artwork.jpg"),
        )
    assert client.get(episode.get_feed_artwork_url()).status_code == 404
    unknown = episode.get_feed_artwork_url().replace("-1400.jpg", "-777.jpg")
    assert client.get(unknown).status_code == 404


# --- Artwork stored before renditions existed -----------------------------------------------------------


def test_the_command_makes_renditions_for_artwork_stored_before(client, show, capsys):
    show.artwork.save("cover.png", io.BytesIO(make_artwork(1400, "PNG")), save=True)  # as stored before
    episode = make_audio_episode(show, seconds=5.0)
    # Until the command runs, pages and feeds use the original, which was checked when uploaded.
    assert _feed(client, show).find(f"{ITUNES}image").get("href").endswith(show.get_artwork_url())
    page = client.get(show.get_absolute_url()).content.decode()
    assert f'src="{show.get_artwork_url()}"' in page
    # The MP3 already carries the small cover, made from the original when tagged.
    assert _image(ID3(episode.audio.path).getall("APIC")[0].data).size == (600, 600)

    call_command("artwork_renditions")
    assert "Renditions made for 1 of 1 artworks; 0 failed." in capsys.readouterr().out
    show.refresh_from_db()
    feed_url = _feed(client, show).find(f"{ITUNES}image").get("href")  # the feed cache was told
    assert feed_url.endswith(show.get_feed_artwork_url()) and feed_url.endswith("-1400.jpg")
    _assert_feed_cover(_fetch(client, feed_url)[1])
    call_command("artwork_renditions")  # again: nothing to do
    assert "Renditions made for 0 of 1 artworks" in capsys.readouterr().out


# --- In an S3 bucket ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_renditions_live_in_the_bucket_are_stored_outside_transactions_and_served_signed(
    client, show, s3_media, media_root
):
    calls: list[tuple[str, bool]] = []
    database = connections["default"]

    def note(request, **kwargs):
        calls.append((request.method, database.in_atomic_block))

    from django.core.files.storage import default_storage

    default_storage.connection.meta.client.meta.events.register("before-send.s3", note)
    show = services.show_update(
        show=show, actor=None, data={"artwork": ContentFile(make_artwork(3500, "PNG", "RGBA"), "a.png")}
    )
    names = [name for key, name in show.artwork_renditions.items() if key.isdigit()]
    assert len(names) == 4 and set(names) <= set(s3_media.keys())
    assert not Path(media_root).exists() or not any(Path(media_root).rglob("*.jpg"))
    assert [method for method, _ in calls].count("PUT") >= 5  # the original and four renditions
    assert [call for call in calls if call[1]] == []  # none inside a transaction

    feed_url = _feed(client, show).find(f"{ITUNES}image").get("href")
    redirect = client.get(feed_url.removeprefix("http://testserver"))
    assert redirect.status_code == 302 and redirect["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(redirect["Location"], timeout=10) as response:  # as an app follows it
        assert response.headers["Content-Type"] == "image/jpeg"
        assert "immutable" in response.headers["Cache-Control"]
        assert _assert_feed_cover(response.read()).width == 3000
    with pytest.raises(urllib.error.HTTPError) as anonymous:  # nothing in the bucket is public
        urllib.request.urlopen(s3_media.object_url(names[0]), timeout=10)
    assert anonymous.value.code == 403


def test_retag_shrinks_a_large_cover_already_copied_into_stored_audio(client, show, capsys):
    original = _png(_busy(1500, 1500, sigma=60), compress_level=1)  # ~6 MB, as uploaded before
    show.artwork.save("cover.png", io.BytesIO(original), save=True)
    episode = make_audio_episode(show, seconds=5.0)
    write_tags(episode.audio.path, title=episode.title, show_title=show.title, artwork=original)
    Episode.objects.filter(pk=episode.pk).update(audio_size=Path(episode.audio.path).stat().st_size)
    assert Path(episode.audio.path).stat().st_size > len(original)  # how it was stored before

    call_command("artwork_renditions", "--retag")
    assert "re-tagged with the small cover: 1 episodes; 0 failed" in capsys.readouterr().out
    episode.refresh_from_db()
    (cover,) = ID3(episode.audio.path).getall("APIC")
    assert cover.mime == "image/jpeg" and len(cover.data) <= TAG_MAX_BYTES
    assert episode.audio_size == Path(episode.audio.path).stat().st_size < 200 * 1024
    enclosure = _feed(client, show).find("item/enclosure")
    assert int(enclosure.get("length")) == episode.audio_size  # the feed announces the new length
    call_command("artwork_renditions", "--retag")  # again: nothing left to shrink
    assert "re-tagged with the small cover: 0 episodes" in capsys.readouterr().out
