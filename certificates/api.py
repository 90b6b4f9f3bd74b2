"""Certificate API under /api/v1/: a learner's certificates, and public verification."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from certificates import selectors
from org.access import HasPerson, PersonApiRequest
from org.api_errors import error_responses
from org.security import client_ip


class VerificationSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    holder = serializers.CharField(help_text="The holder's name, partly masked.")
    course = serializers.CharField()
    credit_hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    serial = serializers.CharField()
    issuer = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=["valid", "expired", "revoked", "replaced"])
    revoked_on = serializers.DateField(allow_null=True)
    completed_on = serializers.DateField(
        allow_null=True, help_text="The day the course was completed."
    )
    achievement = serializers.CharField(
        help_text="What the holder achieved, worded by the course's completion rule."
    )


class VerifyThrottle(AnonRateThrottle):
    """30 look-ups a minute per client address, counted in the shared cache."""

    scope = "verify"
    rate = "30/min"

    def get_ident(self, request: Request) -> str:
        # Our own proxy-aware address, not DRF's reading of a header the client may forge.
        return client_ip(request._request)


class CertificateVerify(APIView):
    """The public facts of a certificate by its verification code or serial number; no login."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        responses={
            200: VerificationSerializer,
            **error_responses(404, e404="No certificate has this code or serial number."),
        }
    )
    def get(self, request: Request, code: str) -> Response:
        lookup = None
        if len(code) <= selectors.LOOKUP_MAX_LENGTH:
            lookup = selectors.lookup_parse(code)
        facts = None
        if lookup is not None:
            facts = selectors.verification(lookup.code, serial=lookup.serial)
        if facts is None:
            raise NotFound(_("No certificate has this verification code or serial number."))
        return Response(VerificationSerializer(facts).data)


class CertificateSerializer(serializers.Serializer[Any]):
    serial = serializers.CharField()
    code = serializers.CharField()
    course = serializers.CharField(source="course_title")
    credit_hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    issued_on = serializers.DateField()
    completed_on = serializers.DateField(allow_null=True)
    achievement = serializers.CharField(
        help_text="What the holder achieved, worded by the course's completion rule."
    )
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    download = serializers.SerializerMethodField()

    def get_download(self, certificate: Any) -> str | None:
        if not certificate.pdf:
            return None
        return f"/certificates/{certificate.code}/download/"


class MyCertificates(APIView):
    """The signed-in person's certificates, newest first."""

    permission_classes = [HasPerson]

    @extend_schema(responses=CertificateSerializer(many=True))
    def get(self, request: PersonApiRequest) -> Response:
        return Response(
            CertificateSerializer(selectors.my_certificates(request.person), many=True).data
        )
