"""Bulk issuance through a real Celery worker: ``python bench/certificates.py --bulk 10000``.

An HR officer's "issue missing certificates" job over a subtree whose ``N`` people have all
completed a course: the job is split into slices for the worker (prefork, one process per
core), each certificate claimed, rendered and stored as in production (PostgreSQL, Redis
broker, files on disk). Measured from the job's creation to its last slice; afterwards the
database must hold exactly ``N`` issued certificates with ``N`` distinct serials.

Needs PostgreSQL (127.0.0.1:5432, trust) and Redis (databases 6 and 7, flushed at start
and end). Creates the database ``lms_bench_certificates`` and drops it at the end.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pgdb  # bench/pgdb.py: the script's own folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "lms_bench_certificates"
REDIS_CACHE_URL = "redis://127.0.0.1:6379/6"
REDIS_BROKER_URL = "redis://127.0.0.1:6379/7"
GOAL_SECONDS_PER_10000 = 15 * 60
BATCH = 2_000
STALL_SECONDS = 120
# One worker process per core, as the README deploys it; BENCH_WORKER_PROCESSES overrides.
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _configure(media_root: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "lms.settings",
            "DOTENV_FILE": "",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{pgdb.SERVER_URL}/{DATABASE}",
            "REDIS_URL": REDIS_CACHE_URL,
            "CELERY_BROKER_URL": REDIS_BROKER_URL,
            "CELERY_RESULT_BACKEND": REDIS_CACHE_URL,
            "MEDIA_ROOT": str(media_root),
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))


def _redis_flush() -> None:
    import redis

    for url in (REDIS_CACHE_URL, REDIS_BROKER_URL):
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
        finally:
            client.close()


def _names(count: int) -> list[str]:
    """Varied two- and three-character Chinese names, a few with rarer characters."""
    surnames = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
        "于杜叶程魏苏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段"
    )
    given = (
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯鑫晨"
        "婷雪琳晓燕欣怡子涵梓轩佳琪思远嘉懿堃喆昊旻玥珺"
    )
    names = []
    for index in range(count):
        surname = surnames[index % len(surnames)]
        first = given[(index * 7) % len(given)]
        second = given[(index * 13 + 5) % len(given)] if index % 3 else ""
        names.append(surname + first + second)
    return names


def _build(count: int) -> tuple[int, int]:
    """The subtree, ``count`` people who completed a course, and an admin; returns (unit, admin)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction

    from courses.models import Enrolment, EnrolmentSource, EnrolmentStatus
    from org.models import OrgUnitKind, Person, Role
    from org.services import org_unit_create, role_grant
    from tests.factories import course_create, person_create

    province = org_unit_create(
        parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE, division_code="330000", code="zj"
    )
    unit = org_unit_create(
        parent=province,
        name="省数据局",
        kind=OrgUnitKind.DEPARTMENT,
        division_code="330000",
        code="zj-data",
    )
    admin = person_create(unit=province, real_name="陈志远", username="bench-admin", password=None)
    role_grant(person=admin, role=Role.PLATFORM_ADMIN)
    course = course_create(title="信息安全年度培训", hours="3.0", lessons=1)
    names = _names(count)
    from django.utils import timezone

    now = timezone.now()
    unusable = make_password(None)
    for start in range(0, count, BATCH):
        indexes = range(start, min(start + BATCH, count))
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(username=f"zj330000{index:06d}", password=unusable) for index in indexes
            )
            people = Person.objects.bulk_create(
                Person(
                    user=user,
                    real_name=names[index],
                    employee_number=f"ZJ330000{index:06d}",
                    org_unit=unit,
                    position="科员",
                )
                for user, index in zip(users, indexes, strict=True)
            )
            # Completed without issuing (as if the completion messages were lost): the
            # bulk job is what issues them.
            Enrolment.objects.bulk_create(
                Enrolment(
                    person=person,
                    course=course,
                    source=EnrolmentSource.ELECTIVE,
                    status=EnrolmentStatus.COMPLETED,
                    completed_at=now,
                )
                for person in people
            )
        log(f"  {min(start + BATCH, count)} people with a completed course")
    return unit.pk, admin.pk


def _worker(log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as worker_log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "lms",
                "worker",
                "--pool=prefork",
                f"--concurrency={WORKER_PROCESSES}",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )


def run_bulk(count: int) -> dict[str, Any]:
    """Issue ``count`` certificates through a bulk job and a real worker; the JSON result."""
    media = Path(tempfile.mkdtemp(prefix="lms-bench-certificates-"))
    _configure(media)
    pgdb.database_create(DATABASE)
    _redis_flush()
    worker = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        log(f"building {count} people who completed a course")
        unit_id, admin_id = _build(count)

        from certificates import services
        from certificates.models import BulkJob, BulkJobKind, Certificate
        from certificates.tasks import bulk_job_start_task
        from org.models import OrgUnit, Person
        from org.selectors import visible_people

        # The default queue, as in production: the start task enqueues its slices there from
        # inside the worker. The broker database is this bench's own and flushed.
        worker_log = media / "worker.log"
        worker = _worker(worker_log)
        time.sleep(8)  # the worker's processes import Django and warm the renderer
        if worker.poll() is not None:
            raise RuntimeError(worker_log.read_text(errors="replace")[-3000:])

        admin = Person.objects.select_related("user").get(pk=admin_id)
        started = time.perf_counter()
        job = services.bulk_job_create(
            kind=BulkJobKind.ISSUE,
            requested_by=admin,
            visible=visible_people(admin.user),
            org_unit=OrgUnit.objects.get(pk=unit_id),
        )
        bulk_job_start_task.delay(job.pk)
        last, moved = -1, time.perf_counter()
        while True:
            job = BulkJob.objects.get(pk=job.pk)
            if job.done + job.failed != last:
                last, moved = job.done + job.failed, time.perf_counter()
                log(f"  {last}/{job.total} after {moved - started:.0f} s")
            elif time.perf_counter() - moved > STALL_SECONDS:
                tail = worker_log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"no progress for {STALL_SECONDS} s; the worker's log:\n{tail}")
            if job.status == "done":
                break
            if worker.poll() is not None:
                raise RuntimeError(worker_log.read_text(errors="replace")[-3000:])
            time.sleep(1)
        seconds = time.perf_counter() - started

        issued = Certificate.objects.filter(status="issued")
        serials = issued.values_list("serial", flat=True).distinct().count()
        sizes = [os.path.getsize(media / name) for name in issued.values_list("pdf", flat=True)]
        rate = count / seconds
        goal_rate = 10_000 / GOAL_SECONDS_PER_10000
        correct = issued.count() == count == serials and job.failed == 0
        return {
            "bench": "certificates_bulk",
            "metric": "certificates_per_s",
            "value": round(rate, 2),
            "baseline": round(goal_rate, 2),
            "ratio": round(rate / goal_rate, 2),
            "goal": "10,000 certificates in under 15 minutes through a real worker on 2 cores",
            "ok": correct and rate >= goal_rate,
            "count": count,
            "seconds": round(seconds, 1),
            "issued": issued.count(),
            "distinct_serials": serials,
            "failed": job.failed,
            "size_bytes": round(sum(sizes) / len(sizes)) if sizes else 0,
            "worker_processes": WORKER_PROCESSES,
        }
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        pgdb.database_drop(DATABASE)
        _redis_flush()
        subprocess.run(["rm", "-rf", str(media)], check=False)
