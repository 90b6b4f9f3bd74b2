from django.urls import path

from certificates import api, views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verify_form, name="verify_form"),
    # <path:>: whatever is typed after /verify/ (a/b included) gets the page that says no
    # certificate has it, not the generic 404.
    path("verify/<path:code>/", views.verify, name="verify"),
    path("certificates/", views.my_certificates, name="my_certificates"),
    path(
        "certificates/<str:code>/download/",
        views.certificate_download,
        name="download",
    ),
    path("hr/certificates/", views.hr_certificates, name="hr_certificates"),
    path(
        "hr/certificates/<id:certificate_id>/<str:action>/",
        views.hr_certificate_action,
        name="hr_certificate_action",
    ),
    path("hr/certificates/jobs/<id:job_id>/", views.hr_job, name="hr_job"),
    path("hr/certificates/jobs/<id:job_id>/zip/", views.hr_job_download, name="hr_job_download"),
    path("hr/certificates/jobs/<id:job_id>/cancel/", views.hr_job_cancel, name="hr_job_cancel"),
]

# Mounted under /api/v1/ by lms/urls.py.
api_urlpatterns = [
    path("certificates/", api.MyCertificates.as_view(), name="api-my-certificates"),
    path(
        "certificates/verify/<str:code>/",
        api.CertificateVerify.as_view(),
        name="api-certificate-verify",
    ),
]
