from typing import Any

from django.urls import path

from dashboards import api, views, views_courses, views_exports, views_people

app_name = "dashboards"

# Pages of the dashboards; lms/urls.py mounts them in the language-prefixed patterns.
urlpatterns = [
    path("hr/", views.home, name="home"),
    path("hr/people/", views_people.people, name="people"),
    path("hr/people/<id:person_id>/", views_people.person, name="person"),
    path("hr/courses/", views_courses.courses, name="courses"),
    path("hr/export/<slug:table>/", views_exports.export_start, name="export"),
    path("hr/exports/<id:job_id>/", views_exports.export_job, name="export_job"),
    path("hr/exports/<id:job_id>/download/", views_exports.export_download, name="export_download"),
]

# Mounted under /api/v1/ by lms/urls.py.
api_urlpatterns: list[Any] = [
    path("dashboards/summary/", api.DashboardSummary.as_view(), name="api-dashboard-summary"),
    path("dashboards/units/", api.DashboardUnits.as_view(), name="api-dashboard-units"),
    path("dashboards/people/", api.DashboardPeople.as_view(), name="api-dashboard-people"),
]
