"""The Wagtail admin speaks Chinese to Chinese users: our data and our catalogue's entries
for the libraries' untranslated strings."""

from __future__ import annotations

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_wagtails_default_workflow_and_its_task_have_chinese_names():
    from wagtail.models import Task, Workflow

    assert list(Workflow.objects.values_list("name", flat=True)) == ["审核员审批"]
    assert list(Task.objects.values_list("name", flat=True)) == ["审核员审批"]


def test_the_admins_untranslated_library_strings_come_from_our_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Toggle checks") == "全选或取消全选"
        assert translation.gettext("access attempts") == "登录尝试记录"
        empty_listing = translation.gettext(
            'There are no %(model_name)s to display. Why not <a href="%(add_url)s">add one</a>?'
        )
        assert empty_listing % {"model_name": "额外时间和次数", "add_url": "/x/"} == (
            '暂无额外时间和次数。<a href="/x/">添加一项</a>？'
        )


def test_type_is_wagtails_in_general_and_the_question_type_only_in_context():
    with translation.override("zh-hans"):
        assert translation.gettext("Type") == "类型"
        assert translation.pgettext("question", "Type") == "题型"


def test_the_admin_dashboard_counts_pages_in_chinese(client, platform_admin):
    client.force_login(platform_admin.user)

    body = client.get("/admin/").content.decode()

    assert "Pages <span" not in body and "个页面" in body
