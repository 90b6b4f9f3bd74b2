"""The audit trail: append-only records of who did what, when, from where, before and after."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any, ClassVar, NoReturn

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

# The fields a record's hash covers, in the order they are documented (the JSON is sorted).
HASHED_FIELDS = (
    "at",
    "actor_user_id",
    "actor_label",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "subject_person_id",
    "subject_path",
    "before",
    "after",
    "note",
    "prev_hash",
)


# The actions recorded today, with the names the trail's page shows (filters included).
ACTIONS: dict[str, Any] = {
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Sign-in failed"),
    "auth.lockout": _("Locked out"),
    "auth.logout": _("Signed out"),
    "token.issue": _("API token issued"),
    "token.revoke": _("API token revoked"),
    "role.grant": _("Role granted"),
    "role.revoke": _("Role revoked"),
    "person.create": _("Person created"),
    "person.move": _("Person moved"),
    "person.deactivate": _("Person deactivated"),
    "credit.offline": _("Offline credit hours entered"),
    "certificate.revoke": _("Certificate revoked"),
    "certificate.reissue": _("Certificate re-issued"),
    "download.certificate": _("Certificate downloaded"),
    "download.bulk_zip": _("Bulk ZIP downloaded"),
    "export": _("Export"),
    "admin.add": _("Added in the admin"),
    "admin.change": _("Changed in the admin"),
    "admin.delete": _("Deleted in the admin"),
    "admin.wagtail": _("Wagtail admin"),
    "audit.prune": _("Old records pruned"),
}


class AuditRecordImmutable(Exception):
    """An audit record was about to be changed or deleted through the ORM."""


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    # Bulk writes bypass save(); they are refused here too. Pruning deletes with its own SQL
    # (audit.services.audit_prune), which PostgreSQL's trigger checks as well.
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutable("Audit records cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditRecordImmutable("Audit records cannot be deleted; they are pruned by age.")


class AuditRecord(models.Model):
    """One event. Each record carries the hash of the one before it (``prev_hash``) and its
    own (``hash``, over its fields and ``prev_hash``): ``manage.py audit_verify`` finds any
    record changed, removed or slipped in after the fact.

    The actor and the subject are plain numbers, not foreign keys: audit sits below every
    other app, and a record must outlive the user or person it names.
    """

    at = models.DateTimeField(_("time"), db_index=True)
    actor_user_id = models.BigIntegerField(_("actor's user id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=255, blank=True)
    subject_person_id = models.BigIntegerField(
        _("person concerned"), null=True, blank=True, db_index=True
    )
    # The org-tree path of the person or unit the record is about: an HR officer's scope is
    # a prefix of it (on PostgreSQL served by the varchar_pattern_ops index db_index adds).
    subject_path = models.CharField(
        _("organisation path"), max_length=255, blank=True, db_index=True
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    prev_hash = models.CharField(_("previous record's hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects: ClassVar[AuditRecordQuerySet] = AuditRecordQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        # The chain's order is the id's: ``at`` comes from a clock that may step back.
        ordering = ["-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_label}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditRecordImmutable("Audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditRecordImmutable("Audit records cannot be deleted; they are pruned by age.")

    @property
    def object_kind(self) -> str:
        """The object's kind in the reader's language (人员 for ``org.person``); the stored
        label for a model that no longer exists."""
        try:
            model = apps.get_model(self.object_type)
        except (LookupError, ValueError):
            return self.object_type
        return str(model._meta.verbose_name)

    @property
    def action_label(self) -> str:
        return str(ACTIONS.get(self.action, self.action))

    def compute_hash(self) -> str:
        """SHA-256 over a canonical JSON of the hashed fields (``prev_hash`` included)."""
        values: dict[str, Any] = {name: getattr(self, name) for name in HASHED_FIELDS}
        # Microseconds in UTC: what both PostgreSQL and SQLite store and give back.
        values["at"] = self.at.astimezone(UTC).isoformat(timespec="microseconds")
        canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
