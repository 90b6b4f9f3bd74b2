"""Exam API under /api/v1/: start or resume, save answers one by one, submit, result.

Attempts are addressed by their opaque public id; another person's attempt is a 404.
The answer key leaves the server only when the exam's review policy allows.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exams import selectors, services
from exams.models import Attempt
from org.access import HasPerson, PersonApiRequest
from org.api_errors import error_responses

MAX_ANSWER_BYTES = 32 * 1024  # a short answer of 5,000 characters is well under this


def _attempt(request: PersonApiRequest, public_id: Any) -> Attempt:
    """One of the signed-in person's attempts (HasPerson has set ``request.person``)."""
    attempt = selectors.attempt_of(request.person, public_id)
    if attempt is None:
        raise NotFound("No such attempt.")
    return attempt


def _refused(error: ValidationError, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": " ".join(error.messages)}, status=code)


def _allowance(allowance: selectors.Allowance) -> dict[str, Any]:
    """The attempts part of a response, from the one allowance rule."""
    return {
        "attempts_allowed": allowance.allowed,
        "attempts_used": allowance.used,
        "attempts_remaining": allowance.remaining,
        "can_start": allowance.can_start,
        "refusal": allowance.refusal,
    }


class QuestionSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    kind = serializers.CharField()
    stem = serializers.CharField()
    options = serializers.ListField(child=serializers.DictField())
    blanks = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=5, decimal_places=2)
    response = serializers.JSONField(allow_null=True)
    saved_at = serializers.DateTimeField(allow_null=True)


class AttemptSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="public_id")
    exam = serializers.CharField(source="exam.title")
    number = serializers.IntegerField()
    state = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    max_score = serializers.DecimalField(max_digits=7, decimal_places=2)
    passed = serializers.BooleanField(allow_null=True)


class AttemptDetailSerializer(AttemptSerializer):
    server_time = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    def get_server_time(self, attempt: Attempt) -> str:
        # The countdown runs from the server's clock, not the device's.
        return timezone.now().isoformat()

    def get_questions(self, attempt: Attempt) -> Any:
        paper = selectors.attempt_paper(attempt, drawn=self.context.get("drawn"))
        return QuestionSerializer(paper, many=True).data


class AttemptStart(APIView):
    """Start an attempt at an exam, or resume the one already open."""

    permission_classes = [HasPerson]

    @extend_schema(
        request=None,
        responses={
            201: AttemptDetailSerializer,
            **error_responses(
                404,
                409,
                e404="No such exam open to the signed-in person.",
                e409="The exam cannot be started now: no attempts left, or not open yet.",
            ),
        },
    )
    def post(self, request: PersonApiRequest, exam_id: int) -> Response:
        person = request.person
        exam = selectors.exams_open_to(person).filter(pk=exam_id).first()
        if exam is None:
            raise NotFound("No such exam.")
        try:
            attempt = services.attempt_start(exam=exam, person=person)
        except services.AttemptRefused as error:
            body = {"detail": " ".join(error.messages)}
            return Response(
                body | _allowance(selectors.attempt_allowance(exam, person)),
                status=status.HTTP_409_CONFLICT,
            )
        body = AttemptDetailSerializer(attempt, context={"drawn": attempt.drawn}).data
        return Response(body, status=status.HTTP_201_CREATED)


class AttemptDetail(APIView):
    """An attempt with its paper and saved answers: what a reload or another device shows."""

    permission_classes = [HasPerson]

    @extend_schema(
        responses={200: AttemptDetailSerializer, **error_responses(404, e404="No such attempt.")}
    )
    def get(self, request: PersonApiRequest, public_id: str) -> Response:
        return Response(AttemptDetailSerializer(_attempt(request, public_id)).data)


class AnswerSerializer(serializers.Serializer[Any]):
    response = serializers.JSONField()


class AnswerSaved(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    saved_at = serializers.DateTimeField()


class AnswerSave(APIView):
    """Save the answer to one question; each save replaces the previous one."""

    @extend_schema(
        request=AnswerSerializer,
        responses={
            200: AnswerSaved,
            **error_responses(
                400,
                404,
                409,
                e400="The answer does not fit the question, the paper has no such question, "
                "or the answer is too long.",
                e404="No such attempt, or no personnel record for this account.",
                e409="The attempt is closed: submitted, or past its deadline.",
            ),
        },
    )
    def put(self, request: Request, public_id: str, position: int) -> Response:
        if len(request.body) > MAX_ANSWER_BYTES:
            return Response(
                {"detail": f"An answer may be at most {MAX_ANSWER_BYTES} bytes."}, status=400
            )
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            # The hot path of an exam sitting: the attempt is looked up by owner, locked and
            # read in one statement (IsAuthenticated has run, so the user has a key).
            answer = services.answer_save_as_owner(
                user_id=request.user.pk,  # type: ignore[arg-type]
                public_id=public_id,
                position=position,
                response=data.validated_data["response"],
            )
        except services.AttemptClosed as error:
            return _refused(error, status.HTTP_409_CONFLICT)
        except ValidationError as error:
            return _refused(error)
        if answer is None:
            # The save found no open attempt of this login's: say whether the person or
            # the attempt is missing (off the hot path).
            HasPerson().has_permission(request, self)
            _attempt(cast(PersonApiRequest, request), public_id)
            raise NotFound("No such attempt.")
        return Response({"position": position, "saved_at": answer.saved_at})


class AttemptSubmit(APIView):
    """Finish the attempt; submitting again returns the same result."""

    permission_classes = [HasPerson]

    @extend_schema(
        request=None,
        responses={200: AttemptSerializer, **error_responses(404, e404="No such attempt.")},
    )
    def post(self, request: PersonApiRequest, public_id: str) -> Response:
        attempt = services.attempt_submit(attempt=_attempt(request, public_id))
        return Response(AttemptSerializer(attempt).data)


class AttemptResult(APIView):
    """Score and pass; answers and explanations too when the review policy allows."""

    permission_classes = [HasPerson]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, **error_responses(404, e404="No such attempt.")}
    )
    def get(self, request: PersonApiRequest, public_id: str) -> Response:
        attempt = _attempt(request, public_id)
        body: dict[str, Any] = dict(AttemptSerializer(attempt).data)
        allowance = selectors.attempt_allowance(attempt.exam, request.person)
        release = selectors.review_release(attempt, allowance=allowance)
        body["attempts"] = _allowance(allowance)
        body["review_note"] = release.sentence
        body["review"] = None
        if release.shows_answers:
            body["review"] = [
                item.as_json()
                for item in selectors.attempt_review(attempt, with_key=release.shows_key)
            ]
        return Response(body)


class MyAttempts(APIView):
    """The signed-in person's attempts, newest first."""

    permission_classes = [HasPerson]

    @extend_schema(responses=AttemptSerializer(many=True))
    def get(self, request: PersonApiRequest) -> Response:
        attempts = (
            Attempt.objects.filter(person=request.person)
            .select_related("exam")
            .order_by("-started_at")
        )
        return Response(AttemptSerializer(attempts, many=True).data)
