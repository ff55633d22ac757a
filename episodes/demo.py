"""The demo show "Airway Rounds": Pillow artwork, episodes spoken by espeak-ng and encoded by ffmpeg."""

import io
import json
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont, ImageOps

from accounts.models import User

from .models import Episode, EpisodePerson, Show, ShowHost, podcast_guid_for
from .services import PersonData, episode_create, show_create, show_update

DEMO_SHOW_SLUG = "airway-rounds"
# A second, smaller show, so that a topic (#POCUS) gathers episodes from two shows: /topics/pocus/feed.xml.
SECOND_SHOW_SLUG = "ultrasound-minutes"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SAMPLE_RATE = 22050  # espeak-ng's own rate: no resampling of the speech
VOICES = {"host": "en-us", "guest": "en-gb+f3", "faculty": "en-us+m4"}
GAP_SECONDS = 0.35


class DemoError(RuntimeError):
    """The demo cannot be built on this machine; the message says what to install."""


@dataclass(frozen=True)
class Line:
    role: str  # a key of VOICES and of PEOPLE
    text: str
    chapter: str = ""  # a chapter starts with this line when set


@dataclass(frozen=True)
class DemoEpisode:
    slug: str
    title: str
    number: int
    days_from_now: int  # negative: published that many days ago; positive: scheduled
    topics: str
    notes: str
    lines: list[Line] = field(default_factory=list)
    with_transcript: bool = False


PEOPLE = {
    "host": PersonData(name="Hank Host", role=EpisodePerson.Role.HOST, credentials="MD"),
    "guest": PersonData(name="Grace Guest", role=EpisodePerson.Role.GUEST, credentials="MBBS, FRCA"),
    "faculty": PersonData(name="Fatima Faculty", role=EpisodePerson.Role.FACULTY, credentials="MD, PhD"),
}

SHOW_DATA = {
    "title": "Airway Rounds",
    "description": (
        "Short, case-based episodes on airway management for anaesthetists and emergency physicians: "
        "the difficult airway cart, ultrasound of the airway, and the obstetric airway. "
        "Listen in any podcast app, then claim your CME credit on podcastcme."
    ),
    "author": "American Society of Podcast Anesthesiology",
    "owner_name": "American Society of Podcast Anesthesiology",
    "owner_email": "podcast@example.com",
    "language": "en",
    "category": "Health & Fitness",
    "subcategory": "Medicine",
    "website": "https://example.com/airway-rounds",
}

EPISODES = [
    DemoEpisode(
        slug="the-difficult-airway-cart",
        title="The difficult airway cart",
        number=1,
        days_from_now=-130,
        topics="#airway",
        notes=(
            "What belongs on a **difficult airway cart**, and how to lay it out so that anyone can find "
            "the right tool at three in the morning.\n\n"
            "- Plan A to plan D, drawer by drawer\n- Checking the cart every shift\n"
        ),
        lines=[
            Line("host", "Welcome to Airway Rounds, episode one: the difficult airway cart.", "Intro"),
            Line("guest", "Lay out the cart in the order of your plan, from plan A at the top to plan D."),
        ],
    ),
    DemoEpisode(
        slug="pocus-for-the-airway",
        title="POCUS for the airway",
        number=2,
        # Its CME activity was claimed about 100 days ago, and followed up since (followups/demo.py).
        days_from_now=-120,
        topics="#POCUS #airway",
        notes=(
            "Point-of-care ultrasound finds the **cricothyroid membrane** before you need it, "
            "and confirms tracheal intubation in seconds.\n\n"
            "1. Marking the membrane\n2. Confirming the tube\n3. Gastric volume before induction\n"
        ),
        lines=[
            Line("host", "Welcome to Airway Rounds, episode two: ultrasound for the airway.", "Intro"),
            Line(
                "guest",
                "Before induction, slide the probe down the neck and mark the cricothyroid membrane.",
                "Marking the membrane",
            ),
            Line(
                "faculty",
                "After intubation, one trachea on the screen means the tube is in the right place.",
                "Confirming the tube",
            ),  # fmt: skip
            Line("host", "Thanks for listening. Claim your credit on podcastcme.", "Claiming credit"),
        ],
        with_transcript=True,
    ),
    DemoEpisode(
        slug="the-obstetric-airway",
        title="The obstetric airway",
        number=3,
        days_from_now=-7,
        topics="#OBanes #airway",
        notes=(
            "Pregnancy changes the airway: oedema, reflux and faster desaturation. "
            "We walk through a general anaesthetic for an emergency caesarean section."
        ),
        lines=[
            Line("host", "Welcome to Airway Rounds, episode three: the obstetric airway.", "Intro"),
            Line(
                "guest",
                "Position her ramped, pre-oxygenate well, and have a second-generation "
                "supraglottic airway ready.",
            ),  # fmt: skip
        ],
    ),
    DemoEpisode(
        slug="extubation-done-well",
        title="Extubation done well",
        number=4,
        days_from_now=7,
        topics="#airway",
        notes="Extubation is elective: plan it as carefully as the intubation.",
        lines=[
            Line("host", "Welcome to Airway Rounds, episode four: extubation done well.", "Intro"),
            Line("guest", "Extubate awake, sitting up, with a plan to reintubate if needed."),
        ],
    ),
]


SECOND_SHOW_DATA = {
    **SHOW_DATA,
    "title": "Ultrasound Minutes",
    "description": (
        "Two-minute lessons in point-of-care ultrasound for the emergency department and the "
        "operating room. Listen in any podcast app."
    ),
    "website": "https://example.com/ultrasound-minutes",
}

SECOND_SHOW_EPISODES = [
    DemoEpisode(
        slug="lung-sliding",
        title="Lung sliding in two minutes",
        number=1,
        days_from_now=-10,
        topics="#POCUS #lungs",
        notes=(
            "Where to put the probe, what **lung sliding** looks like, and why its absence is not "
            "always a pneumothorax."
        ),
        lines=[
            Line("host", "Welcome to Ultrasound Minutes: lung sliding in two minutes.", "Intro"),
            Line("guest", "Place the probe between two ribs and look for the shimmering pleural line."),
        ],
    ),
]


def _require_tools() -> None:
    missing = [tool for tool in ("ffmpeg", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        raise DemoError(
            f"The demo audio needs {' and '.join(missing)}, which is not installed. "
            "`make run` installs it (or: apt-get install ffmpeg espeak-ng)."
        )


def _font(size: int, bold: bool = True):
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def make_artwork(title: str = "Airway Rounds", size: int = 1400) -> bytes:
    """Square RGB JPEG cover art: a blue gradient, sound waves and the title."""
    gradient = Image.linear_gradient("L").resize((size, size))
    image = ImageOps.colorize(gradient, black="#0b2540", white="#0b5cad").convert("RGB")
    draw = ImageDraw.Draw(image)
    centre_x, centre_y = size // 2, int(size * 0.36)
    for ring in range(1, 6):  # sound waves spreading out from a microphone dot
        radius = ring * size // 14
        box = (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)
        width = max(4, size // 120)
        draw.arc(box, start=-50, end=50, fill="#8cc4ff", width=width)
        draw.arc(box, start=130, end=230, fill="#8cc4ff", width=width)
    dot = size // 22
    draw.ellipse((centre_x - dot, centre_y - dot, centre_x + dot, centre_y + dot), fill="#ffbf47")
    words = title.split()
    big = _font(size // 9)
    y = int(size * 0.58)
    for word in words:
        draw.text((size // 2, y), word, font=big, fill="#ffffff", anchor="mt")
        y += int(size // 9 * 1.15)
    draw.text((size // 2, size - size // 10), "CME · podcastcme", font=_font(size // 22, bold=False),
              fill="#d5e8fb", anchor="mb")  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as error:
        raise DemoError(f"{command[0]} failed: {error.stderr.decode(errors='replace')[-500:]}") from None


def _speak(text: str, voice: str, out: Path) -> float:
    """A WAV of espeak-ng saying ``text``; returns its length in seconds."""
    _run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(out), text])
    with wave.open(str(out)) as wav:
        return wav.getnframes() / wav.getframerate()


def make_episode_audio(lines: list[Line], workdir: Path, out: Path) -> list[float]:
    """A mono 64k MP3: a two-note jingle, then each line spoken; returns when each line starts."""
    jingle = (
        f"sine=frequency=523.25:duration=0.45:sample_rate={SAMPLE_RATE},volume=0.3,afade=t=out:st=0.3:d=0.15[j1];"
        f"sine=frequency=783.99:duration=0.7:sample_rate={SAMPLE_RATE},volume=0.3,afade=t=out:st=0.4:d=0.3[j2];"
    )
    position = 0.45 + 0.7
    inputs, parts, starts = [], ["[j1]", "[j2]"], []
    graph = jingle
    for index, line in enumerate(lines):
        wav = workdir / f"line{index}.wav"
        seconds = _speak(line.text, VOICES[line.role], wav)
        inputs += ["-i", str(wav)]
        graph += (
            f"aevalsrc=0:s={SAMPLE_RATE}:d={GAP_SECONDS}[g{index}];"
            f"[{index}:a]aformat=sample_rates={SAMPLE_RATE}:channel_layouts=mono[s{index}];"
        )
        parts += [f"[g{index}]", f"[s{index}]"]
        position += GAP_SECONDS
        starts.append(position)
        position += seconds
    graph += (
        f"aevalsrc=0:s={SAMPLE_RATE}:d=1[end];"
        + "".join(parts)
        + f"[end]concat=n={len(parts) + 1}:v=0:a=1[out]"
    )
    _run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]",
         "-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "64k", str(out)]
    )  # fmt: skip
    return starts + [position]


def _vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def make_transcript(lines: list[Line], starts: list[float]) -> str:
    """WebVTT matching the spoken audio, one cue per line, each with its speaker's voice tag."""
    cues = ["WEBVTT", ""]
    for index, line in enumerate(lines):
        end = starts[index + 1] - GAP_SECONDS if index + 1 < len(lines) else starts[-1]
        cues += [
            f"{_vtt_time(starts[index])} --> {_vtt_time(end)}",
            f"<v {PEOPLE[line.role].name}>{line.text}</v>",
            "",
        ]
    return "\n".join(cues)


def make_chapters(lines: list[Line], starts: list[float]) -> str:
    chapters: list[dict[str, object]] = []
    for index, line in enumerate(lines):
        if line.chapter:
            start = 0 if not chapters else round(starts[index], 2)
            chapters.append({"startTime": start, "title": line.chapter})
    return json.dumps({"version": "1.2.0", "chapters": chapters}, indent=2)


def _ensure_second_show(host: User) -> Show:
    show = Show.objects.filter(slug=SECOND_SHOW_SLUG).first()
    if show is None:
        artwork = ContentFile(make_artwork(SECOND_SHOW_DATA["title"]), name=f"{SECOND_SHOW_SLUG}.jpg")
        show = show_create(host=host, data={**SECOND_SHOW_DATA, "slug": SECOND_SHOW_SLUG, "artwork": artwork})
    ShowHost.objects.get_or_create(show=show, user=host)
    return show


def _ensure_show(host: User) -> Show:
    show = Show.objects.filter(slug=DEMO_SHOW_SLUG).first()
    if show is None:
        artwork = ContentFile(make_artwork(SHOW_DATA["title"]), name=f"{DEMO_SHOW_SLUG}.jpg")
        show = show_create(host=host, data={**SHOW_DATA, "slug": DEMO_SHOW_SLUG, "artwork": artwork})
    elif not show.artwork or not show.description or not show.owner_email:
        # A bare row left by an older seed_demo: complete it rather than making a second show.
        artwork = ContentFile(make_artwork(SHOW_DATA["title"]), name=f"{DEMO_SHOW_SLUG}.jpg")
        show = show_update(show=show, actor=host, data={**SHOW_DATA, "artwork": artwork})
    if show.podcast_guid is None:
        # show_update never touches the guid (it must not change once set); the bare row never had one.
        Show.objects.filter(pk=show.pk, podcast_guid__isnull=True).update(
            podcast_guid=podcast_guid_for(show.feed_url)
        )
        show.refresh_from_db()
    ShowHost.objects.get_or_create(show=show, user=host)
    return show


def _create_episode(show: Show, host: User, spec: DemoEpisode, workdir: Path) -> Episode:
    mp3 = workdir / f"{spec.slug}.mp3"
    starts = make_episode_audio(spec.lines, workdir, mp3)
    roles = list(dict.fromkeys(line.role for line in spec.lines))
    transcript = chapters = None
    if spec.with_transcript:
        transcript = ContentFile(make_transcript(spec.lines, starts).encode(), name="transcript.vtt")
        chapters = ContentFile(make_chapters(spec.lines, starts).encode(), name="chapters.json")
    with mp3.open("rb") as handle:
        return episode_create(
            show=show,
            actor=host,
            title=spec.title,
            slug=spec.slug,
            audio=File(handle, name=mp3.name),
            notes=spec.notes,
            status=Episode.Status.PUBLISHED,
            publish_at=timezone.now() + timedelta(days=spec.days_from_now),
            season=1,
            number=spec.number,
            topics=spec.topics,
            persons=[PEOPLE[role] for role in roles],
            transcript=transcript,
            chapters=chapters,
        )


def _missing(slug: str, specs: list[DemoEpisode]) -> list[DemoEpisode]:
    existing = set(Episode.objects.filter(show__slug=slug).values_list("slug", flat=True))
    return [spec for spec in specs if spec.slug not in existing]


def seed_demo_show(*, host: User) -> Show:
    """Create (or complete) the demo show and its episodes, and the second show (Ultrasound
    Minutes, whose #POCUS episode joins the demo show's in /topics/pocus/feed.xml); running it
    again changes nothing. Returns the demo show."""
    missing = _missing(DEMO_SHOW_SLUG, EPISODES)
    missing_second = _missing(SECOND_SHOW_SLUG, SECOND_SHOW_EPISODES)
    if missing or missing_second:
        _require_tools()  # before anything is written
    show = _ensure_show(host)
    second = _ensure_second_show(host)
    with tempfile.TemporaryDirectory(prefix="podcastcme-demo-") as workdir:
        for target, specs in ((show, missing), (second, missing_second)):
            for spec in specs:
                _create_episode(target, host, spec, Path(workdir))
    return show
