"""Checkpoint questions: the result is shown inside the checkpoint, not somewhere else."""

from __future__ import annotations

import re

import pytest

from courses import services
from courses.models import Enrolment, LessonProgress
from courses.selectors import course_lessons
from tests import factories


@pytest.fixture
def lesson(learner):
    course = factories.course_create(lessons=1, checkpoint=True, minutes=1)
    services.enrolment_elect(person=learner, course=course)
    return course_lessons(course)[0]


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner.user)
    return client


def checkpoint_html(page: str, block_id: str) -> str:
    match = re.search(
        rf'<section class="checkpoint[^"]*" id="checkpoint-{block_id}".*?</section>', page, re.S
    )
    assert match, "the checkpoint is on the page"
    return match.group(0)


def test_a_wrong_answer_goes_back_to_the_question_with_the_message_inside_it(signed_in, lesson):
    block_id = next(iter(lesson.checkpoints()))

    response = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{lesson.url}#checkpoint-{block_id}"
    page = signed_in.get(response["Location"]).content.decode()
    checkpoint = checkpoint_html(page, block_id)
    assert "回答不正确" in checkpoint and 'role="alert"' in checkpoint
    # The learner's choice is still checked, so they see what they answered.
    assert re.search(r'value="1" required checked', checkpoint)
    # Not at the top of the page, out of view.
    assert '<ul class="messages">' not in page
    # Shown once: reloading the page shows the question afresh.
    again = checkpoint_html(signed_in.get(lesson.url).content.decode(), block_id)
    assert "回答不正确" not in again and "checked" not in again


def test_a_right_answer_is_shown_inside_the_checkpoint_and_remembered(signed_in, lesson, learner):
    block_id = next(iter(lesson.checkpoints()))

    response = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "2"}, follow=True)

    checkpoint = checkpoint_html(response.content.decode(), block_id)
    assert "回答正确" in checkpoint and "C 是 citizen。" in checkpoint
    progress = LessonProgress.objects.get(enrolment__person=learner)
    assert progress.checkpoints_passed == [block_id]


def test_with_javascript_the_answer_comes_back_as_json_without_a_reload(signed_in, lesson):
    block_id = next(iter(lesson.checkpoints()))
    json = {"HTTP_ACCEPT": "application/json"}

    wrong = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "1"}, **json)
    right = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "2"}, **json)
    refused = signed_in.post(lesson.url, {"checkpoint": block_id, "option": "x"}, **json)
    unknown = signed_in.post(lesson.url, {"checkpoint": "nope", "option": "1"}, **json)

    assert wrong.status_code == 200
    assert wrong.json() | {"message": ""} == {
        "block": block_id,
        "option": 1,
        "outcome": "wrong",
        "message": "",
    }
    assert right.json()["outcome"] == "correct"
    assert right.json()["explanation"] == "C 是 citizen。"
    assert (refused.status_code, refused.json()["message"]) == (400, "请选择一个选项。")
    assert unknown.status_code == 400


@pytest.mark.parametrize("option", ["", "x", "٣", "99999999999999999999", "-1", "0\x00"])
def test_a_malformed_answer_is_a_message_next_to_the_question_never_a_500(
    signed_in, lesson, option
):
    block_id = next(iter(lesson.checkpoints()))
    response = signed_in.post(lesson.url, {"checkpoint": block_id, "option": option}, follow=True)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert "请选择一个选项" in checkpoint_html(response.content.decode(), block_id)


def test_the_status_sentence_says_what_the_bar_shows(signed_in, lesson, learner):
    enrolment = Enrolment.objects.get(person=learner)
    LessonProgress.objects.update_or_create(
        enrolment=enrolment, lesson=lesson, defaults={"engaged_seconds": 30}
    )

    page = signed_in.get(lesson.url).content.decode()

    assert 'aria-valuenow="50"' in page
    # Chinese once the catalogue has the new sentence, English until then.
    assert "已计时 0 分 30 秒" in page or "0 min 30 s of 1 minutes (50%)" in page
    assert "已计时 0 分钟" not in page
