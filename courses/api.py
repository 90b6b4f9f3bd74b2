"""REST API of the learning flow under /api/v1/: catalogue, enrolments, heartbeats, credits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from courses import selectors, services
from courses.models import CoursePage, Enrolment, LessonPage, LessonView
from org.access import HasPerson, PersonApiRequest
from org.api_errors import error_responses

# Primary keys are bigints: a larger number is a 400, not an overflow in the database.
MAX_ID = 2**63 - 1


class CourseSerializer(serializers.ModelSerializer[CoursePage]):
    category = serializers.CharField(source="category.name", allow_null=True, default=None)
    url = serializers.CharField(read_only=True)
    # Not DRF's SlugField: its schema pattern ^[-\w]+$ means ASCII to a client (ECMA-262),
    # and Wagtail's slugs may be Chinese.
    slug = serializers.CharField(
        read_only=True, help_text="The course's part of its URL; may be in Chinese."
    )

    class Meta:
        model = CoursePage
        fields = ["id", "title", "slug", "url", "category", "credit_hours", "summary"]


class CatalogueView(APIView):
    """Published courses, optionally filtered by ``?category=<slug>``."""

    @extend_schema(responses=CourseSerializer(many=True))
    def get(self, request: Request) -> Response:
        courses = selectors.published_courses().order_by("path")
        category = request.query_params.get("category")
        if category:
            courses = courses.filter(category__slug=category)
        return Response(CourseSerializer(courses, many=True).data)


class EnrolmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="enrolment.pk")
    course = CourseSerializer(source="enrolment.course")
    status = serializers.CharField(source="enrolment.status")
    mandatory = serializers.BooleanField(source="enrolment.mandatory")
    due_date = serializers.DateField(source="enrolment.due_date", allow_null=True)
    overdue = serializers.BooleanField()
    lessons_total = serializers.IntegerField()
    lessons_done = serializers.IntegerField()
    percent = serializers.IntegerField()


class MyEnrolmentsView(APIView):
    """The signed-in learner's enrolments with progress."""

    permission_classes = [HasPerson]

    @extend_schema(responses=EnrolmentSerializer(many=True))
    def get(self, request: PersonApiRequest) -> Response:
        learning = selectors.my_learning(request.person)
        lines = learning["assigned"] + learning["electives"]
        return Response(EnrolmentSerializer(lines, many=True).data)


class LessonViewOpenSerializer(serializers.Serializer[Any]):
    lesson = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class LessonViewOpenedSerializer(serializers.Serializer[Any]):
    view = serializers.UUIDField()
    heartbeat_seconds = serializers.IntegerField()


class LessonViewOpen(APIView):
    """Open a lesson in this tab: heartbeats for it must name the returned view."""

    permission_classes = [HasPerson]

    @extend_schema(
        request=LessonViewOpenSerializer,
        responses={
            201: LessonViewOpenedSerializer,
            **error_responses(404, e404="No such lesson, or not enrolled in its course."),
        },
    )
    def post(self, request: PersonApiRequest) -> Response:
        data = LessonViewOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = LessonPage.objects.live().filter(pk=data.validated_data["lesson"]).first()
        if lesson is None:
            raise NotFound("No such lesson.")
        enrolment = Enrolment.objects.filter(
            person=request.person, course_id=lesson.get_parent().pk
        ).first()
        if enrolment is None:
            raise NotFound("Not enrolled in this lesson's course.")
        view = services.lesson_view_open(enrolment=enrolment, lesson=lesson)
        return Response(
            {"view": view.token, "heartbeat_seconds": settings.LESSON_HEARTBEAT_SECONDS},
            status=status.HTTP_201_CREATED,
        )


class HeartbeatSerializer(serializers.Serializer[Any]):
    view = serializers.UUIDField()
    seq = serializers.IntegerField(min_value=1, max_value=1_000_000)
    visible = serializers.BooleanField()
    video = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    position = serializers.FloatField(
        required=False, allow_null=True, default=None, min_value=0, max_value=86_400
    )
    playing = serializers.BooleanField(required=False, default=False)
    closing = serializers.BooleanField(required=False, default=False)


class HeartbeatResultSerializer(serializers.Serializer[Any]):
    counted_seconds = serializers.IntegerField()
    engaged_seconds = serializers.IntegerField()
    required_seconds = serializers.IntegerField()
    coverage = serializers.DictField(child=serializers.FloatField())
    coverage_required = serializers.FloatField()
    lesson_completed = serializers.BooleanField()
    course_completed = serializers.BooleanField()
    reason = serializers.CharField()


class HeartbeatThrottle(UserRateThrottle):
    rate = "30/min"  # one every 15 s is normal; a flood is refused, not counted


class Heartbeat(APIView):
    """One heartbeat of an open lesson view; time is credited by the server's clock."""

    throttle_classes = [HeartbeatThrottle]

    @extend_schema(
        request=HeartbeatSerializer,
        responses={
            200: HeartbeatResultSerializer,
            **error_responses(
                400,
                404,
                e400="A field is missing or wrong, or the beat replays or skips a number.",
                e404="No such lesson view of the signed-in person.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = HeartbeatSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        beat = data.validated_data
        # Looked up by its owner's login in one query: another person's view is a 404.
        view = LessonView.objects.filter(
            token=beat["view"], enrolment__person__user_id=request.user.pk or 0
        ).first()
        if view is None:
            raise NotFound("No such lesson view.")
        try:
            result = services.lesson_progress_record(
                view=view,
                seq=beat["seq"],
                visible=beat["visible"],
                video=beat["video"],
                position=beat["position"],
                playing=beat["playing"],
                closing=beat["closing"],
            )
        except ValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=400)
        return Response(HeartbeatResultSerializer(result).data)


class CreditSummarySerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    earned = serializers.DecimalField(max_digits=6, decimal_places=1)
    target = serializers.DecimalField(max_digits=6, decimal_places=1)
    remaining = serializers.DecimalField(max_digits=6, decimal_places=1)
    percent = serializers.IntegerField()
    records = serializers.SerializerMethodField()

    def get_records(self, summary: Any) -> list[dict[str, Any]]:
        return [
            {
                "hours": str(record.hours),
                "source": record.source,
                "reason": record.reason,
                "course": record.course_id,
                "awarded_at": timezone.localtime(record.awarded_at).isoformat(),
            }
            for record in summary.records
        ]


class MyCreditSummary(APIView):
    """This year's (or ``?year=``) credit hours against the target, with every record."""

    permission_classes = [HasPerson]

    @extend_schema(
        responses={
            200: CreditSummarySerializer,
            **error_responses(400, e400="year must be between 2000 and 2100."),
        }
    )
    def get(self, request: PersonApiRequest) -> Response:
        raw_year = request.query_params.get("year", "")
        # isascii: "²".isdigit() is true, and int() refuses it.
        if raw_year and not (
            raw_year.isascii() and raw_year.isdigit() and 2000 <= int(raw_year[:5]) <= 2100
        ):
            return Response({"detail": "year must be between 2000 and 2100."}, status=400)
        year = int(raw_year) if raw_year else timezone.localdate().year
        summary = selectors.credit_summary(request.person, year=year)
        return Response(CreditSummarySerializer(summary).data)
