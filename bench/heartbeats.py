"""Benchmark: lesson heartbeats through the real stack (gunicorn + PostgreSQL + Redis).

Every open lesson tab POSTs a heartbeat to ``/api/v1/heartbeats/`` every 15 s: the hot path
of the portal. This script serves ``lms.wsgi`` with gunicorn on loopback, lets ``--learners``
simulated learners (API token clients) open a lesson and beat, and measures client-side
latency at a fixed offered rate (``--rate`` heartbeats/s for ``--seconds``), the same rate of
``GET /healthz/`` (database + broker check, no heartbeat logic) as the baseline, and the
ceiling (as fast as the server answers, for ``--fast-seconds``). Afterwards it checks in the
database that no beat was lost or counted twice and that no learner earned more time than
really passed.

    cd /work/main && .venv/bin/python bench/heartbeats.py [--rate 200] [--seconds 30]

Needs PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379, databases
14 and 15, flushed at start and end). Creates the database ``lms_bench_heartbeats`` and drops
it at the end. Prints one JSON object as its last stdout line (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import cProfile
import heapq
import io
import itertools
import json
import math
import os
import pstats
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pgdb  # bench/pgdb.py: the script's own folder is on sys.path

if TYPE_CHECKING:
    import requests

    from courses.models import CoursePage, LessonPage
    from org.models import OrgUnit

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = pgdb.SERVER_URL
DATABASE = "lms_bench_heartbeats"
REDIS_CACHE_URL = "redis://127.0.0.1:6379/14"
REDIS_BROKER_URL = "redis://127.0.0.1:6379/15"
HOST = "127.0.0.1"

GOAL_MS = 150.0
GOAL = "p95 <= 150 ms at 200 heartbeats/s on 2 cores, no errors, no lost beats"
# The paced phase must really offer the rate it claims: at least this share of it.
RATE_TOLERANCE = 0.95

# gunicorn configurations tried, by label; the JSON line reports the better one.
SERVER_CONFIGS: dict[str, list[str]] = {
    "sync-3x1": ["--workers", "3", "--threads", "1"],
    "gthread-2x4": ["--worker-class", "gthread", "--workers", "2", "--threads", "4"],
}

# A learner never beats more often than this in the paced phase (the heartbeat throttle
# allows 30 a minute, one per 2 s on average), so --learners must be >= rate x this.
PACED_BEAT_SECONDS = 3.0
# In the as-fast-as-possible phase a learner beats at most once a second, and never more
# than THROTTLE_MARGIN below the throttle's budget within its window (counted client-side).
FAST_BEAT_SECONDS = 1.0
THROTTLE_MARGIN = 5
REQUEST_TIMEOUT = 15.0
START_TIMEOUT = 60.0
USER_BATCH = 1_000


def log(message: str) -> None:
    # stdout is kept for the JSON line alone, so a caller can take the last line as is.
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=600, help="simulated learners")
    parser.add_argument("--rate", type=float, default=200.0, help="offered heartbeats per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the paced phase")
    parser.add_argument(
        "--baseline-seconds", type=float, default=15.0, help="length of the paced /healthz/ phase"
    )
    parser.add_argument(
        "--fast-seconds", type=float, default=15.0, help="length of the as-fast-as-possible phase"
    )
    parser.add_argument("--threads", type=int, default=48, help="client threads")
    parser.add_argument(
        "--servers",
        default=",".join(SERVER_CONFIGS),
        help=f"gunicorn configurations to try, comma-separated: {', '.join(SERVER_CONFIGS)}",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the load, profile heartbeats in-process (cProfile) and EXPLAIN their queries",
    )
    args = parser.parse_args()
    args.servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in args.servers if name not in SERVER_CONFIGS]
    if unknown or not args.servers:
        parser.error(f"--servers: unknown configuration(s) {unknown}; choose from {SERVER_CONFIGS}")
    if args.rate <= 0 or min(args.seconds, args.baseline_seconds, args.fast_seconds) <= 0:
        parser.error("--rate and the phase lengths must be positive")
    if args.learners < args.rate * PACED_BEAT_SECONDS:
        parser.error(
            f"--learners must be at least rate x {PACED_BEAT_SECONDS:g} s "
            f"({math.ceil(args.rate * PACED_BEAT_SECONDS)}) so no learner beats more often "
            f"than every {PACED_BEAT_SECONDS:g} s (the heartbeat throttle is 30/min)"
        )
    if not 1 <= args.threads <= 256:
        parser.error("--threads must be between 1 and 256")
    return args


def configure_environment(static_root: Path) -> None:
    """Production settings against the benchmark services; must run before Django loads."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "lms.settings",
            "DOTENV_FILE": "",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"{SERVER_URL}/{DATABASE}",
            "REDIS_URL": REDIS_CACHE_URL,
            "CELERY_BROKER_URL": REDIS_BROKER_URL,
            # Results (none expected: no worker runs) stay in the flushed cache database.
            "CELERY_RESULT_BACKEND": REDIS_CACHE_URL,
            "STATIC_ROOT": str(static_root),
            "MEDIA_ROOT": str(static_root.parent / "media"),
            # Requests the bench sends are fine; 4xx/5xx warnings still reach the server log.
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))


def database_create() -> None:
    pgdb.database_create(DATABASE)


def database_drop() -> None:
    pgdb.database_drop(DATABASE)


def redis_flush() -> None:
    import redis

    for url in (REDIS_CACHE_URL, REDIS_BROKER_URL):
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
        finally:
            client.close()


# --- data ------------------------------------------------------------------------------


@dataclass
class Learner:
    index: int
    person_id: int
    token: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The current view (one per server configuration) and its beats, client-side.
    view: str = ""
    seq: int = 0
    acked_seq: int = 0
    successes: int = 0
    opened_at: float = 0.0  # perf_counter() when the open request was sent
    last_ack_at: float = 0.0  # perf_counter() when the last 200 heartbeat answered
    sent_at: deque[float] = field(default_factory=deque)  # send times, for the throttle
    # Across the whole run.
    counted_seconds: int = 0  # the sum of counted_seconds of every 200 answer
    studied_seconds: float = 0.0  # real time between each view's opening and its last beat
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class ViewRecord:
    server: str
    learner: int
    token: str
    sent_seq: int
    acked_seq: int
    successes: int


def org_build() -> OrgUnit:
    """A small branch of the tree, through the service; everyone works in its last unit."""
    from org.models import OrgUnitKind
    from org.services import org_unit_create

    province = org_unit_create(
        parent=None, name="浙江省", kind=OrgUnitKind.PROVINCE, division_code="330000", code="zj"
    )
    city = org_unit_create(
        parent=province, name="杭州市", kind=OrgUnitKind.CITY, division_code="330100", code="hz"
    )
    county = org_unit_create(
        parent=city, name="西湖区", kind=OrgUnitKind.COUNTY, division_code="330106", code="xh"
    )
    bureau = org_unit_create(
        parent=county,
        name="西湖区数据资源管理局",
        kind=OrgUnitKind.DEPARTMENT,
        division_code="330106",
        code="xh-data",
    )
    return org_unit_create(
        parent=bureau,
        name="信息化科",
        kind=OrgUnitKind.UNIT,
        division_code="330106",
        code="xh-data-it",
    )


def learners_load(unit: OrgUnit, count: int) -> list[Learner]:
    """Logins, people and API tokens in bulk (person_create hashes and validates per row)."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from org.models import ApiToken, Person

    unusable_password = make_password(None)
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    learners: list[Learner] = []
    for start in range(0, count, USER_BATCH):
        numbers = [f"ZJ330106{n:06d}" for n in range(start + 1, min(start + USER_BATCH, count) + 1)]
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(username=number.lower(), password=unusable_password) for number in numbers
            )
            people = Person.objects.bulk_create(
                Person(
                    user=user,
                    real_name=f"学员{number[-4:]}",
                    employee_number=number,
                    org_unit=unit,
                    position="科员",
                )
                for user, number in zip(users, numbers, strict=True)
            )
            # The keys as org.services.api_token_issue makes them, stored as their hashes in
            # one INSERT (the service audits each one, which the benchmark does not measure).
            keys = [ApiToken.generate_key() for _user in users]
            ApiToken.objects.bulk_create(
                ApiToken(
                    user=user,
                    name="bench",
                    key_hash=ApiToken.hash_key(key),
                    last_four=key[-4:],
                    expires_at=expires_at,
                )
                for user, key in zip(users, keys, strict=True)
            )
        offset = len(learners)
        learners.extend(
            Learner(index=offset + i, person_id=person.pk, token=key)
            for i, (person, key) in enumerate(zip(people, keys, strict=True))
        )
    return learners


def course_build() -> tuple[CoursePage, LessonPage]:
    """A published course of one lesson, as the tests build it (through Wagtail)."""
    from courses.models import LessonPage
    from tests.factories import course_create

    # 60 minutes required: nobody completes the lesson during the run, so every beat takes
    # the steady-state path (completion happens once per lesson, not every 15 s).
    course = course_create(title="电子政务概论", hours="1.0", lessons=1, minutes=60)
    lesson = LessonPage.objects.child_of(course).live().get()
    return course, lesson


def enrol_all(course: CoursePage, learners: list[Learner]) -> None:
    """The rows enrolment_create writes, in bulk (a plan's enrolment does the same)."""
    from courses.models import Enrolment, EnrolmentSource

    Enrolment.objects.bulk_create(
        Enrolment(person_id=learner.person_id, course=course, source=EnrolmentSource.ELECTIVE)
        for learner in learners
    )


# --- server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    label: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path


def server_start(label: str, log_dir: Path) -> Server:
    import requests

    port = free_port()
    log_path = log_dir / f"gunicorn-{label}.log"
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "lms.wsgi",
        "--preload",
        "--bind",
        f"{HOST}:{port}",
        *SERVER_CONFIGS[label],
    ]
    log(f"[{label}] starting: {' '.join(command[1:])}")
    with log_path.open("wb") as server_log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=os.environ.copy(), stdout=server_log, stderr=subprocess.STDOUT
        )
    server = Server(
        label=label, process=process, base_url=f"http://{HOST}:{port}", log_path=log_path
    )
    started = time.perf_counter()
    while time.perf_counter() - started < START_TIMEOUT:
        if process.poll() is not None:
            break
        try:
            if requests.get(f"{server.base_url}/healthz/", timeout=2).status_code == 200:
                log(f"[{label}] /healthz/ answers 200 after {time.perf_counter() - started:.1f} s")
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-3000:]
    server_stop(server)
    raise RuntimeError(f"gunicorn ({label}) did not become healthy; its log ends:\n{tail}")


def server_stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()  # SIGTERM: gunicorn's graceful shutdown
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


# --- CPU accounting (where the time goes) ----------------------------------------------

CPU_GROUPS = ("gunicorn", "postgres", "redis", "client", "other")
CPU_SAMPLE_SECONDS = 0.25


def _proc_stat(pid: str) -> tuple[str, int, int] | None:
    """(command name, parent pid, user + system ticks) of one process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, int(fields[1]), int(fields[11]) + int(fields[12])


class CpuSampler:
    """CPU time used by gunicorn (master and workers), PostgreSQL, Redis, this client and
    everything else on the machine, summed from per-process deltas sampled a few times a
    second (PostgreSQL backends come and go with CONN_MAX_AGE; a snapshot difference
    would lose the time of every process that exited in between)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.seen: dict[str, tuple[str, int]] = {}  # pid -> (group, ticks last seen)
        self.used: Counter[str] = Counter()
        self.machine: tuple[int, int] = (0, 0)  # machine-wide (busy, total) ticks last seen
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._sample(count=False)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _group(self, pid: str, name: str, parent: int) -> str:
        if int(pid) == self.server_pid or parent == self.server_pid:
            return "gunicorn"
        if name == "postgres":
            return "postgres"
        if name.startswith("redis-server"):
            return "redis"
        if int(pid) == os.getpid():
            return "client"
        return "other"

    def _sample(self, count: bool = True) -> None:
        current: dict[str, tuple[str, int]] = {}
        for pid in os.listdir("/proc"):
            if pid.isdigit() and (stat := _proc_stat(pid)):
                name, parent, ticks = stat
                group = self.seen[pid][0] if pid in self.seen else self._group(pid, name, parent)
                current[pid] = (group, ticks)
        cpu = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        with self.lock:
            if count:
                for pid, (group, ticks) in current.items():
                    # A process born since the last sample used all its time in between.
                    self.used[group] += ticks - self.seen.get(pid, (group, 0))[1]
                self.used["machine_busy"] += sum(cpu) - cpu[3] - cpu[4] - self.machine[0]
                self.used["machine_total"] += sum(cpu) - self.machine[1]
            self.seen = current
            self.machine = (sum(cpu) - cpu[3] - cpu[4], sum(cpu))

    def _loop(self) -> None:
        while not self.stop.wait(CPU_SAMPLE_SECONDS):
            self._sample()

    def reading(self) -> tuple[float, Counter[str]]:
        self._sample()
        with self.lock:
            return time.perf_counter(), Counter(self.used)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def cpu_usage(
    before: tuple[float, Counter[str]], after: tuple[float, Counter[str]]
) -> dict[str, float]:
    """Cores used per group between two readings, and the machine's busy share."""
    hertz = os.sysconf("SC_CLK_TCK")
    seconds = after[0] - before[0]
    used = after[1] - before[1]
    usage = {group: round(used[group] / hertz / seconds, 2) for group in CPU_GROUPS}
    usage["machine_busy"] = round(used["machine_busy"] / max(used["machine_total"], 1), 2)
    return usage


# --- load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    started: float  # perf_counter() at send
    latency_ms: float
    status: int  # 0: no HTTP answer (connection error, timeout)
    lag_ms: float = 0.0  # send time minus scheduled time (paced phases)


class Client:
    """One requests.Session per thread; traffic only to the benchmark server on loopback."""

    def __init__(self, base_url: str) -> None:
        assert base_url.startswith(f"http://{HOST}:")
        self.base_url = base_url
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        import requests

        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Accept"] = "application/json"
            self._local.session = session
        return session

    def request(
        self, method: str, path: str, token: str | None = None, body: dict[str, Any] | None = None
    ) -> tuple[int, Any, float, float]:
        """(status, JSON body or None, send time, latency ms)."""
        import requests

        headers = {"Authorization": f"Token {token}"} if token else {}
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base_url + path, json=body, headers=headers, timeout=REQUEST_TIMEOUT
            )
            status = response.status_code
            payload = response.json() if status < 500 and response.content else None
        except (requests.RequestException, ValueError):
            status, payload = 0, None
        return status, payload, started, (time.perf_counter() - started) * 1000


def run_threads(count: int, work: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            work()
        except BaseException as error:  # a client bug must not pass for a quiet run
            errors.append(error)

    threads = [threading.Thread(target=guarded, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def views_open(
    client: Client, learners: list[Learner], lesson_id: int, threads: int
) -> list[Sample]:
    """Every learner opens the lesson in one tab (the newest view takes the presence lease)."""
    samples: list[Sample] = []
    queue = iter(learners)
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                learner = next(queue, None)
            if learner is None:
                return
            status, payload, started, latency = client.request(
                "POST", "/api/v1/lesson-views/", learner.token, {"lesson": lesson_id}
            )
            samples.append(Sample(started, latency, status))
            if status != 201:
                raise RuntimeError(f"opening a lesson view answered {status}: {payload}")
            learner.view = payload["view"]
            learner.seq = learner.acked_seq = learner.successes = 0
            learner.opened_at = learner.last_ack_at = started
            learner.sent_at.clear()

    run_threads(threads, work)
    return samples


def heartbeat(client: Client, learner: Learner) -> tuple[float, float, int]:
    """One beat of a learner's view; beats of one view never overlap (seq must increase)."""
    with learner.lock:
        learner.seq += 1
        body = {"view": learner.view, "seq": learner.seq, "visible": True}
        status, payload, started, latency = client.request(
            "POST", "/api/v1/heartbeats/", learner.token, body
        )
        learner.sent_at.append(started)
        if status == 200:
            learner.acked_seq = learner.seq
            learner.successes += 1
            learner.last_ack_at = started + latency / 1000
            learner.counted_seconds += int(payload["counted_seconds"])
            learner.reasons[str(payload["reason"])] += 1
    return started, latency, status


def paced(
    rate: float, seconds: float, threads: int, send: Callable[[int], tuple[float, float, int]]
) -> tuple[list[Sample], int]:
    """Offer ``rate`` requests a second for ``seconds``: request j is due at start + j/rate,
    whichever thread is free sends it (a slow answer does not delay the next one as long as
    a thread is free). Requests still unsent when the phase ends are dropped, not sent late:
    the phase stays bounded, and the achieved rate shows the shortfall. Returns the samples
    and how many requests were dropped."""
    total = int(rate * seconds)
    counter = itertools.count()
    samples: list[Sample] = []
    origin = time.perf_counter() + 0.2
    deadline = origin + seconds

    def work() -> None:
        while (j := next(counter)) < total:
            due = origin + j / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            elif time.perf_counter() >= deadline:
                return
            started, latency, status = send(j)
            samples.append(Sample(started, latency, status, (started - due) * 1000))

    run_threads(threads, work)
    return samples, total - len(samples)


def as_fast_as_possible(
    client: Client, learners: list[Learner], seconds: float, threads: int, throttle: tuple[int, int]
) -> list[Sample]:
    """Closed loop: every thread sends the next beat as soon as its last one answered, from
    the learner free longest, each learner at most once per FAST_BEAT_SECONDS and within
    the heartbeat throttle's budget (client-side count over its window)."""
    budget, window = throttle[0] - THROTTLE_MARGIN, float(throttle[1])
    now = time.perf_counter()
    ready = [(now, learner.index) for learner in learners]
    heapq.heapify(ready)
    condition = threading.Condition()
    deadline = now + seconds
    samples: list[Sample] = []

    def next_allowed(learner: Learner) -> float:
        moment = learner.sent_at[-1] + FAST_BEAT_SECONDS
        recent = [t for t in learner.sent_at if t > time.perf_counter() - window]
        if len(recent) >= budget:
            moment = max(moment, recent[-budget] + window + 0.5)
        return moment

    def work() -> None:
        while True:
            with condition:
                while not ready:
                    if time.perf_counter() >= deadline:
                        return
                    condition.wait(0.05)
                at, index = heapq.heappop(ready)
            pause = at - time.perf_counter()
            if pause > 0:
                if time.perf_counter() + pause >= deadline:
                    return
                time.sleep(pause)
            if time.perf_counter() >= deadline:
                return
            learner = learners[index]
            started, latency, status = heartbeat(client, learner)
            samples.append(Sample(started, latency, status))
            with condition:
                heapq.heappush(ready, (next_allowed(learner), index))
                condition.notify()

    run_threads(threads, work)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(samples)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Stats:
    count: int
    rate: float
    p50: float
    p95: float
    p99: float
    max: float
    lag_p95: float
    errors: dict[int, int]
    cpu: dict[str, float]
    unsent: int

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def summarise(label: str, samples: list[Sample], cpu: dict[str, float], unsent: int = 0) -> Stats:
    latencies = [s.latency_ms for s in samples]
    first = min(s.started for s in samples)
    last = max(s.started + s.latency_ms / 1000 for s in samples)
    stats = Stats(
        count=len(samples),
        rate=len(samples) / (last - first),
        p50=percentile(latencies, 0.5),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
        max=max(latencies),
        lag_p95=percentile([s.lag_ms for s in samples], 0.95),
        errors=dict(Counter(s.status for s in samples if s.status not in (200, 201))),
        cpu=cpu,
        unsent=unsent,
    )
    errors = ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(stats.errors.items()))
    log(
        f"  {label:<32} n={stats.count:<6} {stats.rate:6.1f} req/s  p50 {stats.p50:6.1f}  "
        f"p95 {stats.p95:6.1f}  p99 {stats.p99:6.1f}  max {stats.max:6.1f} ms  "
        f"send lag p95 {stats.lag_p95:6.1f} ms  errors {{{errors}}}"
        + (f"  unsent (no free client thread in time) {unsent}" if unsent else "")
    )
    per_request = {g: cpu[g] * 1000 / stats.rate for g in ("gunicorn", "postgres", "client")}
    log(
        f"  {'':<32} cores: "
        + ", ".join(f"{group} {cpu[group]:.2f}" for group in CPU_GROUPS)
        + f"; machine busy {cpu['machine_busy']:.0%}; CPU ms per request: "
        + ", ".join(f"{group} {value:.1f}" for group, value in per_request.items())
    )
    return stats


@contextmanager
def measured(sampler: CpuSampler, into: dict[str, dict[str, float]], key: str) -> Iterator[None]:
    before = sampler.reading()
    yield
    into[key] = cpu_usage(before, sampler.reading())


@dataclass
class ServerRun:
    label: str
    opening: Stats
    paced: Stats
    healthz: Stats
    fast: Stats
    views: list[ViewRecord]
    lost: int = 0
    phantom: int = 0

    @property
    def errors(self) -> int:
        return self.paced.error_count + self.healthz.error_count + self.fast.error_count

    def summary(self) -> dict[str, Any]:
        return {
            "heartbeat_p50_ms": round(self.paced.p50, 1),
            "heartbeat_p95_ms": round(self.paced.p95, 1),
            "heartbeat_p99_ms": round(self.paced.p99, 1),
            "healthz_p95_ms": round(self.healthz.p95, 1),
            "rate": round(self.paced.rate, 1),
            "max_rate": round(self.fast.rate, 1),
            "fast_p95_ms": round(self.fast.p95, 1),
            "unsent": self.paced.unsent,
            "errors": self.errors,
            "errors_by_status": {
                str(code): n
                for stats in (self.paced, self.healthz, self.fast)
                for code, n in stats.errors.items()
            },
            "lost": self.lost,
            "cpu_paced": self.paced.cpu,
        }


def server_run(
    label: str,
    args: argparse.Namespace,
    learners: list[Learner],
    lesson_id: int,
    log_dir: Path,
    throttle: tuple[int, int],
) -> ServerRun:
    # A fresh cache per configuration: the throttle's history of the previous one is gone.
    redis_flush()
    server = server_start(label, log_dir)
    sampler = CpuSampler(server.process.pid)
    cpu: dict[str, dict[str, float]] = {}
    try:
        client = Client(server.base_url)
        with measured(sampler, cpu, "open"):
            opening_samples = views_open(client, learners, lesson_id, args.threads)
        opening = summarise("open lesson views", opening_samples, cpu["open"])
        count = len(learners)

        def beat(j: int) -> tuple[float, float, int]:
            return heartbeat(client, learners[j % count])

        def probe(_j: int) -> tuple[float, float, int]:
            status, _payload, started, latency = client.request("GET", "/healthz/")
            return started, latency, status

        with measured(sampler, cpu, "paced"):
            beats, unsent = paced(args.rate, args.seconds, args.threads, beat)
        paced_stats = summarise(f"heartbeats at {args.rate:g}/s", beats, cpu["paced"], unsent)
        with measured(sampler, cpu, "healthz"):
            probes, unsent = paced(args.rate, args.baseline_seconds, args.threads, probe)
        healthz_stats = summarise(f"/healthz/ at {args.rate:g}/s", probes, cpu["healthz"], unsent)
        with measured(sampler, cpu, "fast"):
            fast = as_fast_as_possible(client, learners, args.fast_seconds, args.threads, throttle)
        fast_stats = summarise("heartbeats, as fast as possible", fast, cpu["fast"])
    finally:
        sampler.close()
        server_stop(server)
    warnings = [
        line
        for line in server.log_path.read_text(errors="replace").splitlines()
        if " WARNING " in line or " ERROR " in line or "Traceback" in line
    ]
    if warnings:
        log(f"[{label}] server log: {len(warnings)} warning/error lines, e.g. {warnings[:3]}")
    for learner in learners:
        learner.studied_seconds += learner.last_ack_at - learner.opened_at
    views = [
        ViewRecord(
            label, learner.index, learner.view, learner.seq, learner.acked_seq, learner.successes
        )
        for learner in learners
    ]
    return ServerRun(label, opening, paced_stats, healthz_stats, fast_stats, views)


# --- verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    lost: int  # acknowledged beats the database does not show
    phantom: int  # beats the database shows that the client never saw acknowledged
    credit_mismatch: int  # learners whose engaged time differs from the sum credited
    overcredited: int  # learners credited more than the real time they studied (+1 s)
    worst_excess: float  # seconds credited beyond the real time, for the worst learner
    # Beyond even the server's own clock span (first opening to last beat of each view):
    # what per-beat rounding to whole seconds can add.
    worst_excess_server: float


def verify(runs: list[ServerRun], learners: list[Learner], lesson_id: int) -> Verdict:
    """Compare the database with what the clients saw acknowledged."""
    from courses.models import LessonProgress, LessonView

    last_seq = dict(LessonView.objects.values_list("token", "last_seq"))
    lost = phantom = 0
    for run in runs:
        run_lost = run_phantom = 0
        for view in run.views:
            stored = last_seq[uuid.UUID(view.token)]
            if view.acked_seq == view.sent_seq == view.successes:
                run_lost += max(0, view.successes - stored)
                run_phantom += max(0, stored - view.successes)
            else:  # some beat failed: the database must show at least every acknowledged one
                run_lost += max(0, view.acked_seq - stored)
                run_phantom += max(0, stored - view.acked_seq)
        run.lost, run.phantom = run_lost, run_phantom
        lost += run_lost
        phantom += run_phantom
    engaged = dict(
        LessonProgress.objects.filter(lesson_id=lesson_id).values_list(
            "enrolment__person_id", "engaged_seconds"
        )
    )
    server_span: defaultdict[int, float] = defaultdict(float)
    for person_id, opened_at, last_beat_at in LessonView.objects.values_list(
        "enrolment__person_id", "opened_at", "last_beat_at"
    ):
        server_span[person_id] += (last_beat_at - opened_at).total_seconds()
    mismatch = overcredited = 0
    worst = worst_server = -math.inf
    for learner in learners:
        stored = engaged.get(learner.person_id, 0)
        mismatch += stored != learner.counted_seconds
        excess = stored - learner.studied_seconds
        worst = max(worst, excess)
        worst_server = max(worst_server, stored - server_span[learner.person_id])
        overcredited += excess > 1.0
    return Verdict(lost, phantom, mismatch, overcredited, worst, worst_server)


# --- profile ---------------------------------------------------------------------------


def profile(learners: list[Learner], lesson_id: int, beats: int = 200) -> None:
    """Heartbeats in this process through Django's full stack (no gunicorn, one at a time):
    their cost without and with cProfile, the hottest functions, then every query of one
    beat with its plan."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    from courses.models import LessonView

    redis_flush()  # the throttle's history: these beats come on top of the load's
    views = dict(
        LessonView.objects.filter(
            token__in=[uuid.UUID(learner.view) for learner in learners]
        ).values_list("token", "last_seq")
    )
    django_client = DjangoClient(HTTP_HOST=HOST)
    turn = itertools.cycle(learners)

    def one() -> None:
        learner = next(turn)
        seq = views[uuid.UUID(learner.view)] + 1
        views[uuid.UUID(learner.view)] = seq
        response = django_client.post(
            "/api/v1/heartbeats/",
            {"view": learner.view, "seq": seq, "visible": True},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {learner.token}",
        )
        assert response.status_code == 200, response.content

    for _ in range(20):  # warm-up
        one()
    started = time.perf_counter()
    for _ in range(beats):
        one()
    plain = (time.perf_counter() - started) * 1000 / beats
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(beats):
        one()
    profiler.disable()
    by_total, by_own = io.StringIO(), io.StringIO()
    pstats.Stats(profiler, stream=by_total).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler, stream=by_own).sort_stats("tottime").print_stats(20)
    log(
        f"profile: {plain:.2f} ms per heartbeat in-process, sequential, {beats} beats\n"
        f"{by_total.getvalue()}{by_own.getvalue()}"
    )
    with CaptureQueriesContext(connection) as captured:
        one()
    log(f"one heartbeat: {len(captured.captured_queries)} queries")
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            log(f"  [{query['time']} s] {sql}")
            if sql.lstrip().upper().startswith("SELECT"):
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                log("\n".join(f"      {line}" for (line,) in cursor.fetchall()))


# --- main ------------------------------------------------------------------------------


def run(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, connections

    from courses.api import HeartbeatThrottle

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")
    step = time.perf_counter()
    unit = org_build()
    learners = learners_load(unit, args.learners)
    course, lesson = course_build()
    enrol_all(course, learners)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(
        f"data: {len(learners)} learners with tokens, course {course.pk} with lesson {lesson.pk}, "
        f"everyone enrolled, in {time.perf_counter() - step:.1f} s"
    )
    # gunicorn's workers open their own connections; ours must not be held across the run.
    connections.close_all()
    throttle_rate = HeartbeatThrottle().parse_rate(HeartbeatThrottle.rate)
    assert throttle_rate[0] is not None and throttle_rate[1] is not None
    throttle = (int(throttle_rate[0]), int(throttle_rate[1]))
    log(
        f"load: {args.learners} learners, each beating every {args.learners / args.rate:.1f} s "
        f"= {args.rate:g}/s for {args.seconds:g} s; /healthz/ at {args.rate:g}/s for "
        f"{args.baseline_seconds:g} s; then as fast as possible for {args.fast_seconds:g} s; "
        f"{args.threads} client threads; heartbeat throttle {throttle[0]}/{throttle[1]} s"
    )

    runs = [
        server_run(label, args, learners, lesson.pk, log_dir, throttle) for label in args.servers
    ]
    verdict = verify(runs, learners, lesson.pk)
    reasons = sum((learner.reasons for learner in learners), Counter())
    log(
        f"database check: lost {verdict.lost}, counted but unacknowledged {verdict.phantom}, "
        f"learners whose engaged time != sum credited {verdict.credit_mismatch}, "
        f"credited more than real time (+1 s) {verdict.overcredited} "
        f"(largest excess {verdict.worst_excess:+.2f} s over the client's clock, "
        f"{verdict.worst_excess_server:+.2f} s over the server's own span); "
        f"answers by reason {dict(reasons)}"
    )
    for run_ in runs:
        log(f"  {run_.label}: {json.dumps(run_.summary())}")
    if args.profile:
        profile(learners, lesson.pk)

    def rank(run_: ServerRun) -> tuple[bool, float]:
        return (run_.errors > 0 or run_.lost > 0, run_.paced.p95)

    best = min(runs, key=rank)
    errors = best.errors
    ok = (
        best.paced.p95 <= GOAL_MS
        and errors == 0
        and best.lost == 0
        and verdict.credit_mismatch == 0
        and verdict.overcredited == 0
        and best.paced.rate >= RATE_TOLERANCE * args.rate
    )
    return {
        "bench": "heartbeats",
        "metric": "heartbeat_p95_ms_at_rate",
        "value": round(best.paced.p95, 1),
        "baseline": round(best.healthz.p95, 1),
        "ratio": round(best.paced.p95 / best.healthz.p95, 2),
        "goal": GOAL,
        "ok": ok,
        "rate": round(best.paced.rate, 1),
        "max_rate": round(best.fast.rate, 1),
        "errors": errors,
        "lost": best.lost,
        "learners": args.learners,
        "unsent": best.paced.unsent,
        "server": f"gunicorn {' '.join(SERVER_CONFIGS[best.label])}",
        "offered_rate": args.rate,
        "credit_mismatch": verdict.credit_mismatch,
        "overcredited": verdict.overcredited,
        "servers": {run_.label: run_.summary() for run_ in runs},
    }


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lms-bench-heartbeats-") as temp:
        temp_dir = Path(temp)
        (temp_dir / "static").mkdir()
        configure_environment(temp_dir / "static")
        database_create()
        redis_flush()
        try:
            import django

            django.setup()
            result = run(args, temp_dir)
        finally:
            database_drop()
            redis_flush()
    log(f"total {time.perf_counter() - started:.1f} s")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
