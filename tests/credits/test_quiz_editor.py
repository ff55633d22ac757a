"""The coordinator's post-test editor: a failed import keeps the stored quiz and what was typed."""

import io
import re
from typing import Any, cast

import pytest
from django.urls import reverse

from credits.models import Question
from testkit.factories import QUIZ

pytestmark = pytest.mark.django_db


def _bad_file():
    upload = io.BytesIO(b"{not json")
    upload.name = "quiz.json"
    return upload


def _typed(activity, *, first_text: str) -> dict:
    """The editor's form as the browser sends it: the stored questions, the first one retyped."""
    data = {"q-TOTAL_FORMS": "4", "q-INITIAL_FORMS": "3", "q-MIN_NUM_FORMS": "0", "q-MAX_NUM_FORMS": "50"}
    questions = cast(list[dict[str, Any]], QUIZ["questions"])
    for i, question in enumerate(questions):
        data[f"q-{i}-text"] = first_text if i == 0 else question["text"]
        data[f"q-{i}-rationale"] = question["rationale"]
        for n, option in enumerate(question["options"], start=1):
            data[f"q-{i}-option_{n}"] = option["text"]
            if option.get("correct"):
                data[f"q-{i}-correct"] = str(n)
    return data


def _forms(body: str) -> list[str]:
    return re.findall(r"<form\b[^>]*>", body)


def test_a_failed_import_shows_the_stored_quiz_with_the_error(coordinator_client, activity):
    response = coordinator_client.post(
        reverse("credits:coordinator_quiz_import", args=[activity.pk]), {"file": _bad_file()}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "not a JSON file" in body
    assert "nothing was changed" in body.lower()
    for question in QUIZ["questions"]:  # the stored questions, not an empty editor
        assert question["text"] in body
    assert Question.objects.filter(activity=activity).count() == 3


def test_save_after_a_failed_import_posts_to_the_editor_not_the_import(coordinator_client, activity):
    import_url = reverse("credits:coordinator_quiz_import", args=[activity.pk])
    editor_url = reverse("credits:coordinator_quiz", args=[activity.pk])
    body = coordinator_client.post(import_url, {"file": _bad_file()}).content.decode()
    [form] = [f for f in _forms(body) if "stacked-form" in f]
    assert f'action="{editor_url}"' in form
    # The Save button goes to the editor; only the Import button names the import URL.
    assert re.search(r'<button[^>]*formaction="' + re.escape(import_url) + '"', body)


def test_a_failed_import_keeps_what_the_coordinator_typed(coordinator_client, activity):
    data = {**_typed(activity, first_text="A question I just typed"), "file": _bad_file()}
    response = coordinator_client.post(reverse("credits:coordinator_quiz_import", args=[activity.pk]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "A question I just typed" in body and "not a JSON file" in body
    assert not Question.objects.filter(activity=activity, text="A question I just typed").exists()


def test_saving_the_editor_form_ignores_an_empty_file_field(coordinator_client, activity):
    """Save and Import share one form: Save with no file chosen saves the typed questions."""
    data = {**_typed(activity, first_text="Retyped first question?")}
    response = coordinator_client.post(reverse("credits:coordinator_quiz", args=[activity.pk]), data)
    assert response.status_code == 302
    assert Question.objects.filter(activity=activity, text="Retyped first question?").exists()


def test_the_file_field_is_not_required_in_the_browser(coordinator_client, activity):
    """A browser-required file input would block "Save" until a file is chosen."""
    body = coordinator_client.get(reverse("credits:coordinator_quiz", args=[activity.pk])).content.decode()
    [file_input] = re.findall(r'<input[^>]*type="file"[^>]*>', body)
    assert "required" not in file_input


def test_import_still_needs_a_file(coordinator_client, activity):
    response = coordinator_client.post(reverse("credits:coordinator_quiz_import", args=[activity.pk]), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert Question.objects.filter(activity=activity).count() == 3
