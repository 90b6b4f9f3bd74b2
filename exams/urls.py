from django.urls import path

from exams import api, views

app_name = "exams"

urlpatterns = [
    path("exams/", views.my_exams, name="my_exams"),
    path("exams/<id:exam_id>/", views.exam_start, name="start"),
    path("exams/course/<id:course_id>/", views.exams_for_course, name="for_course"),
    path("exams/attempts/<uuid:public_id>/", views.attempt_page, name="attempt"),
    path("exams/attempts/<uuid:public_id>/result/", views.attempt_result, name="result"),
]

# Mounted under /api/v1/ by lms/urls.py.
api_urlpatterns = [
    path("exams/<id:exam_id>/attempts/", api.AttemptStart.as_view(), name="api-attempt-start"),
    path("attempts/", api.MyAttempts.as_view(), name="api-my-attempts"),
    path("attempts/<uuid:public_id>/", api.AttemptDetail.as_view(), name="api-attempt"),
    path(
        "attempts/<uuid:public_id>/answers/<id:position>/",
        api.AnswerSave.as_view(),
        name="api-answer-save",
    ),
    path(
        "attempts/<uuid:public_id>/submit/", api.AttemptSubmit.as_view(), name="api-attempt-submit"
    ),
    path(
        "attempts/<uuid:public_id>/result/", api.AttemptResult.as_view(), name="api-attempt-result"
    ),
]
