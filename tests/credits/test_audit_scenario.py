"""The audit scenario of issue 12: every record agrees with what each learner was shown and claimed.

A coordinator publishes an activity; six learners (physicians with US and international degrees,
a PA and a nurse, in time zones around the provider's) take it through the real pages; between
them the coordinator changes the designation, the title and a disclosure, so the learners end up
on four versions; one certificate is corrected (name, credits and completion date) and one
revoked. Then every page, PDF (read back with pdftotext), CSV and JSON export is compared, field
by field, with what each learner was shown when they started and what they claimed.

Every disagreement is collected and reported together (``Audit``): an auditor wants the full list.
A step the pages refuse (the disclosure decisions) is recorded as one, then done through the
services, so that everything after it is still compared.
"""

import csv
import datetime
import html
import io
import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import LearnerProfile
from credits import certificates as certificate_service
from credits import services
from credits.models import (
    Activity,
    ActivityVersion,
    Attempt,
    Certificate,
    ContentPerson,
    FinancialRelationship,
)
from credits.statements import format_credits
from testkit.factories import EVALUATION, correct_answers, make_activity, make_user
from testkit.mfa import mfa_login
from testkit.pdf import pdf_text, printed
from testkit.scenario import activity_form_data, download, provider_today

pytestmark = pytest.mark.django_db

TITLE_1 = "Failed airway"
TITLE_3 = "CICO rescue"  # not a part of TITLE_1 (nor it of this): a wrong title is caught
AMA = "AMA PRA Category 1 Credit™"
PARTICIPATION = "Certificate of participation"
REVOKE_REASON = "Internal: duplicate account found by the office"
NPI = "1234567893"

DANA = {
    "name": "Dana Faculty",
    "credentials": "MD",
    "role": "faculty",
    "disclosures": [{"company": "Acme Devices", "nature": "consultant", "mitigated": True}],
}
LEE = {"name": "Lee Planner", "credentials": "RN", "role": "planner", "disclosures": []}


# --- Reading pages as a person does -----------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Any] = field(default_factory=list)

    def text(self) -> str:
        parts: list[str] = []

        def walk(node: "Node") -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    if child.tag in {"br", "li", "p", "tr", "td", "th", "dd", "dt"}:
                        parts.append(" ")
                    walk(child)

        walk(self)
        return " ".join("".join(parts).split())

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (tag is None or child.tag == tag) and all(
                (value in child.attrs.get("class", "").split())
                if name == "class_"
                else child.attrs.get(name.replace("_", "-")) == value
                for name, value in attrs.items()
            ):
                found.append(child)
            found += child.find_all(tag, **attrs)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> "Node | None":
        found = self.find_all(tag, **attrs)
        return found[0] if found else None


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def page(response) -> Node:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    builder = _Builder()
    builder.feed(response.content.decode())
    return builder.root


def table_rows(table: Node | None) -> list[list[str]]:
    """The body rows of a table, each as its cells' text (header rows left out)."""
    if table is None:
        return []
    body = table.find("tbody") or table
    return [
        [cell.text() for cell in row.find_all() if cell.tag in {"td", "th"}] for row in body.find_all("tr")
    ]


def table_with_header(root: Node, *headers: str) -> Node | None:
    for table in root.find_all("table"):
        head = table.find("thead")
        if head is not None and [th.text() for th in head.find_all("th")][: len(headers)] == list(headers):
            return table
    return None


def definitions(dl: Node | None) -> dict[str, str]:
    if dl is None:
        return {}
    terms = [n for n in dl.children if not isinstance(n, str) and n.tag in {"dt", "dd"}]
    pairs: dict[str, str] = {}
    for term, value in zip(terms[::2], terms[1::2], strict=False):
        pairs[term.text()] = value.text()
    return pairs


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.getvalue()[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))  # streamed


def number(text: str) -> Decimal:
    match = re.search(r"\d+(?:\.\d+)?", text)
    assert match, f"no number in {text!r}"
    return Decimal(match.group())


# --- The collected disagreements ---------------------------------------------------------------------


class Audit:
    """Compares a record's field with what it must say; keeps every disagreement."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def same(self, where: str, got: Any, expected: Any) -> None:
        if got != expected:
            self.problems.append(f"{where}: {got!r} != expected {expected!r}")

    def true(self, where: str, condition: bool, detail: str = "") -> None:
        if not condition:
            self.problems.append(f"{where}{': ' + detail if detail else ''}")

    def has(self, where: str, text: str, part: str) -> None:
        if part not in text:
            self.problems.append(f"{where}: {part!r} is missing (in {text[:300]!r}…)")

    def lacks(self, where: str, text: str, part: str) -> None:
        if part in text:
            self.problems.append(f"{where}: {part!r} must not be there")


# --- The learners ------------------------------------------------------------------------------------


@dataclass
class Learner:
    key: str
    given: str
    family: str
    degree: str
    zone: str
    minutes: int
    attested: bool = False
    board: dict[str, str] = field(default_factory=dict)
    client: Client = field(default_factory=Client)
    user: Any = None
    # What they were shown when they started (the episode page) and when they claimed (the claim page)
    shown_title: str = ""
    shown_credits: Decimal = Decimal(0)
    shown_people: list[str] = field(default_factory=list)
    shown_version: ActivityVersion | None = None
    claim_page_credits: Decimal | None = None
    claim_page_title: str = ""
    # What they claimed, and what the record must say
    credits: Decimal = Decimal(0)
    completion_date: datetime.date | None = None
    name: str = ""
    revision: int = 1
    revoked: bool = False
    certificate: Certificate | None = None

    @property
    def email(self) -> str:
        return f"{self.key}@example.org"

    @property
    def physician(self) -> bool:
        return self.degree in {"MD", "DO"} or self.attested

    @property
    def credit_type(self) -> str:
        return AMA if self.physician else PARTICIPATION


def _quarter_hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 15).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 4


def _make_learner(spec: Learner) -> Learner:
    user = make_user(spec.email)
    user.time_zone = spec.zone
    user.save(update_fields=["time_zone"])
    LearnerProfile.objects.create(
        user=user,
        given_name=spec.given,
        family_name=spec.family,
        degree=spec.degree,
        degree_equivalence_attested_at=timezone.now() if spec.attested else None,
        board_sharing_consent=bool(spec.board),
        board_sharing_consent_at=timezone.now() if spec.board else None,
        birth_month=4 if spec.board else None,
        birth_day=12 if spec.board else None,
        **spec.board,
    )
    spec.user = user
    spec.name = f"{spec.given} {spec.family}"
    spec.client.force_login(user)
    return spec


def _start(learner: Learner, activity: Activity) -> None:
    """The learner reads the episode page (recorded: what they were shown) and starts the post-test."""
    root = page(learner.client.get(activity.episode.get_absolute_url()))
    panel = root.find("section", class_="cme-panel")
    assert panel is not None, "the episode page has no CME panel"
    heading = panel.find("h2")
    title = heading.text() if heading is not None else ""
    learner.shown_title = re.sub(r"^CME activity:\s*", "", title)
    learner.shown_credits = number(
        re.search(r"(\d+(?:\.\d+)?)\s*AMA PRA Category 1 Credit", panel.text()).group(1)  # type: ignore[union-attr]
    )
    people = panel.find("ul", class_="people")
    learner.shown_people = [li.text() for li in people.find_all("li")] if people is not None else []
    activity.refresh_from_db()
    learner.shown_version = activity.current_version
    response = learner.client.get(reverse("credits:post_test", args=[activity.pk]))
    assert response.status_code == 200, response.content[:500]


def _finish(learner: Learner, activity: Activity) -> None:
    """Pass the post-test (the attempt started in ``_start``) and send the evaluation, through the pages."""
    attempt = Attempt.objects.get(learner=learner.user, activity=activity)
    answers = {f"q_{qid}": token for qid, token in correct_answers(attempt).items()}
    response = learner.client.post(
        reverse("credits:post_test", args=[activity.pk]), {"attempt": attempt.pk, **answers}
    )
    assert response.status_code == 302, response.content[:500]
    attempt.refresh_from_db()
    assert attempt.passed
    evaluation = {**EVALUATION, "intends_change": "yes" if EVALUATION["intends_change"] else "no"}
    response = learner.client.post(reverse("credits:evaluation", args=[activity.pk]), evaluation)
    assert response.status_code == 302, response.content[:500]


def _claim(learner: Learner, activity: Activity, provider, capture) -> None:
    """Read the claim page (recorded), claim the minutes spent, note the day where the provider is."""
    url = reverse("credits:claim", args=[activity.pk])
    root = page(learner.client.get(url))
    statements = " ".join(p.text() for p in root.find_all("p", class_="statement"))
    match = re.search(r"maximum of (\d+(?:\.\d+)?)", statements)
    learner.claim_page_credits = Decimal(match.group(1)) if match else None
    learner.claim_page_title = html.unescape(root.find("title").text()) if root.find("title") else ""  # type: ignore[union-attr]
    before = provider_today(provider)
    with capture(execute=True):
        response = learner.client.post(url, {"minutes": learner.minutes, "attest": "on"})
    assert response.status_code == 302, response.content[:500]  # on to the verification page
    after = provider_today(provider)
    learner.certificate = Certificate.objects.get(claim__learner=learner.user, claim__activity=activity)
    assert learner.certificate.completion_date in {before, after}
    learner.completion_date = learner.certificate.completion_date
    learner.credits = min(_quarter_hours(learner.minutes), learner.shown_credits)


def _edit(coordinator: Client, activity: Activity, **changes) -> None:
    """The coordinator changes the activity on its edit page."""
    url = reverse("credits:coordinator_activity_edit", args=[activity.pk])
    response = coordinator.post(url, activity_form_data(activity, **changes))
    assert response.status_code == 302, page(response).text()[:1500]


def _disclosure_change(audit: Audit, office: Client, activity: Activity, coordinator, capture) -> None:
    """The coordinator sends Dana the disclosure form; Dana declares Acme Devices (consultant) and Beta
    Pharma (speakers' bureau) through the emailed link; the coordinator decides each one relevant and
    mitigated (independent peer review). All through the pages."""
    dana = ContentPerson.objects.get(activity=activity, person__name="Dana Faculty", removed_at__isnull=True)
    with capture(execute=True):
        response = office.post(
            reverse("credits:coordinator_person_request", args=[activity.pk, dana.pk]),
            {"email": "dana@faculty.example.org"},
        )
    assert response.status_code == 302, page(response).text()[:1500]
    request = [str(m.body) for m in mail.outbox if m.to == ["dana@faculty.example.org"]]
    assert len(request) == 1, request
    link = re.search(r"https?://[^/\s]+(/disclosure/[^/\s]+/)", request[0])
    assert link, request[0]
    relationships = [("Acme Devices", "consultant"), ("Beta Pharma", "speaker")]
    form = {
        "owner_or_employee": "no",
        "attests_complete": "on",
        "promises_to_report_changes": "on",
        "signed_name": "Dana Faculty",
        "rel-TOTAL_FORMS": str(len(relationships)),
        "rel-INITIAL_FORMS": "0",
        "rel-MIN_NUM_FORMS": "0",
        "rel-MAX_NUM_FORMS": "1000",
    }
    for n, (company, nature) in enumerate(relationships):
        form |= {f"rel-{n}-company": company, f"rel-{n}-nature": nature, f"rel-{n}-ongoing": "on"}
    with capture(execute=True):
        response = Client().post(link.group(1), form)
    assert response.status_code == 200, page(response).text()[:1500]
    activity.refresh_from_db()
    assert activity.current_version.number == 3, "undecided relationships must not reach learners"  # type: ignore[union-attr]
    for relationship in FinancialRelationship.objects.filter(form__person=dana.person).order_by(
        "-form_id", "position"
    )[:2]:
        prefix = f"r{relationship.pk}"
        response = office.post(
            reverse("credits:coordinator_relationship_decide", args=[activity.pk, dana.pk, relationship.pk]),
            {
                f"{prefix}-relevant": "yes",
                f"{prefix}-mitigation": "peer_review",
                f"{prefix}-reason": "Airway devices",
            },
        )
        if response.status_code != 302:
            audit.problems.append(
                f"people page: deciding {relationship.company} (relevant, peer review) was refused: "
                + _problem_text(response)
            )
    activity.refresh_from_db()
    if activity.current_version.number == 3:  # type: ignore[union-attr]
        # The pages could not make the change: record it as the services do, so the rest is compared.
        dana_now = {
            **DANA,
            "disclosures": [
                *DANA["disclosures"],
                {"company": "Beta Pharma", "nature": "speaker", "mitigated": True},
            ],
        }
        services.activity_set_people(activity=activity, actor=coordinator, people=[dana_now, LEE])


def _problem_text(response) -> str:
    """The messages of a refused form (what the coordinator reads), for an assertion's message."""
    builder = _Builder()
    builder.feed(response.content.decode())
    alerts = [
        n.text()
        for n in builder.root.find_all()
        if n.attrs.get("role") == "alert" or "error" in n.attrs.get("class", "")
    ]
    return f"{response.status_code}: " + " | ".join(alerts)


def _provider_zone_far_from_utc() -> str:
    """A provider whose date differs from UTC's right now (so a date taken in UTC is caught)."""
    return "Pacific/Kiritimati" if timezone.now().hour >= 10 else "Pacific/Pago_Pago"


# --- The scenario ------------------------------------------------------------------------------------


def test_every_record_agrees_with_what_each_learner_was_shown_and_claimed(
    provider, coordinator, episode, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    provider.time_zone = _provider_zone_far_from_utc()
    provider.save()
    far_side = "Pacific/Pago_Pago" if provider.time_zone == "Pacific/Kiritimati" else "Pacific/Kiritimati"
    activity = make_activity(
        provider=provider, episode=episode, coordinator=coordinator, title=TITLE_1, people=[DANA, LEE]
    )
    office = Client()
    mfa_login(office, coordinator)
    audit = Audit()

    learners = {
        spec.key: _make_learner(spec)
        for spec in [
            Learner("amara", "Amara", "Okafor", "MD", provider.time_zone, 45, board={"npi": NPI}),
            Learner("bruno", "Bruno", "Diaz", "DO", "America/New_York", 30, board={"abim_id": "100200"}),
            Learner(
                "chen",
                "Wei",
                "Chen",
                "MBChB",
                "Asia/Shanghai",
                45,
                attested=True,
                board={"state_province": "NY", "licence_number": "L-4242"},
            ),
            Learner("priya", "Priya", "Nair", "PA-C", "Asia/Kolkata", 30),
            Learner("olu", "Olu", "Adeyemi", "RN", "Europe/London", 15),
            Learner("marta", "Marta", "Kowalska", "MD", far_side, 30, board={"aba_id": "A-77"}),
        ]
    }
    amara, bruno, chen, priya, olu, marta = learners.values()

    # Version 1: Amara takes it start to finish; Bruno starts it.
    _start(amara, activity)
    _finish(amara, activity)
    _claim(amara, activity, provider, capture)
    _start(bruno, activity)
    # The designation changes (0.75 -> 0.5): version 2. Bruno finishes on version 1.
    _edit(office, activity, designated_credits="0.5")
    _finish(bruno, activity)
    _claim(bruno, activity, provider, capture)
    _start(chen, activity)
    _finish(chen, activity)
    _claim(chen, activity, provider, capture)
    # The title changes: version 3.
    _edit(office, activity, title=TITLE_3)
    _start(priya, activity)
    _finish(priya, activity)
    _claim(priya, activity, provider, capture)
    # A disclosure changes: Dana, asked again, now also speaks for Beta Pharma; the coordinator decides
    # both relationships relevant and mitigated by peer review: version 4.
    _disclosure_change(audit, office, activity, coordinator, capture)
    for learner in (olu, marta):
        _start(learner, activity)
    for learner in (olu, marta):
        _finish(learner, activity)
        _claim(learner, activity, provider, capture)

    # Bruno fixes his name in his profile and asks for a correction: the coordinator re-issues from
    # the profile, with the credits he really spent (0.25) and the day he really completed it.
    profile = bruno.user.profile
    profile.family_name = "Díaz-Ruiz"
    profile.save()
    corrected_day = bruno.completion_date - datetime.timedelta(days=1)
    reissue = {
        "from_profile": "on",
        "credits": "0.25",
        "completion_date": corrected_day.isoformat(),
        "reason": "Learner's name and time corrected",
        "confirm": "on",
        "step": "confirm",
    }
    with capture(execute=True):
        response = office.post(reverse("credits:coordinator_reissue", args=[bruno.certificate.pk]), reissue)
    assert response.status_code == 302, page(response).text()[:1500]
    bruno.name, bruno.credits, bruno.completion_date, bruno.revision = (
        "Bruno Díaz-Ruiz",
        Decimal("0.25"),
        corrected_day,
        2,
    )
    # Marta's certificate is revoked (confirmed by typing REVOKE).
    revoke = {"reason": REVOKE_REASON, "step": "confirm", "confirm_word": "REVOKE"}
    with capture(execute=True):
        response = office.post(reverse("credits:coordinator_revoke", args=[marta.certificate.pk]), revoke)
    assert response.status_code == 302, page(response).text()[:1500]
    marta.revoked = True
    for learner in learners.values():
        learner.certificate.refresh_from_db()

    _check_what_was_shown(audit, learners, activity)
    for learner in learners.values():
        _check_certificate_pdf(audit, learner)
        _check_verification(audit, learner, provider)
        _check_my_learning(audit, learner)
        _check_transcript(audit, learner)
        _check_claim_page(audit, learner, activity)
    _check_activity_report(audit, office, activity, learners)
    _check_pars_learner_file(audit, office, provider, learners)
    _check_certificate_search(audit, office, learners)
    _check_audit_trails(audit, office, activity, provider, learners)
    _check_emails(audit, learners)
    assert not audit.problems, "Records that disagree:\n" + "\n".join(audit.problems)


# --- What each learner was shown, and the version the records point to --------------------------------


def _check_what_was_shown(audit: Audit, learners: dict[str, Learner], activity: Activity) -> None:
    versions = {learner.key: learner.shown_version.number for learner in learners.values()}  # type: ignore[union-attr]
    audit.same(
        "versions learners started",
        versions,
        {"amara": 1, "bruno": 1, "chen": 2, "priya": 3, "olu": 4, "marta": 4},
    )
    expected_shown = {
        "amara": (TITLE_1, Decimal("0.75")),
        "bruno": (TITLE_1, Decimal("0.75")),
        "chen": (TITLE_1, Decimal("0.5")),
        "priya": (TITLE_3, Decimal("0.5")),
        "olu": (TITLE_3, Decimal("0.5")),
        "marta": (TITLE_3, Decimal("0.5")),
    }
    for learner in learners.values():
        where = f"{learner.key}: "
        audit.same(
            where + "episode page (title, designation)",
            (learner.shown_title, learner.shown_credits),
            expected_shown[learner.key],
        )
        shown_text = " ".join(learner.shown_people)
        audit.has(where + "episode page people", shown_text, "Dana Faculty")
        audit.has(where + "episode page people", shown_text, "Acme Devices")
        audit.has(where + "episode page people", shown_text, "Lee Planner")
        audit.has(
            where + "episode page (Lee)",
            next((line for line in learner.shown_people if "Lee Planner" in line), ""),
            "no relevant financial relationships",
        )
        if learner.shown_version.number == 4:  # type: ignore[union-attr]
            audit.has(where + "episode page people (version 4)", shown_text, "Beta Pharma")
        else:
            audit.lacks(where + "episode page people (before version 4)", shown_text, "Beta Pharma")
        certificate = learner.certificate
        assert certificate is not None
        claim = certificate.claim
        version = learner.shown_version
        assert version is not None
        # Every record of the learner points to the version they were shown.
        audit.same(where + "certificate.version", certificate.version_id, version.pk)
        audit.same(where + "claim.version", claim.version_id, version.pk)
        audit.same(where + "attempt.version", claim.attempt.version_id, version.pk)
        # The version keeps exactly what the page showed.
        audit.same(where + "version title", version.content["title"], learner.shown_title)
        audit.same(
            where + "version designation",
            Decimal(version.content["designated_credits"]),
            learner.shown_credits,
        )
        frozen_people = version.content["people"]
        audit.same(where + "version people count", len(frozen_people), len(learner.shown_people))
        for person, line in zip(frozen_people, learner.shown_people, strict=False):
            audit.has(where + "shown person line", line, person["name"])
            for relationship in person["relevant"]:
                audit.has(where + f"shown relationships of {person['name']}", line, relationship["company"])
        # The claim page offered the learner's own version: its title and its designation.
        audit.same(where + "claim page designation", learner.claim_page_credits, learner.shown_credits)
        audit.has(where + "claim page title", learner.claim_page_title, learner.shown_title)
    activity.refresh_from_db()
    audit.same("activity's current version", activity.current_version.number, 4)  # type: ignore[union-attr]


# --- The learner's own records ----------------------------------------------------------------------


def _check_certificate_pdf(audit: Audit, learner: Learner) -> None:
    where = f"{learner.key}: certificate PDF"
    certificate = learner.certificate
    assert certificate is not None
    url = reverse("credits:certificate_pdf", args=[certificate.pk])
    if learner.revoked:
        response = learner.client.get(url)
        audit.same(where + " (revoked) status", response.status_code, 410)
        audit.has(
            where + " (revoked) page: the day, where the provider is",
            response.content.decode(),
            f"on {printed(_revoked_day(learner))}.",
        )
        return
    text = pdf_text(download(learner.client, url))
    audit.has(where, text, f"{learner.name}, {learner.degree}")
    audit.has(where + " title", text, learner.shown_title)
    audit.has(where + " completion date", text, printed(learner.completion_date))
    audit.has(
        where + " designation",
        text,
        f"maximum of {format_credits(learner.shown_credits)} AMA PRA Category 1 Credit(s)™",
    )
    audit.has(
        where + " credits", text, f"{printed(learner.completion_date)} {format_credits(learner.credits)} "
    )
    if learner.physician:
        audit.lacks(where + " (physician)", text, "Certificate of Participation")
        audit.has(where + " credit type", text, "Credits claimed")
    else:
        audit.has(where + " (participation)", text, "Certificate of Participation")
        audit.has(
            where + " (participation)", text, "This activity was designated for AMA PRA Category 1 Credit™"
        )
    if learner.revision > 1:
        audit.has(where + " revision", text, f"Revision {learner.revision}")
    else:
        audit.lacks(where + " revision", text, "Revision")


def _check_verification(audit: Audit, learner: Learner, provider) -> None:
    certificate = learner.certificate
    assert certificate is not None
    code = certificate_service.code_display(certificate.code)
    where = f"{learner.key}: verification"
    anyone = Client(REMOTE_ADDR=f"192.0.2.{certificate.pk % 250 + 1}")  # a reader per certificate
    root = page(anyone.get(reverse("credits:verify", args=[code])))
    fields = definitions(root.find("dl", class_="certificate-fields"))
    data = anyone.get(reverse("credits:verify_json", args=[code])).json()
    body = root.text()
    audit.lacks(where + " page", body, REVOKE_REASON)
    audit.lacks(where + " JSON", str(data), REVOKE_REASON)
    audit.true(where + " JSON has no reason", "revoked_reason" not in data)
    if learner.revoked:
        revoked_on = timezone.localtime(certificate.revoked_at, zoneinfo.ZoneInfo(provider.time_zone)).date()
        audit.has(where + " page", body, f"This certificate was revoked on {printed(revoked_on)}.")
        audit.same(where + " JSON status", data.get("status"), "revoked")
        audit.same(where + " JSON revoked_on", data.get("revoked_on"), revoked_on.isoformat())
        audit.has(where + " page status", fields.get("Status", ""), "Revoked")
        return
    expected_page = {
        "Status": "Valid",
        "Revision": str(learner.revision),
        "Name": learner.name,
        "Degree": learner.degree,
        "Activity": learner.shown_title,
        "Completed on": printed(learner.completion_date),
        "Credits claimed": format_credits(learner.credits),
        "Credit type": learner.credit_type,
    }
    audit.same(where + " page", {k: fields.get(k) for k in expected_page}, expected_page)
    audit.has(
        where + " page designation",
        fields.get("Designation statement", ""),
        f"maximum of {format_credits(learner.shown_credits)} AMA PRA",
    )
    expected_json = {
        "status": "valid",
        "revision": learner.revision,
        "learner_name": learner.name,
        "degree": learner.degree,
        "activity_title": learner.shown_title,
        "completion_date": learner.completion_date.isoformat(),  # type: ignore[union-attr]
        "credits": format_credits(learner.credits),
        "credit_type": learner.credit_type,
    }
    audit.same(where + " JSON", {k: data.get(k) for k in expected_json}, expected_json)
    audit.has(
        where + " JSON designation",
        data.get("designation_statement", ""),
        f"maximum of {format_credits(learner.shown_credits)} AMA PRA",
    )


def _revoked_day(learner: Learner) -> datetime.date:
    """The day of the revocation where the provider is (verification shows this day)."""
    certificate = learner.certificate
    assert certificate is not None and certificate.revoked_at is not None
    zone = zoneinfo.ZoneInfo(certificate.claim.activity.provider.time_zone)
    return timezone.localtime(certificate.revoked_at, zone).date()


def _shows_day(text: str, day: datetime.date) -> bool:
    """Whether ``text`` shows ``day`` in one of the formats the site prints dates in."""
    return any(date_format(day, spec) in text for spec in ("F j, Y", "DATE_FORMAT", "Y-m-d", "m/d/Y"))


def _check_claim_page(audit: Audit, learner: Learner, activity: Activity) -> None:
    """The claim page, once claimed, says what was claimed: the learner's version and current record."""
    where = f"{learner.key}: claim page after claiming"
    root = page(learner.client.get(reverse("credits:claim", args=[activity.pk])))
    main = root.find("main") or root
    text = main.text()
    audit.has(where + " title", text, learner.shown_title)
    if learner.revoked:
        audit.has(where + " (revoked)", text, "Revoked")
        audit.true(
            where + " revocation day (the provider's, as verification shows)",
            _shows_day(text, _revoked_day(learner)),
            text[:600],
        )
        return
    audit.has(where + " completion date", text, printed(learner.completion_date))
    audit.has(where + " credits", text, f"You claimed {format_credits(learner.credits)} ×")


def _check_my_learning(audit: Audit, learner: Learner) -> None:
    where = f"{learner.key}: My learning"
    root = page(learner.client.get(reverse("credits:my_learning")))
    table = table_with_header(root, "Activity", "Provider", "Date", "Credit", "Certificate")
    rows = table_rows(table)
    # Totals per credit type: the learner's own type, or "none" once their only credit is revoked.
    code = "none" if learner.revoked else ("ama_pra_1" if learner.physician else "participation")
    total = table.find("td", data_total=code) if table is not None else None
    audit.same(where + " rows", len(rows), 1)
    if not rows:
        return
    row = rows[0]
    audit.same(where + " title", row[0], learner.shown_title)
    audit.same(where + " date", row[2], printed(learner.completion_date))
    in_progress = table_rows(table_with_header(root, "Activity", "Status", "Next step"))
    audit.same(where + " in progress", in_progress, [])
    if learner.revoked:
        audit.has(where + " revoked line", row[3], "revoked")
        audit.same(where + " total", number(total.text()) if total else None, Decimal(0))
        audit.true(
            where + " revocation day (the provider's, as verification shows)",
            _shows_day(row[4], _revoked_day(learner)),
            row[4],
        )
        return
    audit.same(where + " credit", row[3], f"{format_credits(learner.credits)} · {learner.credit_type}")
    audit.same(where + " total", number(total.text()) if total else None, learner.credits)


def _check_transcript(audit: Audit, learner: Learner) -> None:
    where = f"{learner.key}: transcript"
    root = page(learner.client.get(reverse("credits:transcript")))
    credits_table = table_with_header(root, "Completed", "Activity", "Provider", "Credits", "Credit type")
    totals = table_rows(table_with_header(root, "Credit type", "Credits", "Of which self-reported"))
    revoked = table_rows(root.find("table", class_="revoked-credits"))
    csv_data = csv_rows(learner.client.get(reverse("credits:transcript_csv")))
    pdf = pdf_text(download(learner.client, reverse("credits:transcript_pdf")))
    if learner.revoked:
        audit.same(where + " page rows", table_rows(credits_table), [])
        audit.same(where + " page totals", totals, [])
        audit.same(where + " CSV rows", csv_data, [])
        audit.has(where + " PDF", pdf, "No credits in this period.")
        audit.lacks(where + " PDF", pdf, learner.shown_title)
        audit.same(where + " revoked history lines", len(revoked), 1)
        if revoked:
            audit.same(where + " revoked history title", revoked[0][1], learner.shown_title)
            audit.has(where + " revoked history status", revoked[0][-1], "Revoked")
            audit.true(
                where + " revocation day (the provider's, as verification shows)",
                _shows_day(revoked[0][-1], _revoked_day(learner)),
                revoked[0][-1],
            )
        return
    expected_row = [
        date_format(learner.completion_date, "DATE_FORMAT"),  # type: ignore[arg-type]  # the one date format
        learner.shown_title,
        "Society of Testing",
        format_credits(learner.credits),
        learner.credit_type,
    ]
    rows = table_rows(credits_table)
    audit.same(where + " page rows", [r[:5] for r in rows], [expected_row])
    audit.same(
        where + " page totals",
        [r[:2] for r in totals],
        [[learner.credit_type, format_credits(learner.credits)]],
    )
    audit.same(where + " revoked history", revoked, [])
    audit.same(
        where + " CSV",
        [
            [
                r["Completion date"],
                r["Activity"],
                r["Provider"],
                r["Credits"],
                r["Credit type"],
                r["Certificate number"],
            ]
            for r in csv_data
        ],
        [[learner.completion_date.isoformat(), *expected_row[1:], learner.certificate.number]],  # type: ignore[union-attr]
    )
    # The transcript's period filter uses the same day (a licence-renewal period ending that day has it).
    day = learner.completion_date
    assert day is not None
    on_the_day = {"start": day.isoformat(), "end": day.isoformat()}
    after = {"start": (day + datetime.timedelta(days=1)).isoformat()}
    audit.same(
        where + " CSV filtered on the completion day",
        len(csv_rows(learner.client.get(reverse("credits:transcript_csv"), on_the_day))),
        1,
    )
    audit.same(
        where + " CSV filtered from the day after",
        len(csv_rows(learner.client.get(reverse("credits:transcript_csv"), after))),
        0,
    )
    audit.has(where + " PDF name", pdf, learner.name)
    audit.has(
        where + " PDF row",
        pdf,
        f"{date_format(learner.completion_date, 'DATE_FORMAT')} {learner.shown_title}",  # type: ignore[arg-type]
    )
    audit.has(where + " PDF credits", pdf, f"{format_credits(learner.credits)} {learner.credit_type}")


# --- The coordinator's records ----------------------------------------------------------------------


def _credited(learners: dict[str, Learner]) -> list[Learner]:
    return [learner for learner in learners.values() if not learner.revoked]


def _check_activity_report(
    audit: Audit, office: Client, activity: Activity, learners: dict[str, Learner]
) -> None:
    where = "activity report"
    credited = _credited(learners)
    root = page(office.get(reverse("credits:activity_report", args=[activity.pk])))
    facts = {}
    for node in root.find_all("dd"):
        if "data-fact" in node.attrs:
            facts[node.attrs["data-fact"]] = node.text()
    audit.same(where + " claims", facts.get("claims"), str(len(credited)))
    audit.same(
        where + " credits total",
        number(facts.get("credits-total", "none")) if facts.get("credits-total") else None,
        sum(lr.credits for lr in credited),
    )
    audit.same(where + " revoked", facts.get("revoked"), "1")
    by_type: dict[str, tuple[int, Decimal]] = {}
    for line in root.find_all("tr"):
        if "data-credit-type" in line.attrs:
            cells = [c.text() for c in line.find_all() if c.tag in {"td", "th"}]
            by_type[line.attrs["data-credit-type"]] = (int(cells[1]), number(cells[2]))
    expected_by_type: dict[str, tuple[int, Decimal]] = {}
    for learner in credited:
        key = "ama_pra_1" if learner.physician else "participation"
        n, total = expected_by_type.get(key, (0, Decimal(0)))
        expected_by_type[key] = (n + 1, total + learner.credits)
    audit.same(where + " per credit type", by_type, expected_by_type)

    rows = {
        r["Email"]: r
        for r in csv_rows(office.get(reverse("credits:activity_report_csv", args=[activity.pk])))
    }
    audit.same(where + " CSV learners", sorted(rows), sorted(lr.email for lr in credited))
    for learner in credited:
        row = rows.get(learner.email)
        if row is None:
            continue
        completed = next((v for k, v in row.items() if k.startswith("Completed on")), None)
        got = {
            "name": row.get("Learner legal name"),
            "degree": row.get("Degree"),
            "completed": completed,
            "credits": row.get("Credits"),
            "credit type": row.get("Credit type"),
            "certificate": row.get("Certificate number"),
            "revision": row.get("Revision"),
            # Which version the learner was shown, its title and its designation (issue 12: reports use
            # each learner's version).
            "version": row.get("Activity version"),
            "title": row.get("Activity title"),
            "designated": row.get("Designated credits"),
        }
        expected = {
            "name": learner.name,
            "degree": learner.degree,
            "completed": learner.completion_date.isoformat(),  # type: ignore[union-attr]
            "credits": format_credits(learner.credits),
            "credit type": learner.credit_type,
            "certificate": learner.certificate.number,  # type: ignore[union-attr]
            "revision": str(learner.revision),
            "version": str(learner.shown_version.number),  # type: ignore[union-attr]
            "title": learner.shown_title,
            "designated": format_credits(learner.shown_credits),
        }
        audit.same(f"{where} CSV row of {learner.key}", got, expected)


def _check_pars_learner_file(audit: Audit, office: Client, provider, learners: dict[str, Learner]) -> None:
    """The retired board report's address leads to the PARS learner export, whose file holds one row per
    credited completion of a consenting physician, with the certificate's completion date and credits."""
    where = "PARS learner file"
    today = provider_today(provider)
    query = {"start": (today - datetime.timedelta(days=3)).isoformat(), "end": today.isoformat()}
    old = office.get(reverse("credits:board_report_csv", args=[provider.slug]), query)
    target = reverse("credits:pars_learners", args=[provider.slug])
    audit.same(
        "old board report address", (old.status_code, old["Location"]), (301, f"{target}?{urlencode(query)}")
    )
    # The provider has registered the activity in PARS (its activity ID), so the file can be made.
    Activity.objects.filter(provider=provider).update(pars_activity_id="12345678")
    response = office.get(reverse("credits:pars_learners_txt", args=[provider.slug]), query)
    audit.same(where + " status", response.status_code, 200)
    rows = [line.split("\t") for line in response.content.decode().splitlines() if line]
    reportable = [lr for lr in _credited(learners) if lr.board and lr.physician]
    by_family = {row[3]: row for row in rows}
    audit.same(
        where + " learners", sorted(by_family), sorted(lr.user.profile.family_name for lr in reportable)
    )
    for learner in reportable:
        row = by_family.get(learner.user.profile.family_name)
        if row is None:
            continue
        audit.same(
            f"{where} row of {learner.key}",
            [row[2], row[7], Decimal(row[8])],
            [
                learner.given,
                learner.completion_date.strftime("%m/%d/%Y"),  # type: ignore[union-attr]
                learner.credits,
            ],
        )


def _check_certificate_search(audit: Audit, office: Client, learners: dict[str, Learner]) -> None:
    for learner in learners.values():
        certificate = learner.certificate
        assert certificate is not None
        for query in (
            learner.email,
            learner.user.profile.family_name,
            certificate.number,
            certificate_service.code_display(certificate.code),
        ):
            where = f"{learner.key}: certificate search for {query!r}"
            root = page(office.get(reverse("credits:coordinator_certificates"), {"q": query}))
            rows = table_rows(root.find("table", id="certificate-results"))
            audit.same(where + " results", len(rows), 1)
            if len(rows) != 1:
                continue
            row = rows[0]
            expected = [
                certificate.number + (f" rev. {learner.revision}" if learner.revision > 1 else ""),
                f"{learner.name}, {learner.degree}",
                learner.email,
                learner.shown_title,
                date_format(learner.completion_date, "DATE_FORMAT"),  # type: ignore[arg-type]
                format_credits(learner.credits),
            ]
            audit.same(where, row[:6], expected)
            audit.same(where + " status", row[6], "Revoked" if learner.revoked else "Valid")


def _check_audit_trails(
    audit: Audit, office: Client, activity: Activity, provider, learners: dict[str, Learner]
) -> None:
    root = page(office.get(reverse("credits:coordinator_activity_audit", args=[activity.pk])))
    events = [
        (row.attrs.get("data-action"), row.text())
        for row in root.find_all("tr")
        if "data-action" in row.attrs
    ]
    actions = [action for action, _text in events]
    audit.same("activity audit trail: new versions", actions.count("activity.version_created"), 3)
    versions_text = " | ".join(text for action, text in events if action == "activity.version_created")
    audit.true(
        "activity audit trail: the designation change, old and new",
        bool(re.search(r"designated_credits: 0\.75\d* → 0\.50*\b", versions_text)),
        versions_text[:600],
    )
    audit.has("activity audit trail: the title change", versions_text, f"title: {TITLE_1} → {TITLE_3}")
    audit.has("activity audit trail: the disclosure change", versions_text, "Beta Pharma")
    audit.same("activity audit trail: claims", actions.count("claim.created"), len(learners))
    audit.same("activity audit trail: re-issues", actions.count("certificate.reissued"), 1)
    audit.same("activity audit trail: revocations", actions.count("certificate.revoked"), 1)
    reissued = " ".join(text for action, text in events if action == "certificate.reissued")
    bruno = learners["bruno"]
    audit.has("activity audit trail: the re-issue", reissued, "credits: 0.5 → 0.25")
    audit.has("activity audit trail: the re-issue", reissued, "learner_name: Bruno Diaz → Bruno Díaz-Ruiz")
    audit.has("activity audit trail: the re-issue", reissued, f"→ {bruno.completion_date.isoformat()}")  # type: ignore[union-attr]
    revoked = " ".join(text for action, text in events if action == "certificate.revoked")
    audit.has("activity audit trail: the revocation (coordinators see the reason)", revoked, REVOKE_REASON)
    for learner in learners.values():
        where = f"{learner.key}: learner audit trail"
        url = reverse("credits:coordinator_learner_audit", args=[provider.slug, learner.user.pk])
        root = page(office.get(url))
        rows = [
            (row.attrs.get("data-action"), row.text())
            for row in root.find_all("tr")
            if "data-action" in row.attrs
        ]
        claims = [text for action, text in rows if action == "claim.created"]
        audit.same(where + " claims", len(claims), 1)
        if claims:
            audit.has(where + " claim version", claims[0], f"version: {learner.shown_version.number}")  # type: ignore[union-attr]
            claimed = min(_quarter_hours(learner.minutes), learner.shown_credits)
            match = re.search(r"credits: (\d+(?:\.\d+)?)", claims[0])
            audit.same(where + " claimed credits", Decimal(match.group(1)) if match else None, claimed)
        started = [text for action, text in rows if action == "attempt.started"]
        audit.true(
            where + " attempt on the version shown",
            any(f"version: {learner.shown_version.number}" in text for text in started),  # type: ignore[union-attr]
            " | ".join(started),
        )
        audit.same(
            where + " revocation", [a for a, _t in rows].count("certificate.revoked"), int(learner.revoked)
        )
        audit.same(
            where + " re-issue", [a for a, _t in rows].count("certificate.reissued"), learner.revision - 1
        )


def _check_emails(audit: Audit, learners: dict[str, Learner]) -> None:
    """The learner told of a correction reads the new figures; of a revocation, the provider's day."""
    for learner in learners.values():
        sent = [m for m in mail.outbox if m.to == [learner.email]]
        subjects = " | ".join(str(m.subject) for m in sent)
        where = f"{learner.key}: emails"
        if learner.revision > 1:
            corrected = [str(m.body) for m in sent if "has corrected your certificate" in m.body]
            audit.same(where + " (correction)", len(corrected), 1)
            if corrected:
                body = corrected[0]
                audit.has(where + " (correction) title", body, f"“{learner.shown_title}”")
                audit.has(where + " (correction) credits", body, f"→ {format_credits(learner.credits)}")
                audit.has(
                    where + " (correction) date",
                    body,
                    f"→ {learner.completion_date.isoformat()}",  # type: ignore[union-attr]
                )
        if learner.revoked:
            revoked = [str(m.body) for m in sent if "has revoked your certificate" in m.body]
            audit.same(where + " (revocation)", len(revoked), 1)
            if revoked:
                audit.has(where + " (revocation) day", revoked[0], printed(_revoked_day(learner)))
                audit.has(where + " (revocation) title", revoked[0], f"“{learner.shown_title}”")
        audit.true(where + " (certificate ready)", "ready" in subjects.lower(), subjects)
