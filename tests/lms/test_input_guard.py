"""A NUL character in a path, a query string or a form is refused before any view runs:
PostgreSQL refuses NUL in every string, which made each filter a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "url",
    [
        "/hr/certificates/?q=%00",
        "/hr/certificates/?q%00=1",
        "/api/v1/courses/?category=%00",
        "/verify/?code=AB%00CD",
        "/admin/exams/results/?x=%00",
        "/%00/",
    ],
)
def test_a_nul_anywhere_in_the_address_is_a_400_with_a_message(client, hangzhou_hr, url):
    client.force_login(hangzhou_hr.user)

    response = client.get(url)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_in_a_form_field_is_a_400_and_nothing_is_stored(client, hangzhou_hr, tree):
    from courses.models import TrainingPlan

    client.force_login(hangzhou_hr.user)

    response = client.post(
        "/hr/plans/",
        f"name=%E8%AE%A1%E5%88%92%00&org_unit={tree.hangzhou.pk}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert not TrainingPlan.objects.exists()


def test_ordinary_requests_pass(client, hangzhou_hr):
    client.force_login(hangzhou_hr.user)
    assert client.get("/hr/certificates/?q=张三").status_code == 200
