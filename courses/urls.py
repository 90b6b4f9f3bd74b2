from django.urls import path

from courses import api, views

app_name = "courses"

urlpatterns = [
    path("learning/", views.my_learning, name="my_learning"),
    path("learning/credits/", views.my_credits, name="my_credits"),
    path("hr/plans/", views.hr_plans, name="hr_plans"),
    path("hr/plans/<id:plan_id>/", views.hr_plan, name="hr_plan"),
    path("hr/offline-credit/", views.hr_offline_credit, name="hr_offline_credit"),
]

# Mounted under /api/v1/ by lms/urls.py.
api_urlpatterns = [
    path("courses/", api.CatalogueView.as_view(), name="api-catalogue"),
    path("enrolments/", api.MyEnrolmentsView.as_view(), name="api-my-enrolments"),
    path("lesson-views/", api.LessonViewOpen.as_view(), name="api-lesson-view-open"),
    path("heartbeats/", api.Heartbeat.as_view(), name="api-heartbeat"),
    path("credits/summary/", api.MyCreditSummary.as_view(), name="api-credit-summary"),
]
