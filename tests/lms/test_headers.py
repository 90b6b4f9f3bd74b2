"""Response headers: the Content-Security-Policy everywhere, no-store on personal responses."""

from __future__ import annotations

import io

import pytest
from django.http import FileResponse, HttpResponse
from django.test import RequestFactory

from lms.middleware import ContentSecurityPolicyMiddleware, PrivateCacheControlMiddleware
from org import services
from org.models import Role
from tests import factories


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def test_every_portal_page_carries_the_strict_policy(client, db):
    policy = directives(client.get("/accounts/login/"))

    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    # No script or style exceptions outside the Wagtail admin.
    assert "script-src" not in policy
    assert "style-src" not in policy


def test_api_responses_and_swagger_ui_carry_it_too(client, learner):
    client.force_login(learner.user)

    assert directives(client.get("/api/v1/credits/summary/"))["default-src"] == ["'self'"]
    docs = client.get("/api/docs/")
    assert "script-src" not in directives(docs)
    # Swagger UI's start-up code is a script file of its own, not inline.
    page = docs.content.decode()
    assert "<script>" not in page
    assert "<style>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_only_the_wagtail_admin_may_run_inline_script_and_style(client, db, tree):
    trainer = factories.person_create(unit=tree.xihu, username="trainer")
    services.role_grant(person=trainer, role=Role.TRAINER)
    client.force_login(trainer.user)

    policy = directives(client.get("/admin/"))

    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    ("x_frame_options", "frame_ancestors"),
    [("DENY", ["'none'"]), ("SAMEORIGIN", ["'self'"]), (None, ["'none'"])],
)
def test_frame_ancestors_follow_the_x_frame_options_the_view_chose(
    x_frame_options, frame_ancestors
):
    def view(request):
        response = HttpResponse("preview")
        if x_frame_options:
            response["X-Frame-Options"] = x_frame_options
        return response

    request = RequestFactory().get("/admin/pages/3/edit/preview/")
    response = ContentSecurityPolicyMiddleware(view)(request)

    assert directives(response)["frame-ancestors"] == frame_ancestors


def test_a_wagtail_preview_may_be_framed_by_the_editor(db):
    # Wagtail runs a made-up request through every middleware inside its preview view and
    # says SAMEORIGIN only afterwards, so the inner pass must allow the editor's frame.
    from wagtail.models import Page

    page = Page.objects.get(depth=2).specific
    response = page.make_preview_request()

    assert response.status_code == 200
    assert directives(response)["frame-ancestors"] == ["'self'"]


def test_a_signed_in_page_is_never_stored(client, learner):
    client.force_login(learner.user)

    response = client.get("/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_anonymous_public_pages_stay_cacheable(client, db):
    for path in ("/", "/verify/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "no-store" not in response.get("Cache-Control", ""), path


def test_static_files_stay_cacheable_for_signed_in_users_too(client, learner):
    client.force_login(learner.user)

    response = client.get("/static/lms/css/site.css")
    response.close()

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_an_api_response_to_a_token_is_never_stored(client, learner):
    _token, key = services.api_token_issue(user=learner.user, name="test")

    response = client.get("/api/v1/credits/summary/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_rejected_token_request_is_not_stored_either(client, db):
    response = client.get("/api/v1/credits/summary/", HTTP_AUTHORIZATION="Token nonsense")

    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_a_file_download_is_never_stored_even_for_an_anonymous_request():
    def download(request):
        return FileResponse(io.BytesIO(b"%PDF-1.7"), as_attachment=True, filename="a.pdf")

    def handed_to_the_proxy(request):
        response = HttpResponse()
        response["X-Accel-Redirect"] = "/private/a.pdf"
        return response

    request = RequestFactory().get("/verify/abc/download/")
    for view in (download, handed_to_the_proxy):
        response = PrivateCacheControlMiddleware(view)(request)
        assert response["Cache-Control"] == "private, no-store"


def test_a_view_that_chose_its_own_cache_control_keeps_it(client, learner):
    client.force_login(learner.user)

    # Django's sign-in and health views say never_cache themselves.
    response = client.get("/healthz/")

    assert "max-age=0" in response["Cache-Control"]
    assert response["Cache-Control"] != "private, no-store"
