"""Item statistics: facility and discrimination index per question."""

from __future__ import annotations

from exams import selectors, services
from exams.models import Attempt
from tests import factories


def test_facility_and_discrimination_tell_easy_hard_and_suspect_questions(tree):
    category = factories.question_category()
    easy, hard, suspect = (factories.question_single(category, stem=s) for s in ("易", "难", "怪"))
    exam = factories.exam_create(questions=[easy, hard, suspect], shuffle_questions=False)
    # Twelve candidates: the strong ones get the hard question right but the suspect one
    # wrong; the weak ones the other way round; everybody gets the easy one.
    for index in range(12):
        person = factories.person_create(unit=tree.xihu, password=None)
        attempt = services.attempt_start(exam=exam, person=person)
        strong = index >= 6
        answers = {1: "c", 2: "c" if strong else "a", 3: "a" if strong else "c"}
        if index in (0, 11):
            answers[2] = "c"  # a little noise so the groups are not perfectly split
        for position, option in answers.items():
            services.answer_save(attempt=attempt, position=position, response=option)
        services.attempt_submit(attempt=attempt)

    statistics = {
        item.stem: item for item in selectors.item_statistics(Attempt.objects.filter(exam=exam))
    }

    assert statistics["易"].facility == 1.0
    assert statistics["易"].discrimination == 0.0
    assert 0.4 < statistics["难"].facility < 0.7
    assert statistics["难"].discrimination is not None and statistics["难"].discrimination > 0.5
    assert statistics["怪"].discrimination is not None and statistics["怪"].discrimination < 0
    assert all(item.answered == 12 for item in statistics.values())


def test_with_few_attempts_discrimination_is_not_claimed(learner):
    category = factories.question_category()
    exam = factories.exam_create(questions=[factories.question_single(category)])
    attempt = services.attempt_start(exam=exam, person=learner)
    services.attempt_submit(attempt=attempt)

    (item,) = selectors.item_statistics(Attempt.objects.filter(exam=exam))
    assert item.facility == 0.0
    assert item.discrimination is None


def test_results_are_scoped_for_hr_officers(client, tree, xihu_hr):
    category = factories.question_category()
    exam = factories.exam_create(questions=[factories.question_single(category)])
    for unit, name in ((tree.xihu_it_section, "西湖考生"), (tree.ningbo_data_bureau, "宁波考生")):
        person = factories.person_create(unit=unit, real_name=name, password=None)
        services.attempt_submit(attempt=services.attempt_start(exam=exam, person=person))
    client.force_login(xihu_hr.user)

    page = client.get(f"/admin/exams/results/{exam.pk}/").content.decode()

    assert "西湖考生" in page
    assert "宁波考生" not in page
