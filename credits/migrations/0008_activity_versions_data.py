"""Version 1 of every activity that was live before versions existed, and the records pointing to it.

An activity with a post-test (or with learners' records) was shown to learners: it becomes
"published" with version 1, frozen from what it showed then; learners' attempts, evaluations,
claims, completions and certificates point to that version. One without a post-test never took a
learner: it stays a draft. Providership moves from the provider to each activity, and the free-text
commercial support becomes a row the coordinator completes (kind, amount, agreement date) before
the activity can change again. Self-contained (no app code): migrations must not change with it.
"""

import datetime
from decimal import Decimal

from django.db import migrations
from django.utils import timezone

MITIGATION = "All relevant financial relationships listed have been mitigated."
MARK = "AMA PRA Category 1 Credit(s)"
NATURES = {
    "consultant": "Consultant", "speaker": "Speakers' bureau", "advisory": "Advisory board",
    "research": "Research grant (to institution or self)", "stock": "Stock or ownership interest",
    "employee": "Employee", "royalties": "Royalties or patent", "other": "Other",
}  # fmt: skip
ROLES = {"faculty": "Faculty", "planner": "Planner", "reviewer": "Reviewer"}


def _the(name, start=True):
    name = name.strip()
    if name.lower().startswith("the "):
        name = name[4:]
    return f"{'The' if start else 'the'} {name}"


def _credits(value):
    text = f"{Decimal(value).quantize(Decimal('0.01')):f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _accreditation(name, providership, joint):
    if providership == "joint":
        return (
            "This activity has been planned and implemented in accordance with the accreditation "
            "requirements and policies of the Accreditation Council for Continuing Medical Education "
            f"(ACCME) through the joint providership of {_the(name, False)} and {joint.strip()}. "
            f"{_the(name)} is accredited by the ACCME to provide continuing medical education for physicians."
        )
    return (
        f"{_the(name)} is accredited by the Accreditation Council for Continuing Medical Education (ACCME) "
        "to provide continuing medical education for physicians."
    )


def _designation(name, credits):
    return (
        f"{_the(name)} designates this enduring material for a maximum of {_credits(credits)} {MARK}™. "
        "Physicians should claim only the credit commensurate with the extent of their participation in "
        "the activity."
    )


def _esc(text):
    return (
        str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        .replace("'", "&#x27;")
    )  # fmt: skip


def _notes(content):
    expiry = datetime.date.fromisoformat(content["expiry_date"])
    parts = [
        f"<p><strong>CME: {_credits(content['designated_credits'])} <em>{MARK}</em>™</strong>. "
        f"Credit can be claimed until {expiry.strftime('%B')} {expiry.day}, {expiry.year}.</p>",
        "<p>People in control of content and their relevant financial relationships:</p><ul>",
    ]
    for p in content["people"]:
        name = p["name"] + (f", {p['credentials']}" if p["credentials"] else "")
        rel = "; ".join(f"{r['nature_label']}, {r['company']}" for r in p["relevant"])
        rel = rel or "no relevant financial relationships with ineligible companies"
        parts.append(f"<li>{_esc(name)} ({_esc(p['role_label'])}): {_esc(rel)}.</li>")
    parts.append("</ul>")
    if content["mitigation_statement"]:
        parts.append(f"<p>{MITIGATION}</p>")
    supports = "; ".join(s["supporter"] for s in content["commercial_support"])
    parts.append(f"<p>Commercial support: {_esc(supports) + '.' if supports else 'none.'}</p>")
    parts.append(f"<p>{_esc(content['accreditation_statement'])}</p>")
    parts.append("<p>" + _esc(content["designation_statement"]).replace(MARK, f"<em>{MARK}</em>") + "</p>")
    return "".join(parts)


def forwards(apps, schema_editor):
    Activity = apps.get_model("credits", "Activity")
    ActivityVersion = apps.get_model("credits", "ActivityVersion")
    CommercialSupport = apps.get_model("credits", "CommercialSupport")
    ContentPerson = apps.get_model("credits", "ContentPerson")
    Question = apps.get_model("credits", "Question")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    records = [apps.get_model("credits", name) for name in
               ("Attempt", "Evaluation", "CreditClaim", "CompletionRecord")]  # fmt: skip
    Certificate = apps.get_model("credits", "Certificate")
    now = timezone.now()
    for activity in Activity.objects.select_related("provider", "episode").order_by("pk"):
        provider = activity.provider
        activity.providership = provider.accreditation_type or "direct"
        activity.joint_provider_name = provider.joint_provider_name if activity.providership == "joint" else ""
        if activity.commercial_support.strip():
            CommercialSupport.objects.create(
                activity=activity, supporter=activity.commercial_support.strip()[:200], kind="monetary"
            )
        live = Question.objects.filter(activity=activity).exists() or records[0].objects.filter(
            activity=activity
        ).exists()
        if not live:
            activity.status = "draft"
            activity.save()
            continue
        people = []
        for person in ContentPerson.objects.filter(activity=activity).order_by("position", "id"):
            people.append(
                {
                    "name": person.name,
                    "credentials": person.credentials,
                    "role": person.role,
                    "role_label": ROLES.get(person.role, person.role),
                    "disclosure_collected_on": None,
                    "relevant": [
                        {
                            "company": d.company,
                            "nature": d.nature,
                            "nature_label": NATURES.get(d.nature, d.nature),
                            "mitigation": "recorded" if d.mitigated else "",
                            "mitigation_label": "Mitigated" if d.mitigated else "",
                        }
                        for d in person.disclosures.order_by("company", "id")
                    ],
                }
            )
        objectives = [
            line.strip(" -•\t") for line in activity.objectives.splitlines() if line.strip(" -•\t")
        ]
        supports = [
            {"supporter": s.supporter, "kind": s.kind, "kind_label": "Monetary", "amount": "",
             "in_kind_description": "", "agreement_signed_on": None}
            for s in CommercialSupport.objects.filter(activity=activity)
        ]  # fmt: skip
        content = {
            "schema": 1,
            "title": activity.title,
            "objectives": objectives,
            "target_audience": activity.target_audience,
            "designated_credits": str(activity.designated_credits),
            "estimated_minutes": int(activity.designated_credits * 60),
            "designation_reason": "",
            "release_date": activity.release_date.isoformat(),
            "last_review_date": activity.last_review_date.isoformat() if activity.last_review_date else None,
            "expiry_date": activity.expiry_date.isoformat(),
            "passing_score": activity.passing_score,
            "max_attempts": activity.max_attempts,
            "questions": Question.objects.filter(activity=activity).count(),
            "providership": activity.providership,
            "joint_provider_name": activity.joint_provider_name,
            "provider": {"name": provider.name, "contact_email": "", "privacy_policy_url": ""},
            "accreditation_statement": _accreditation(
                provider.name, activity.providership, activity.joint_provider_name
            ),
            "designation_statement": _designation(provider.name, activity.designated_credits),
            "people": people,
            "mitigation_statement": MITIGATION if any(p["relevant"] for p in people) else "",
            "commercial_support": supports,
            "medium": activity.medium,
            "references": [],
            "requirements": activity.requirements,
            "mandate_topics": [t.name for t in activity.mandate_topics.order_by("name")],
            "episode": {
                "title": activity.episode.title,
                "minutes": round((activity.episode.audio_duration or 0) / 60),
            },
        }
        version = ActivityVersion.objects.create(
            activity=activity,
            number=1,
            title=activity.title,
            designated_credits=activity.designated_credits,
            release_date=activity.release_date,
            last_review_date=activity.last_review_date,
            expiry_date=activity.expiry_date,
            passing_score=activity.passing_score,
            max_attempts=activity.max_attempts,
            content=content,
            listener_notes_html=_notes(content),
            created_at=now,
            reason="Carried over: the activity as it stood when versions were introduced",
        )
        activity.status = "published"
        activity.current_version = version
        activity.published_at = activity.created_at
        activity.save()
        for model in records:
            model.objects.filter(activity=activity).update(version=version)
        Certificate.objects.filter(claim__activity=activity).update(version=version)
        AuditEvent.objects.create(
            action="activity.version_carried_over",
            object_type="credits.activity",
            object_id=str(activity.pk),
            data={"version": 1, "status": "published"},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0007_activity_versions"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
