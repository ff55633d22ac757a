"""Hostile input never gives a 500: named regressions, then a Hypothesis walk over every URL pattern."""

import datetime
import io
import logging
import os
import re
import time
import zlib
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from credits.models import ExternalCredit, Question
from episodes.models import Episode

# The credits fixtures (episode, activity, passed, evaluated and what they need), as billing's conftest does.
from testkit.factories import QUIZ
from testkit.media import audio_bytes
from testkit.mfa import mfa_login

DEEP_JSON = b"[" * 100_000
CHAPTERS = b'{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}'


# --- Deeply nested JSON --------------------------------------------------------------------------


def _episode_post(**files) -> dict:
    return {
        "title": "Spinal hypotension",
        "notes": "",
        "episode_type": "full",
        "status": "published",
        "topics": "",
        "persons-TOTAL_FORMS": "0",
        "persons-INITIAL_FORMS": "0",
        "persons-MIN_NUM_FORMS": "0",
        "persons-MAX_NUM_FORMS": "20",
        "audio": SimpleUploadedFile("episode.mp3", audio_bytes(2.0, "mp3"), content_type="audio/mpeg"),
        **files,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [DEEP_JSON, b'{"version": "1.2.0", "chapters": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"],
    ids=["100k-open-brackets", "5k-balanced"],
)
def test_deeply_nested_chapters_json_is_a_clear_form_error(client, host, show, content):
    mfa_login(client, host)

    response = client.post(
        reverse("episodes:host_episode_upload", args=[show.slug]),
        _episode_post(chapters=SimpleUploadedFile("c.json", content)),
    )

    assert response.status_code == 400
    assert "The chapters file is nested too deeply" in response.content.decode()
    assert not Episode.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [DEEP_JSON, b'{"questions": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"],
    ids=["100k-open-brackets", "5k-balanced"],
)
def test_deeply_nested_quiz_import_is_a_clear_form_error(client, coordinator, activity, content):
    mfa_login(client, coordinator)
    upload = io.BytesIO(content)
    upload.name = "quiz.json"

    response = client.post(reverse("credits:coordinator_quiz_import", args=[activity.pk]), {"file": upload})

    assert response.status_code == 400
    assert "The quiz file is nested too deeply" in response.content.decode()
    assert Question.objects.filter(activity=activity).count() == len(QUIZ["questions"])


@pytest.mark.django_db
def test_deeply_nested_listening_progress_is_a_clear_400(client, learner, episode):
    client.force_login(learner)

    response = client.post(
        reverse("credits:listening_progress", args=[episode.pk]),
        b'{"ranges": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]


# --- NUL and control characters ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["\x00", "airway\x00", "\x00\x00%00", "a\x00b c"])
def test_search_with_a_nul_character_is_a_clear_400(client, episode, q):
    response = client.get(reverse("episodes:search"), {"q": q})

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["\x01", "\x1f", "air\x7fway", "\x0b\x0c", "\ufffe"])
def test_search_with_other_control_characters_answers(client, episode, q):
    response = client.get(reverse("episodes:search"), {"q": q})

    assert response.status_code in (200, 400)


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL refuses NUL in text (make test runs it)"
)
@pytest.mark.django_db
def test_search_with_a_nul_character_on_postgresql_is_a_clear_400(client, episode):
    assert connection.vendor == "postgresql"

    response = client.get("/search/?q=%00")

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/verify/%00/", None),  # a path converter
        ("/verify/", {"code": "ab\x00cd"}),  # a query string read by the view
        ("/learning/transcript/", {"topic": "\x00"}),  # a ModelChoiceField by slug
    ],
)
def test_nul_anywhere_in_the_url_is_a_clear_400(client, learner, url, data):
    client.force_login(learner)

    response = client.get(url, data)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.django_db
def test_nul_in_a_form_body_is_a_clear_400_and_nothing_is_written(client, learner):
    client.force_login(learner)

    response = client.post(
        reverse("credits:external_create"),
        {
            "title": "Grand rounds\x00",
            "provider_name": "Clinic",
            "completed_on": "2024-01-01",
            "credits": "1",
        },
    )

    assert response.status_code == 400
    assert not ExternalCredit.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_nul_in_a_form_field_read_by_the_view_is_a_clear_400(client, learner, show, encoding):
    # /account/feeds/ looks the show up by the posted slug itself: on PostgreSQL a NUL was a 500.
    client.force_login(learner)
    data = {"show": "airway\x00", "action": "create"}
    if encoding == "urlencoded":
        response = client.post(
            reverse("episodes:my_feeds"), urlencode(data), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.post(reverse("episodes:my_feeds"), data)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


# --- Dates out of range --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"end": "9999-12-31"},
        {"start": "0001-01-01"},
        {"start": "0001-01-01", "end": "9999-12-31"},
        {"start": "9999-12-31"},
        {"end": "0001-01-01"},
        {"start": "1000-01-01"},
    ],
)
@pytest.mark.parametrize("url", ["credits:transcript", "credits:transcript_csv", "credits:transcript_pdf"])
def test_transcript_dates_out_of_range_are_a_clear_400(client, learner, params, url):
    client.force_login(learner)

    response = client.get(reverse(url), params)

    assert response.status_code == 400
    assert "between 1900-01-01 and 2999-12-31" in response.content.decode()


@pytest.mark.django_db
def test_transcript_dates_at_the_edges_of_the_range_work(client, learner):
    client.force_login(learner)

    response = client.get(reverse("credits:transcript"), {"start": "1900-01-01", "end": "2999-12-31"})

    assert response.status_code == 200
    assert datetime.date(1900, 1, 1) == response.context["form"].cleaned_data["start"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"start": "9999-12-30", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-12-31"},
        {"start": "2024-01-01", "end": "9999-12-31"},
    ],
)
@pytest.mark.parametrize("url", ["credits:pars_learners", "credits:pars_learners_txt"])
def test_pars_learner_export_dates_out_of_range_are_a_clear_400(client, coordinator, provider, params, url):
    mfa_login(client, coordinator)

    response = client.get(reverse(url, args=[provider.slug]), params)

    assert response.status_code == 400
    assert "between 1900-01-01 and 2999-12-31" in response.content.decode()


# --- Found by the walker ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_rate_limited_account_deletion_with_an_empty_form_is_a_clear_429(client, learner):
    client.force_login(learner)

    statuses = [client.post(reverse("accounts:delete"), {}).status_code for _ in range(7)]

    assert statuses[0] == 400 and statuses[-1] == 429, statuses
    assert "Too many attempts" in client.post(reverse("accounts:delete"), {}).content.decode()
    learner.refresh_from_db()
    assert learner.is_active


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["episodes_show_add", "episodes_episodeperson_add"])
def test_admin_forms_with_url_fields_open_without_a_deprecation_error(client, make_user, name):
    # Django 5.2 warns that a URL field's default scheme becomes https in Django 6; the suite turns
    # warnings into errors, and the admin's add and change pages of shows and people answered 500.
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    mfa_login(client, staff)

    response = client.get(reverse(f"admin:{name}"))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["'/(", "abc", "9" * 40, "-1"])
@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("credits_providercoordinator_add", "user"),
        ("episodes_showhost_add", "show"),
    ],
)
def test_admin_autocomplete_with_a_value_that_is_not_a_key_is_a_form_error(
    client, make_user, name, field, value
):
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    mfa_login(client, staff)

    response = client.post(reverse(f"admin:{name}"), {field: value})

    assert response.status_code == 200  # the form again, with its errors
    assert "Please correct the error" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["'/(", "abc", "9" * 40, "-1"])
def test_the_read_only_activity_admin_refuses_any_value_without_an_error(client, make_user, value):
    # Activities change only through the coordinator pages (issue 12): the admin's add page is closed.
    from credits.models import Activity

    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    mfa_login(client, staff)

    response = client.post(reverse("admin:credits_activity_add"), {"episode": value})

    assert response.status_code == 403
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_listening_progress_sent_as_a_form_is_a_clear_400(learner, episode):
    # With CSRF checked, as in production: the middleware reads the form before the view reads the body.
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    client.cookies[settings.CSRF_COOKIE_NAME] = "k" * 32
    url = reverse("credits:listening_progress", args=[episode.pk])

    for data in ({"ranges": "[[0, 10]]", "file": io.BytesIO(b"x")}, {"ranges": "[[0, 10]]"}):
        response = client.post(url, {**data, "csrfmiddlewaretoken": "k" * 32})  # multipart, as a form
        assert response.status_code == 400
        assert response.json()["error"] == "The body must be JSON."


# --- The walker: every URL pattern, every role, hostile query strings and form bodies -----------
#
# Each URL pattern of the root URLconf (through every include) is requested as anonymous, learner,
# host, coordinator and staff. Path arguments are existing objects of a small seeded dataset or
# hostile values that still match the pattern (huge numbers, `..`, NUL, long slugs, odd unicode);
# Hypothesis draws the query strings and form bodies (urlencoded and multipart, with field names
# read from the page the role sees). Every request runs in a savepoint that is rolled back, so
# each one meets the same seeded data (a POST that deletes an account does not hide later 500s).
# A 5xx, an exception reaching Django's handler, or an ERROR logged during a request is a failure;
# the test lists every failing pattern, role and request at the end.
#
# Nothing is excluded: the Stripe webhook is walked (without a signature it must answer 400), and
# so are the admin's 200 patterns (with fewer examples: they are Django's own code).


ROLES = ("anonymous", "learner", "host", "coordinator", "staff")
# Hypothesis examples per pattern and role, after a plain GET of the page as that role. Each example
# sends three requests with its own draws: a GET with a hostile query string, a multipart POST and a
# urlencoded POST. Every pattern thus gets five examples (one per role, each with its own seed). The
# admin's 200 patterns are framework code behind one login check: other roles than staff get the
# plain GET only (its login and catch-all patterns are walked in full). Raise the numbers with
# PODCASTCME_HOSTILE_EXAMPLES=N for a deeper local run.
EXAMPLES_PER_ROLE = int(os.environ.get("PODCASTCME_HOSTILE_EXAMPLES", "1"))
ADMIN_EXAMPLES = {"staff": EXAMPLES_PER_ROLE, "anonymous": 0, "learner": 0, "host": 0, "coordinator": 0}
ADMIN_WALKED_IN_FULL = ("admin/login/", "admin/logout/", "admin/(?P<url>.*)$")


@dataclass(frozen=True)
class Pattern:
    route: str  # as written in the URLconfs, includes joined (for messages)
    regex: str  # the full regex, includes joined
    groups: dict[str, str]  # path argument -> the regex its value must match
    literal: str | None  # the path of a pattern without arguments


def _group_regexes(regex: str) -> dict[str, str]:
    """``(?P<name>…)`` groups of a regex with their sub-patterns (brackets balanced by hand)."""
    groups = {}
    for match in re.finditer(r"\(\?P<(\w+)>", regex):
        depth, position = 1, match.end()
        while depth and position < len(regex):
            char = regex[position]
            if char == "\\":
                position += 2
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            position += 1
        groups[match.group(1)] = regex[match.end() : position - 1]
    return groups


def _fill(regex: str, groups: dict[str, str], kwargs: dict[str, str]) -> str | None:
    """The path a pattern's regex describes with ``kwargs`` in its groups (None if not that simple)."""
    template = regex
    for name, sub in groups.items():
        template = template.replace(f"(?P<{name}>{sub})", f"\x01{name}\x02")
    template = re.sub(r"(\\Z|\$)$", "", template)
    if re.search(r"[\^$()\[\]*+?|{}]|\\[^./-]", template):
        return None
    template = re.sub(r"\\([./-])", r"\1", template)
    safe = "/:@-._~!$&'()*+,;="  # what reverse() leaves unquoted

    def fill(match: re.Match[str]) -> str:
        return quote(kwargs[match.group(1)], safe=safe)

    return "/" + re.sub("\x01(\\w+)\x02", fill, template)


def _path(pattern: Pattern, kwargs: dict[str, str]) -> str | None:
    """The pattern's path with these arguments, if it resolves (else None: the value cannot be sent)."""
    try:
        path = _fill(pattern.regex, pattern.groups, kwargs)
        if path is not None:
            resolve(unquote(path))
        return path
    except (Resolver404, UnicodeError):
        return None


def url_patterns() -> list[Pattern]:
    found = []

    def walk(resolver, route: str, regex: str, namespace: str | None):
        for entry in resolver.url_patterns:
            entry_regex = entry.pattern.regex.pattern.lstrip("^")
            if isinstance(entry, URLResolver):
                ns = ":".join(part for part in (namespace, entry.namespace) if part) or None
                walk(entry, route + str(entry.pattern), regex + entry_regex, ns)
            elif isinstance(entry, URLPattern):
                full = regex + entry_regex
                groups = _group_regexes(full)
                literal = _fill(full, groups, {}) if not groups else None
                found.append(Pattern(route + str(entry.pattern), full, groups, literal))

    walk(get_resolver(), "", "", None)
    return found


# Values that are hostile but still match the usual path converters (others are filtered out).
HOSTILE_PATH_VALUES = [
    "0", "1", "2147483648", "9223372036854775808", "9" * 40, "-1", "..", "../../etc/passwd",
    "%2e%2e", "\x00", "%00", "a" * 300, "-" * 64, "_", "💥", "\u202egnp.exe", "null", "{{7*7}}",
    "<script>", "' OR 1=1--", "00000000-0000-0000-0000-000000000000", "CON", "a.b",
]  # fmt: skip

# Query strings and bodies are built by hand so they can carry what a browser never sends:
# invalid percent escapes, overlong UTF-8, encoded lone surrogates, repeated keys.
RAW_FRAGMENTS = ["%", "%zz", "%FF", "%C0%80", "%ED%A0%80", "%00", "a=b=c", "&&", ";", "+", "%2B", "=", "[]"]

HOSTILE_VALUES = [
    "", " ", "\x00", "a\x00b", "0", "-1", "-0", "1e309", "NaN", "Infinity", "2147483648",
    "9223372036854775808", "9" * 60, "-9" * 30, "0.000000001", "1_000", "0x10", "true", "on", "null",
    "0001-01-01", "9999-12-31", "10000-01-01", "2024-02-30", "0000-00-00", "1900-01-01T00:00:00+99:00",
    "-2024-01-01", "../../etc/passwd", "..\\..\\windows", "[" * 2000, "{" * 2000, '{"a": ' * 1000,
    "a" * 100_000, "\u202e", "\ufeff", "\ud800", "\udfff", "\U0001f4a5" * 50, "<script>alert(1)</script>",
    "' OR '1'='1", "%s%s%s%n", "${jndi:ldap://x}", "\r\nSet-Cookie: x=1", "http://127.0.0.1/", "javascript:1",
    "//evil.example", "\\\\evil.example", "00000000-0000-0000-0000-000000000000",
]  # fmt: skip

# One GET per pattern and role sends the usual filters at once, each well-formed but past its range
# (an invalid value in one would stop the form before the others are used).
BATTERY_QUERY = (
    "start=0001-01-01&end=9999-12-31&page=9223372036854775808&q=%5B%5B%5B%5B&next=%2F%2Fevil.example"
)

COMMON_KEYS = [
    "q", "page", "start", "end", "topic", "part", "next", "code", "minutes", "attest", "ranges", "status",
    "o", "p", "e", "_changelist_filters", "all", "ids", "action", "select_across", "index", "post",
    "csrfmiddlewaretoken", "_save", "_continue", "password", "login", "email",
]  # fmt: skip

_any_text = st.text(st.characters(codec=None, categories=None), max_size=40)  # surrogates included
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    _any_text,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(datetime.date.isoformat),
    st.text(alphabet="[]{}()<>\"'\\/.%&=;", max_size=60),
)


def _encode(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def raw_query(keys: list[str]):
    """A raw query string (or urlencoded body) with hostile keys, values and encodings."""
    key = st.one_of(st.sampled_from(keys), _any_text)
    pair = st.one_of(
        st.tuples(key, hostile_text).map(lambda kv: f"{_encode(kv[0])}={_encode(kv[1])}"),
        st.sampled_from(RAW_FRAGMENTS),
        st.tuples(st.sampled_from(keys), st.sampled_from(RAW_FRAGMENTS)).map(lambda kv: f"{kv[0]}={kv[1]}"),
    )
    return st.lists(pair, max_size=8).map("&".join)


def _no_surrogates(value: str) -> str:
    return value.encode("utf-8", "replace").decode("utf-8")


def multipart_body(keys: list[str]):
    """Form fields for Django's multipart encoder (repeated keys as lists), sometimes with a file."""
    values = st.lists(hostile_text.map(_no_surrogates), min_size=1, max_size=3)
    fields = st.dictionaries(st.sampled_from(keys), values, max_size=10)
    hostile_file = st.sampled_from(
        [
            ("x.json", b"[" * 100_000),
            ("x.json", b'{"version": "1.2.0", "chapters": [{"startTime": 1e309, "title": "\\u0000"}]}'),
            ("x.vtt", b"WEBVTT\n\n99:99:99.999 --> 00:00.000\n\x00"),
            ("../../x.mp3", b"ID3" + b"\x00" * 64),
            ("x.pdf", b"%PDF-" + b"\xff" * 64),
            ("", b""),
        ]
    )
    return st.tuples(fields, st.lists(st.tuples(st.sampled_from(keys), hostile_file), max_size=2))


@dataclass
class Seed:
    """The objects path arguments can name, and a logged-in client per role."""

    values: dict[str, list[str]]
    clients: dict[str, Client]
    sessions: dict[str, str | None]


def _form_names(html: str) -> list[str]:
    return sorted(set(re.findall(r'\bname="([^"]{1,100})"', html)))


class _ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        # django.security.* logs a SuspiciousOperation at ERROR by design, with a 400 answer (e.g. a
        # redirect to the login page longer than 16 KB): that is the refusal, not a failure.
        if not record.name.startswith("django.security."):
            self.records.append(record)


class Walker:
    def __init__(self, seed_data: Seed):
        self.seed = seed_data
        self.failures: list[str] = []
        self.requests = 0
        self.log = _ErrorLog()
        self.exceptions: list[BaseException] = []
        self.timings: dict[str, float] = {}

    def _on_exception(self, sender, request=None, **kwargs):
        import sys

        self.exceptions.append(sys.exc_info()[1])

    def request(self, role: str, method: str, path: str, **kwargs) -> HttpResponse:
        client = self.seed.clients[role]
        self.log.records.clear()
        self.exceptions.clear()
        savepoint = transaction.savepoint()
        try:
            response = getattr(client, method)(path, **kwargs)
        finally:
            transaction.savepoint_rollback(savepoint)
            # A logout or account deletion was rolled back with the savepoint; the cookie is put back.
            key = self.seed.sessions[role]
            if key is not None:
                client.cookies[settings.SESSION_COOKIE_NAME] = key
        self.requests += 1
        problem = ""
        if response.status_code >= 500:
            problem = f"status {response.status_code}"
        elif self.exceptions:
            problem = f"exception {self.exceptions[0]!r}"
        elif self.log.records:
            problem = f"logged {self.log.records[0].getMessage()[:200]!r}"
        if problem:
            error = self.exceptions[0] if self.exceptions else None
            detail = f"{type(error).__name__}: {str(error)[:200]}" if error else ""
            raise AssertionError(f"{role} {method.upper()} {path[:300]!r}: {problem} {detail}".rstrip())
        return response

    def paths(self, pattern: Pattern):
        """Valid paths (existing objects) and hostile ones that still resolve to the pattern."""
        if pattern.literal is not None:
            return st.just(pattern.literal)
        per_arg = {}
        for arg, regex in pattern.groups.items():
            valid = [v for v in self.seed.values.get(arg, []) if re.fullmatch(regex, v)]
            hostile = [v for v in HOSTILE_PATH_VALUES if re.fullmatch(regex, v)]
            choices = [st.sampled_from(valid)] if valid else []
            if hostile:
                choices.append(st.sampled_from(hostile))
            choices.append(st.from_regex(regex, fullmatch=True))
            per_arg[arg] = st.one_of(*choices)

        return st.fixed_dictionaries(per_arg).map(lambda kwargs: _path(pattern, kwargs)).filter(bool)

    def walk(self, pattern: Pattern, role: str, examples: int) -> None:
        if pattern.literal is None and _path(pattern, {arg: "1" for arg in pattern.groups}) is None:
            if _fill(pattern.regex, pattern.groups, {arg: "" for arg in pattern.groups}) is None:
                self.failures.append(f"{pattern.route}: its regex is too complex for the walker to fill")
                return
        paths = self.paths(pattern)
        valid_path = self._valid_path(pattern)
        names = list(COMMON_KEYS)
        if valid_path is not None:  # the page as this role sees it: its form fields are the keys to try
            try:
                page = self.request(role, "get", valid_path)
            except AssertionError as error:
                self.failures.append(f"{pattern.route} as {role}: {error}")
                return
            if page.get("Content-Type", "").startswith("text/html"):
                names = _form_names(page.content.decode(errors="replace")) + names

        if not examples:
            return
        if valid_path is not None:  # the known troublemakers at once, before the random draws
            try:
                self.request(role, "get", valid_path, QUERY_STRING=BATTERY_QUERY)
            except AssertionError as error:
                self.failures.append(f"{pattern.route} as {role}: {error}")

        @seed(zlib.crc32(f"{pattern.route} {role}".encode()))
        @hypothesis_settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: hostile examples are short
            suppress_health_check=list(HealthCheck),
        )
        @given(path=paths, query=raw_query(names), body=raw_query(names), multipart=multipart_body(names))
        def check(path, query, body, multipart):
            self.request(role, "get", path, QUERY_STRING=query)
            fields, files = multipart
            data = {key: list(values) for key, values in fields.items()}
            for key, (filename, content) in files:
                data[key] = SimpleUploadedFile(filename or "upload", content)
            self.request(role, "post", path, data=data, content_type=MULTIPART_CONTENT)
            self.request(role, "post", path, data=body, content_type="application/x-www-form-urlencoded")

        try:
            check()
        except Exception as error:  # noqa: BLE001 - every failure is listed, the walk goes on
            first = next((line for line in str(error).splitlines() if line.strip()), repr(error))
            self.failures.append(f"{pattern.route} as {role}: {first}")

    def _valid_path(self, pattern: Pattern) -> str | None:
        if pattern.literal is not None:
            return pattern.literal
        kwargs = {}
        for arg, regex in pattern.groups.items():
            valid = [v for v in self.seed.values.get(arg, []) if re.fullmatch(regex, v)]
            if not valid:
                return None
            kwargs[arg] = valid[0]
        return _path(pattern, kwargs)

    def __enter__(self):
        logging.getLogger().addHandler(self.log)
        got_request_exception.connect(self._on_exception)
        return self

    def __exit__(self, *exc):
        logging.getLogger().removeHandler(self.log)
        got_request_exception.disconnect(self._on_exception)


def _role_client(role: str, user) -> tuple[Client, str | None]:
    client = Client(raise_request_exception=False)
    if role == "learner":
        client.force_login(user)
    elif user is not None:
        mfa_login(client, user)  # host, coordinator, staff: a session that completed two-factor
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return client, (cookie.value if cookie else None)


def _pass_and_evaluate(learner, activity) -> None:
    """The learner passes the post-test (whatever the option values are) and evaluates the activity."""
    from credits import services as credit_services
    from credits.models import Option

    attempt = credit_services.attempt_start(learner=learner, activity=activity)
    correct = set(
        Option.objects.filter(question__activity=activity, is_correct=True).values_list("pk", flat=True)
    )
    answers = {}
    for question in attempt.questions:
        option = next(o for o in question["options"] if o["id"] in correct)
        answers[str(question["id"])] = str(option.get("token", option["id"]))
    credit_services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=answers)
    credit_services.evaluation_submit(
        learner=learner,
        activity=activity,
        data={"objectives_met": 5, "relevant_to_practice": 4, "free_of_bias": 5, "intends_change": False,
              "change_description": "", "comments": ""},
    )  # fmt: skip


@pytest.fixture
def walk_seed(
    settings, make_user, learner, host, coordinator, show, provider, activity,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from django.contrib.contenttypes.models import ContentType

    from billing.models import Order
    from credits import certificates, external_credits
    from credits import services as credit_services
    from credits.downloads import certificate_download_path
    from credits.models import Certificate
    from episodes.models import Topic
    from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_token
    from testkit.media import make_artwork

    settings.STRIPE_WEBHOOK_SECRET = "whsec_hostile_walker_0123456789"  # the webhook checks signatures
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)

    # A published episode with real audio, artwork, transcript and chapters, uploaded as a host does.
    host_client, _key = _role_client("host", host)
    files = {
        "transcript": SimpleUploadedFile("t.vtt", b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n"),
        "chapters": SimpleUploadedFile("c.json", CHAPTERS),
        "artwork": SimpleUploadedFile("a.png", make_artwork(1400, "PNG")),
    }  # fmt: skip
    post = _episode_post(**files)
    post["topics"] = "#airway"
    assert (
        host_client.post(reverse("episodes:host_episode_upload", args=[show.slug]), post).status_code == 302
    )
    uploaded = Episode.objects.exclude(pk=activity.episode_id).get(show=show)
    draft = Episode.objects.create(
        show=show, title="Draft", slug="draft", guid="guid-draft", audio="audio/x/draft.mp3",
        audio_mime="audio/mpeg", audio_size=1000, audio_duration=60, audio_bitrate=64000,
    )  # fmt: skip

    _pass_and_evaluate(learner, activity)
    with django_capture_on_commit_callbacks(execute=True):
        claim = credit_services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    certificate = Certificate.objects.get(claim=claim)
    correction = certificates.correction_request_create(
        certificate=certificate, learner=learner, learner_name="Ada King", degree="MD"
    )
    feed = personal_feed_get_or_create(user=learner, show=show)
    external = external_credits.external_credit_create(
        learner=learner,
        data={"title": "Grand rounds", "provider_name": "Clinic", "completed_on": datetime.date(2024, 1, 2),
              "credits": "1.00", "credit_type": "other"},
        certificate_file=SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n"),
    )  # fmt: skip
    order = Order.objects.create(
        learner=learner, kind="claim", provider=provider, activity=activity, amount=4900, currency="usd"
    )
    download = certificate_download_path(certificate).rstrip("/").split("/")
    attempt = learner.attempts.first() if hasattr(learner, "attempts") else None

    topics = Topic.objects.values_list("slug", flat=True)
    values = {
        "pk": [str(pk) for pk in (uploaded.pk, draft.pk, activity.pk, activity.episode_id, certificate.pk,
                                   correction.pk, external.pk, getattr(attempt, "pk", 1))],
        "slug": [show.slug, uploaded.slug, draft.slug, provider.slug, *topics],
        "show_slug": [show.slug],
        "ext": ["mp3", "m4a", "jpg", "png", "vtt", "srt"],
        "token": [personal_feed_token(feed), download[-2]],
        "filename": [download[-1]],
        "code": [certificate.code, certificates.code_display(certificate.code)],
        "reference": [str(order.reference)],
        "uidb36": ["1", "2"],
        "key": ["MQ:1abcde:xyz"],
        "object_id": [str(pk) for pk in range(1, 6)],
        "content_type_id": [str(pk) for pk in ContentType.objects.values_list("pk", flat=True)[:5]],
        "app_label": ["accounts", "audit", "episodes", "credits", "billing", "auth", "mfa"],
        "url": ["", "nothing/here/"],
    }  # fmt: skip
    users = {"anonymous": None, "learner": learner, "host": host, "coordinator": coordinator, "staff": staff}
    clients, sessions = {}, {}
    for role, user in users.items():
        clients[role], sessions[role] = _role_client(role, user)
    return Seed(values=values, clients=clients, sessions=sessions)


def _walk(seed_data: Seed, patterns: list[Pattern], examples, label: str) -> None:
    started = time.monotonic()
    with Walker(seed_data) as walker:
        for pattern in patterns:
            began = time.monotonic()
            for role in ROLES:
                walker.walk(pattern, role, examples(pattern, role))
            walker.timings[pattern.route] = time.monotonic() - began
    elapsed = time.monotonic() - started
    print(
        f"\n{label}: {len(patterns)} patterns x {len(ROLES)} roles, "
        f"{walker.requests} requests, {elapsed:.1f} s"
    )
    slowest = sorted(walker.timings.items(), key=lambda item: -item[1])[:12]
    print("slowest: " + ", ".join(f"{route} {seconds:.1f}s" for route, seconds in slowest))
    assert not walker.failures, f"{len(walker.failures)} failures:\n" + "\n".join(walker.failures)


def test_every_url_pattern_answers_hostile_input_without_a_5xx(walk_seed):
    patterns = [p for p in url_patterns() if not p.route.startswith("admin/")]
    assert len(patterns) > 90  # the walk reaches every app's URLconf
    _walk(walk_seed, patterns, lambda pattern, role: EXAMPLES_PER_ROLE, "site")


def _admin_examples(pattern: Pattern, role: str) -> int:
    return EXAMPLES_PER_ROLE if pattern.route.endswith(ADMIN_WALKED_IN_FULL) else ADMIN_EXAMPLES[role]


def test_every_admin_pattern_answers_hostile_input_without_a_5xx(walk_seed):
    patterns = [p for p in url_patterns() if p.route.startswith("admin/")]
    assert len(patterns) > 100
    _walk(walk_seed, patterns, _admin_examples, "admin")
