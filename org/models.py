"""The organisation tree, the people in it and the roles they hold."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgUnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County or district")
    DEPARTMENT = "department", _("Department")
    UNIT = "unit", _("Unit")


# Which kinds may sit directly under which. Departments exist at every level of government
# (a provincial department sits under the province, a county bureau under its county).
ALLOWED_CHILD_KINDS: dict[str, frozenset[str]] = {
    OrgUnitKind.PROVINCE: frozenset({OrgUnitKind.CITY, OrgUnitKind.DEPARTMENT}),
    OrgUnitKind.CITY: frozenset({OrgUnitKind.COUNTY, OrgUnitKind.DEPARTMENT}),
    OrgUnitKind.COUNTY: frozenset({OrgUnitKind.DEPARTMENT}),
    OrgUnitKind.DEPARTMENT: frozenset({OrgUnitKind.UNIT}),
    OrgUnitKind.UNIT: frozenset({OrgUnitKind.UNIT}),
}
REGION_KINDS = frozenset({OrgUnitKind.PROVINCE, OrgUnitKind.CITY, OrgUnitKind.COUNTY})

division_code_validator = RegexValidator(
    r"^[1-9]\d{5}$", _("An administrative division code has six digits, e.g. 330106.")
)


class OrgUnit(MP_Node):
    """A node of the organisation tree: province > city > county > department > unit.

    The materialised path makes "everyone under this county" one indexed prefix query
    (``path LIKE '00010003%'``), which every access-scope selector is built on.
    """

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgUnitKind.choices)
    # GB/T 2260 code of the region the unit governs or belongs to (330000 Zhejiang,
    # 330106 Xihu district). Departments and units carry the code of their region.
    division_code = models.CharField(
        _("administrative division code"),
        max_length=6,
        validators=[division_code_validator],
    )
    # Stable external key for roster imports and exports; unique across the tree.
    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    node_order_by: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in OrgUnitKind]),
                name="org_unit_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Rank(models.TextChoices):
    """职级: the civil-service grade ladder (公务员职务与职级并行规定, 2019)."""

    LEVEL_1_INSPECTOR = "inspector_1", _("Level-1 inspector (一级巡视员)")
    LEVEL_2_INSPECTOR = "inspector_2", _("Level-2 inspector (二级巡视员)")
    LEVEL_1_RESEARCHER = "researcher_1", _("Level-1 researcher (一级调研员)")
    LEVEL_2_RESEARCHER = "researcher_2", _("Level-2 researcher (二级调研员)")
    LEVEL_3_RESEARCHER = "researcher_3", _("Level-3 researcher (三级调研员)")
    LEVEL_4_RESEARCHER = "researcher_4", _("Level-4 researcher (四级调研员)")
    LEVEL_1_PRINCIPAL_CLERK = "principal_clerk_1", _("Level-1 principal clerk (一级主任科员)")
    LEVEL_2_PRINCIPAL_CLERK = "principal_clerk_2", _("Level-2 principal clerk (二级主任科员)")
    LEVEL_3_PRINCIPAL_CLERK = "principal_clerk_3", _("Level-3 principal clerk (三级主任科员)")
    LEVEL_4_PRINCIPAL_CLERK = "principal_clerk_4", _("Level-4 principal clerk (四级主任科员)")
    LEVEL_1_CLERK = "clerk_1", _("Level-1 clerk (一级科员)")
    LEVEL_2_CLERK = "clerk_2", _("Level-2 clerk (二级科员)")


class Person(models.Model):
    """A civil servant (or platform staff member) with exactly one login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="person",
        verbose_name=_("user account"),
    )
    real_name = models.CharField(_("real name"), max_length=60)
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name=_("organisation unit"),
    )
    rank = models.CharField(_("rank"), max_length=24, choices=Rank.choices, blank=True)
    position = models.CharField(_("position"), max_length=80, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["employee_number"]
        constraints = [
            models.CheckConstraint(condition=~Q(real_name=""), name="person_real_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(employee_number=""), name="person_employee_number_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.real_name} ({self.employee_number})"


class Role(models.TextChoices):
    """Every active person is a learner; the other roles are granted by RoleAssignment."""

    LEARNER = "learner", _("Learner")
    TRAINER = "trainer", _("Trainer")
    HR_OFFICER = "hr_officer", _("HR officer")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


class RoleAssignment(models.Model):
    """One role held by one person; an HR officer's role is bound to an org unit's subtree."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("scope"),
        help_text=_("HR officers see this unit and everything under it."),
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # An HR officer without a subtree would see nobody, or be mistaken for everybody.
            models.CheckConstraint(
                condition=Q(role="hr_officer", org_unit__isnull=False) | ~Q(role="hr_officer"),
                name="role_hr_officer_has_scope",
            ),
            models.CheckConstraint(
                condition=Q(role="hr_officer") | Q(org_unit__isnull=True),
                name="role_only_hr_officer_has_scope",
            ),
            # Every person is a learner; only the other roles are granted.
            models.CheckConstraint(
                condition=Q(role__in=["trainer", "hr_officer", "platform_admin"]),
                name="role_assignable",
            ),
            models.UniqueConstraint(
                fields=["person", "role", "org_unit"], name="role_assignment_unique"
            ),
            models.UniqueConstraint(
                fields=["person", "role"],
                condition=Q(org_unit__isnull=True),
                name="role_assignment_unscoped_unique",
            ),
        ]

    def __str__(self) -> str:
        if self.org_unit_id is None:
            return f"{self.person}: {self.get_role_display()}"
        return f"{self.person}: {self.get_role_display()} @ {self.org_unit}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        """Tokens that still sign requests in: neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A key for API clients (``Authorization: Token <key>``) that expires and can be revoked.

    Only the SHA-256 of the key is kept: a copy of the database signs nobody in. The key is
    shown once, when it is issued; its last four characters tell the owner's tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        # Wagtail 8 has an APIToken of its own for its admin API, named "api_tokens".
        related_name="portal_api_tokens",
        verbose_name=_("user account"),
    )
    name = models.CharField(_("name"), max_length=80)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    last_four = models.CharField(_("last four characters"), max_length=4, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revocation"), max_length=40, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"{self.name} (…{self.last_four})"

    @staticmethod
    def generate_key() -> str:
        """A new random key: 256 bits, URL-safe, 43 characters."""
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        # A fast hash is enough: the key is random and long, not a password to be guessed.
        return hashlib.sha256(key.encode()).hexdigest()
