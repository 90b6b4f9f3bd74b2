"""Benchmark: an exam sitting through the real stack (gunicorn + PostgreSQL + Redis).

``--takers`` simulated civil servants (API token clients, one coroutine each) wait at a
barrier, as a room does for 09:00, then all start the same published exam at once
(``POST /api/v1/exams/<id>/attempts/``), answer its 20 questions one by one with a think time
before each (``PUT /api/v1/attempts/<id>/answers/<n>/``), now and then change an earlier
answer, and submit. The script measures client-side latency of every request, the save rate
while everyone sits the exam, and the CPU used by gunicorn, PostgreSQL, Redis and itself.
Afterwards it compares every acknowledged answer with what the database holds (``lost``).

    cd /work/main && .venv/bin/python bench/exam_load.py [--takers 1000] [--think 5]

Needs PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379, databases
12 and 13, flushed at start and end). Creates the database ``lms_bench_exam_load`` and drops
it at the end. Prints one JSON object as its last stdout line (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import http.client
import io
import json
import math
import os
import pstats
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import heartbeats  # bench/heartbeats.py: its CPU sampler and helpers
import pgdb  # bench/pgdb.py: the script's own folder is on sys.path
from heartbeats import CPU_GROUPS, CpuSampler, cpu_usage, free_port, percentile

if TYPE_CHECKING:
    from exams.models import Exam

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "lms_bench_exam_load"
REDIS_CACHE_URL = "redis://127.0.0.1:6379/12"
REDIS_BROKER_URL = "redis://127.0.0.1:6379/13"
HOST = "127.0.0.1"

GOAL_SAVES_PER_S = 150.0
GOAL_SAVE_P95_MS = 200.0
GOAL_START_P95_MS = 1000.0
GOAL = (
    "on 2 cores: >= 150 saves/s with save p95 < 200 ms, start p95 < 1 s, no errors, no lost answers"
)

# The paper: drawn afresh for every attempt from one bank, as the demo exams are
# (exams/demo.py), 20 questions of all five kinds, 100 points.
DRAW = (
    ("single", 8, Decimal("3")),
    ("multiple", 4, Decimal("6")),
    ("true_false", 4, Decimal("4")),
    ("fill", 3, Decimal("6")),
    ("short", 1, Decimal("18")),
)
EXAM_MINUTES = 60

# Sync workers: every request is CPU work in Python plus a few loopback round trips to
# PostgreSQL, so more processes than cores only add context switches; one more than the
# cores keeps a core busy while another worker waits on PostgreSQL or on a row lock.
# (bench/heartbeats.py measured 3 and 5 sync workers alike and gthread slower on 2 cores.)
DEFAULT_WORKERS = 3
REQUEST_TIMEOUT = 120.0
START_TIMEOUT = 60.0
READING_SECONDS = 1.0  # CPU readings, to cut out the start and the sitting
PROBE_PER_S = 5.0  # /healthz/ probes during the sitting: the server's queueing, no exam logic
FLOOR_SETTLE_SECONDS = 3.0  # between the floor burst and the start
MIN_SITTING_SECONDS = 10.0  # shorter: no sitting to speak of, the whole load is measured
SHORT_TEXT = (
    "数据备份应遵循三二一原则，即至少保留三份数据副本，使用两种不同的存储介质，"
    "并将其中一份副本存放在异地。定期检查备份的完整性和可恢复性，演练恢复流程，"
    "对备份数据加密，明确责任人和保存期限，确保在勒索软件或灾害发生时业务可以迅速恢复。"
)
FILL_WORDS = ("防火墙", "入侵检测", "数据备份", "等级保护", "电子签章", "统一身份认证", "政务云")


def log(message: str) -> None:
    # stdout is kept for the JSON line alone, so a caller can take the last line as is.
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takers", type=int, default=1000, help="simulated exam takers")
    parser.add_argument(
        "--think",
        type=float,
        default=5.0,
        help="mean think time before each answer, in seconds (uniform from half to 1.5 times)",
    )
    parser.add_argument(
        "--change",
        type=float,
        default=0.1,
        help="chance, after each answer, of going back to change an earlier one",
    )
    parser.add_argument(
        "--start-spread",
        type=float,
        default=0.0,
        help="takers click start at a random moment this many seconds after the barrier "
        "(0: all at once, the spec's synchronized start)",
    )
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="skip the burst of cheapest authenticated requests before the start (the floor)",
    )
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (>1: gthread)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the takers' choices")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the load, cProfile saves in-process and print a start's and a save's SQL",
    )
    args = parser.parse_args()
    if args.takers < 1 or args.think <= 0 or not 0 <= args.change < 1 or args.start_spread < 0:
        parser.error("--takers >= 1, --think > 0, 0 <= --change < 1, --start-spread >= 0")
    if not 1 <= args.workers <= 16 or not 1 <= args.threads <= 32:
        parser.error("--workers 1..16, --threads 1..32")
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
            "DATABASE_URL": f"{pgdb.SERVER_URL}/{DATABASE}",
            "REDIS_URL": REDIS_CACHE_URL,
            "CELERY_BROKER_URL": REDIS_BROKER_URL,
            # Results (none expected: no worker runs) stay in the flushed cache database.
            "CELERY_RESULT_BACKEND": REDIS_CACHE_URL,
            "STATIC_ROOT": str(static_root),
            "MEDIA_ROOT": str(static_root.parent / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))


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
class Taker:
    index: int
    person_id: int
    token: str
    attempt: str = ""
    paper: list[dict[str, Any]] = field(default_factory=list)
    # position -> the last value the server acknowledged with a 200
    acked: dict[int, Any] = field(default_factory=dict)
    # position -> values sent after that acknowledgement without getting a 200 (a timeout
    # may still have stored one of them)
    unacked: dict[int, list[Any]] = field(default_factory=dict)
    changes: int = 0
    submitted: bool = False


def takers_load(count: int) -> list[Taker]:
    """A 5-node org branch through org_unit_create, then logins, people and API tokens in
    bulk, as bench/heartbeats.py builds its learners (person_create hashes per row)."""
    from heartbeats import learners_load, org_build

    unit = org_build()
    return [
        Taker(index=learner.index, person_id=learner.person_id, token=learner.token)
        for learner in learners_load(unit, count)
    ]


ORIGINAL_BANKS = (
    "e-government-introduction",
    "government-website-publishing",
    "information-security-assurance",
    "collaborative-office",
    "data-sharing-interconnection",
    "computer-and-network-basics",
)


def exam_build() -> Exam:
    """Every demo question (138, all five kinds) in one bank through question_create, and a
    published exam without a course that draws 20 of them per attempt, shuffled."""
    from demo import loader
    from exams import services
    from exams.models import Exam, ExamDrawRule, QuestionCategory, ReviewPolicy

    category = QuestionCategory.add_root(name="综合题库")
    banks = loader.load().exams.banks
    # The six original demo courses only, so that the paper stays comparable with earlier runs.
    for slug in ORIGINAL_BANKS:
        for text in banks[slug]:
            services.question_create(category=category, text=text)
    exam = Exam.objects.create(
        title="2026 年度网络安全与数字政府知识测试",
        duration_minutes=EXAM_MINUTES,
        attempts_allowed=1,
        pass_percent=Decimal("60"),
        review_policy=ReviewPolicy.AFTER_SUBMIT,
        instructions="共 20 题，满分 100 分，60 分及格。",
        is_published=True,
    )
    for kind, count, points in DRAW:
        ExamDrawRule.objects.create(
            exam=exam, category=category, kind=kind, count=count, points=points
        )
    return exam


# --- server ----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    command: str


def server_start(args: argparse.Namespace, log_dir: Path) -> Server:
    port = free_port()
    log_path = log_dir / "gunicorn.log"
    options = ["--workers", str(args.workers)]
    if args.threads > 1:
        options = ["--worker-class", "gthread", *options, "--threads", str(args.threads)]
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "lms.wsgi",
        "--preload",
        "--bind",
        f"{HOST}:{port}",
        # The synchronized start puts every taker's connection in the listen queue at once.
        "--backlog",
        str(max(2048, 2 * args.takers)),
        *options,
    ]
    log(f"starting: {' '.join(command[1:])}")
    with log_path.open("wb") as server_log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=os.environ.copy(), stdout=server_log, stderr=subprocess.STDOUT
        )
    server = Server(process, port, log_path, "gunicorn " + " ".join(options))
    started = time.perf_counter()
    while time.perf_counter() - started < START_TIMEOUT:
        if process.poll() is not None:
            break
        if request(port, "GET", "/healthz/") == 200:
            log(f"/healthz/ answers 200 after {time.perf_counter() - started:.1f} s")
            return server
        time.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-3000:]
    server_stop(server)
    raise RuntimeError(f"gunicorn did not become healthy; its log ends:\n{tail}")


def server_stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()  # SIGTERM: gunicorn's graceful shutdown
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


# --- client ----------------------------------------------------------------------------


def request(port: int, method: str, path: str) -> int:
    """The status of one plain request (waiting for the server to come up); 0: no answer."""
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request(method, path, headers={"Connection": "close"})
            return connection.getresponse().status
        finally:
            connection.close()
    except (OSError, http.client.HTTPException):
        return 0


async def request_async(
    port: int, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Any, float, float]:
    """(status, JSON body or None, send time, latency ms); status 0: no HTTP answer.

    HTTP/1.1 by hand on a non-blocking socket, one connection per request (gunicorn's sync
    workers close every connection anyway, as they do behind the reverse proxy). The client
    shares the 2 cores with the server, so it must be cheap: about 0.4 ms of CPU a request
    on this machine, against 0.5 ms with asyncio streams, 0.4 ms for http.client and 1.8 ms
    for requests.Session with a thread each, and no switching between 1,000 threads."""
    payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: application/json\r\n"
        f"Connection: close\r\nContent-Length: {len(payload)}\r\n"
    )
    if token:
        head += f"Authorization: Token {token}\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
    message = (head + "\r\n").encode() + payload
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setblocking(False)
            async with asyncio.timeout(REQUEST_TIMEOUT):
                await loop.sock_connect(sock, (HOST, port))
                await loop.sock_sendall(sock, message)
                chunks = []
                while chunk := await loop.sock_recv(sock, 65536):  # until the server closes
                    chunks.append(chunk)
        status, parsed = parse_response(b"".join(chunks))
    except (OSError, TimeoutError, ValueError):
        status, parsed = 0, None
    return status, parsed, started, (time.perf_counter() - started) * 1000


def parse_response(data: bytes) -> tuple[int, Any]:
    """Status and JSON body of a whole HTTP/1.1 response; ValueError if it is not one."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator or not head.startswith(b"HTTP/1."):
        raise ValueError("not an HTTP response")
    status = int(head[9:12])
    headers = head.lower()
    if b"\r\ntransfer-encoding: chunked" in headers:
        chunks = []
        while True:
            size_line, _crlf, rest = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            body = rest[size + 2 :]
        body = b"".join(chunks)
    elif b"\r\ncontent-length: " in headers:
        length = int(headers.split(b"\r\ncontent-length: ")[1].split(b"\r\n")[0])
        if len(body) != length:
            raise ValueError("response cut short")
    try:
        return status, (json.loads(body) if body and status < 500 else None)
    except ValueError:  # an HTML error page: the status still counts
        return status, None


@dataclass(frozen=True)
class Sample:
    kind: str  # start, save, submit, healthz
    started: float  # perf_counter() at send
    latency_ms: float
    status: int

    @property
    def ended(self) -> float:
        return self.started + self.latency_ms / 1000


def answer_for(question: dict[str, Any], rng: random.Random, before: Any = None) -> Any:
    """A valid response in the canonical form the server stores (grading.check_response),
    different from ``before`` when one is given, so the database check can compare."""
    kind = question["kind"]
    ids = [option["id"] for option in question["options"]]
    for _ in range(20):
        value: Any
        if kind in ("single", "true_false"):
            value = rng.choice(ids)
        elif kind == "multiple":
            value = sorted(rng.sample(ids, rng.randint(1, len(ids))))
        elif kind == "fill":
            value = [rng.choice(FILL_WORDS) for _ in range(question["blanks"])]
        else:
            start = rng.randrange(len(SHORT_TEXT) - 40)
            value = SHORT_TEXT[start : start + rng.randint(40, len(SHORT_TEXT) - start)]
        if value != before:
            return value
    return value


class Sitting:
    """The takers (one coroutine each), their samples, and the moments that bound the phases."""

    def __init__(self, args: argparse.Namespace, port: int, takers: list[Taker], exam_id: int):
        self.args = args
        self.port = port
        self.takers = takers
        self.exam_id = exam_id
        self.samples: list[Sample] = []
        self.released = 0.0
        self.floor_released = 0.0
        self.loop_lag_ms: list[float] = []  # how late the event loop wakes: the client's own delay

    async def call(
        self, kind: str, method: str, path: str, token: str, body: Any = None
    ) -> tuple[int, Any]:
        status, payload, started, latency = await request_async(
            self.port, method, path, token, body
        )
        self.samples.append(Sample(kind, started, latency, status))
        return status, payload

    async def take(self, taker: Taker, go: asyncio.Event) -> None:
        rng = random.Random(f"{self.args.seed}-{taker.index}")
        think = self.args.think
        await go.wait()
        if self.args.start_spread:
            await asyncio.sleep(rng.uniform(0, self.args.start_spread))
        status, payload = await self.call(
            "start", "POST", f"/api/v1/exams/{self.exam_id}/attempts/", taker.token
        )
        if status != 201:
            return  # counted as an error; this taker sits no exam
        taker.attempt = payload["id"]
        taker.paper = payload["questions"]
        by_position = {q["position"]: q for q in taker.paper}
        answered: list[int] = []

        async def save(position: int) -> None:
            value = answer_for(by_position[position], rng, taker.acked.get(position))
            status, _payload = await self.call(
                "save",
                "PUT",
                f"/api/v1/attempts/{taker.attempt}/answers/{position}/",
                taker.token,
                {"response": value},
            )
            if status == 200:
                taker.acked[position] = value
                taker.unacked.pop(position, None)
            else:
                taker.unacked.setdefault(position, []).append(value)

        for position in sorted(by_position):
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            await save(position)
            answered.append(position)
            if len(answered) > 1 and rng.random() < self.args.change:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
                await save(rng.choice(answered[:-1]))
                taker.changes += 1
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think)  # checks the paper, then submits
        status, _payload = await self.call(
            "submit", "POST", f"/api/v1/attempts/{taker.attempt}/submit/", taker.token
        )
        taker.submitted = status == 200

    async def probe(self, go: asyncio.Event, done: asyncio.Event) -> None:
        """/healthz/ at a fixed rate while the takers sit: the server's queueing without exam
        logic, the baseline. Open loop (a probe never waits for the previous one), so a slow
        moment is sampled as often as a quiet one. Also records the event loop's lag (how
        late a timer fires): if the client were the bottleneck, this would grow."""

        async def one() -> None:
            status, _payload, started, latency = await request_async(self.port, "GET", "/healthz/")
            self.samples.append(Sample("healthz", started, latency, status))

        await go.wait()
        probes: list[asyncio.Task[None]] = []
        next_at = time.perf_counter()
        while not done.is_set():
            probes.append(asyncio.create_task(one()))
            next_at += 1 / PROBE_PER_S
            pause = max(0.0, next_at - time.perf_counter())
            asleep = time.perf_counter()
            await asyncio.sleep(pause)
            self.loop_lag_ms.append((time.perf_counter() - asleep - pause) * 1000)
        await asyncio.gather(*probes)

    async def floor(self) -> None:
        """Before the exam: every taker sends the cheapest authenticated request there is
        (``GET /api/v1/attempts/``: the token check and one indexed read of an empty list)
        at the same moment. However cheap a start became, a synchronized start of this many
        takers cannot beat this burst's latency on the same server: the floor."""
        go = asyncio.Event()

        async def one(taker: Taker) -> None:
            await go.wait()
            status, _payload, started, latency = await request_async(
                self.port, "GET", "/api/v1/attempts/", taker.token
            )
            self.samples.append(Sample("floor", started, latency, status))

        tasks = [asyncio.create_task(one(taker)) for taker in self.takers]
        await asyncio.sleep(0.5)
        self.floor_released = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        await asyncio.sleep(FLOOR_SETTLE_SECONDS)  # the room sits down before 09:00

    async def run(self) -> None:
        if self.args.floor:
            await self.floor()
        go, done = asyncio.Event(), asyncio.Event()
        takers = [asyncio.create_task(self.take(taker, go)) for taker in self.takers]
        prober = asyncio.create_task(self.probe(go, done))
        await asyncio.sleep(0.5)  # every taker is seated, waiting for the go
        self.released = time.perf_counter()
        go.set()
        try:
            await asyncio.gather(*takers)  # a client bug raises here: no quiet run
        finally:
            done.set()
            await prober


# --- figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    count: int
    p50: float
    p95: float
    p99: float
    max: float
    errors: dict[int, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.count,
            "p50_ms": round(self.p50, 1),
            "p95_ms": round(self.p95, 1),
            "p99_ms": round(self.p99, 1),
            "max_ms": round(self.max, 1),
            "errors": {str(code): n for code, n in sorted(self.errors.items())},
        }


OK_STATUS = {"start": 201, "save": 200, "submit": 200, "healthz": 200, "floor": 200}


def stats_of(samples: list[Sample]) -> Stats:
    latencies = [s.latency_ms for s in samples]
    return Stats(
        count=len(samples),
        p50=percentile(latencies, 0.5),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
        max=max(latencies, default=math.nan),
        errors=dict(Counter(s.status for s in samples if s.status != OK_STATUS[s.kind])),
    )


@contextmanager
def measured(sampler: CpuSampler, into: dict[str, dict[str, float]], key: str) -> Iterator[None]:
    before = sampler.reading()
    yield
    into[key] = cpu_usage(before, sampler.reading())


def cpu_window(
    readings: list[tuple[float, Counter[str]]], start: float, end: float
) -> dict[str, float]:
    """Cores used per group between the readings closest inside [start, end]."""
    inside = [r for r in readings if start <= r[0] <= end]
    if len(inside) < 2:
        return {}
    return cpu_usage(inside[0], inside[-1])


# --- verification ----------------------------------------------------------------------


MISSING = object()  # no answer stored at all


@dataclass(frozen=True)
class Verdict:
    lost: int  # acknowledged answers the database does not hold as last acknowledged
    checked: int  # acknowledged answers compared
    open_attempts: int  # attempts still in progress after every taker submitted
    states: dict[str, int]


def verify(takers: list[Taker]) -> Verdict:
    """Compare every acknowledged answer with the database, question by question."""
    from exams.models import Answer, Attempt

    stored: dict[tuple[str, int], Any] = {
        (str(public_id), position): response
        for public_id, position, response in Answer.objects.values_list(
            "attempt_question__attempt__public_id", "attempt_question__position", "response"
        )
    }
    lost = checked = 0
    for taker in takers:
        for position, value in taker.acked.items():
            checked += 1
            # A save that got no answer may still have committed after the last 200.
            allowed = [value, *taker.unacked.get(position, [])]
            if stored.get((taker.attempt, position), MISSING) not in allowed:
                lost += 1
    states = Counter(Attempt.objects.values_list("state", flat=True))
    return Verdict(lost, checked, states.get("in_progress", 0), dict(states))


# --- in-process profile and query counts -----------------------------------------------


def queries_and_profile(
    exam_id: int, person_token: str, warm_token: str, profile: bool
) -> dict[str, int]:
    """One start and one save of a spare person through Django in this process: their SQL
    statements (BEGIN and COMMIT included), and with ``profile`` cProfile over many saves.

    Another spare starts first, so that the counted start finds the exam's draw plan in the
    process, as every start but a web process's first one at that exam does."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    warm = DjangoClient(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Token {warm_token}")
    assert warm.post(f"/api/v1/exams/{exam_id}/attempts/").status_code == 201
    client = DjangoClient(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Token {person_token}")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/api/v1/exams/{exam_id}/attempts/")
    # Copied now: the log is cleared when the next request starts.
    start_queries = list(captured.captured_queries)
    assert response.status_code == 201, response.content
    attempt = response.json()
    single = next(q for q in attempt["questions"] if q["kind"] == "single")
    url = f"/api/v1/attempts/{attempt['id']}/answers/{single['position']}/"
    ids = [option["id"] for option in single["options"]]

    def save(n: int) -> None:
        reply = client.put(url, {"response": ids[n % len(ids)]}, content_type="application/json")
        assert reply.status_code == 200, reply.content

    save(0)
    with CaptureQueriesContext(connection) as captured:
        save(1)
    save_queries = list(captured.captured_queries)
    counts = {"start_queries": len(start_queries), "save_queries": len(save_queries)}
    if profile:
        for label, queries in (("start", start_queries), ("save", save_queries)):
            log(f"one {label}: {len(queries)} statements")
            for query in queries:
                log(f"  [{query['time']} s] {query['sql'][:300]}")
        for n in range(20):  # warm-up
            save(n)
        rounds = 300
        began = time.perf_counter()
        for n in range(rounds):
            save(n)
        plain = (time.perf_counter() - began) * 1000 / rounds
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(rounds):
            save(n)
        profiler.disable()
        by_total, by_own = io.StringIO(), io.StringIO()
        pstats.Stats(profiler, stream=by_total).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler, stream=by_own).sort_stats("tottime").print_stats(25)
        log(
            f"profile: {plain:.2f} ms per save in-process, sequential, {rounds} saves\n"
            f"{by_total.getvalue()}{by_own.getvalue()}"
        )
    return counts


# --- main ------------------------------------------------------------------------------


def run(args: argparse.Namespace, log_dir: Path) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, connections

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")
    step = time.perf_counter()
    people = takers_load(args.takers + 2)  # the last two are for the in-process query count
    takers, warm, spare = people[:-2], people[-2], people[-1]
    exam = exam_build()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(
        f"data: {len(takers)} takers with tokens, exam {exam.pk} drawing 20 of 138 questions, "
        f"in {time.perf_counter() - step:.1f} s"
    )
    # gunicorn's workers open their own connections; ours must not be held across the run.
    connections.close_all()
    saves_each = 20 * (1 + args.change)
    offered = args.takers / args.think
    log(
        f"load: {args.takers} takers start at once, then about {saves_each:.0f} saves each "
        f"with {args.think:g} s mean think time: about {offered:.0f} saves/s offered "
        f"while all sit; /healthz/ probed {PROBE_PER_S:g}/s"
    )

    redis_flush()
    load_before = round(os.getloadavg()[0], 2)
    log(f"load average before the load: {load_before}")
    server = server_start(args, log_dir)
    # Every process measured here lives through the whole load (gunicorn workers, PostgreSQL
    # backends kept by CONN_MAX_AGE), so one /proc scan a second loses nothing, and each
    # scan (about 5 ms) is CPU taken from the 2 cores the server needs.
    heartbeats.CPU_SAMPLE_SECONDS = READING_SECONDS
    sampler = CpuSampler(server.process.pid)
    readings: list[tuple[float, Counter[str]]] = []
    stop_readings = threading.Event()

    def keep_readings() -> None:
        while not stop_readings.wait(READING_SECONDS):
            readings.append(sampler.reading())

    sitting = Sitting(args, server.port, takers, exam.pk)
    cpu: dict[str, dict[str, float]] = {}
    reader = threading.Thread(target=keep_readings, daemon=True)
    try:
        reader.start()
        # Django and the data are loaded for good: keep the collector from walking them
        # again and again while the samples pile up.
        gc.freeze()
        with measured(sampler, cpu, "whole"):
            asyncio.run(sitting.run())
        stop_readings.set()
        reader.join()
    finally:
        sampler.close()
        server_stop(server)
    warnings = [
        line
        for line in server.log_path.read_text(errors="replace").splitlines()
        if " WARNING " in line or " ERROR " in line or "Traceback" in line
    ]
    if warnings:
        log(f"server log: {len(warnings)} warning/error lines, e.g. {warnings[:3]}")

    samples = sitting.samples
    by_kind: dict[str, list[Sample]] = {kind: [] for kind in OK_STATUS}
    for sample in samples:
        by_kind[sample.kind].append(sample)
    starts, saves, submits = by_kind["start"], by_kind["save"], by_kind["submit"]
    load_end = max(s.ended for s in samples if s.kind != "healthz")
    # The sitting: everyone has their paper and nobody has handed it in yet, from the last
    # start answered to the first submit sent. The goal's save rate and save p95 are taken
    # here; saves sent while starts were still queued are reported apart (save_p95_ms_all).
    all_started = max(s.ended for s in starts)
    sitting_from = all_started
    sitting_to = min((s.started for s in submits), default=load_end)
    if sitting_to - sitting_from < MIN_SITTING_SECONDS:  # the start took (nearly) the whole run
        log(f"no sitting of {MIN_SITTING_SECONDS:g} s: the whole load counts as the sitting")
        sitting_from, sitting_to = sitting.released, load_end
    window = sitting_to - sitting_from
    # Sent in the sitting: a request sent while starts were still queued is not.
    sat = [s for s in saves if sitting_from <= s.started <= sitting_to]
    probes_sat = [s for s in by_kind["healthz"] if sitting_from <= s.started <= sitting_to]
    saves_per_s = len(sat) / window
    overall_saves_per_s = (
        len(saves) / (max(s.ended for s in saves) - min(s.started for s in saves)) if saves else 0.0
    )
    requests_total = len(starts) + len(saves) + len(submits)
    requests_per_s = requests_total / (load_end - sitting.released)
    cpu["start"] = cpu_window(readings, sitting.released - 0.6, all_started + 0.6)
    cpu["sitting"] = cpu_window(readings, sitting_from, sitting_to)
    start_stats, save_stats, all_save_stats = stats_of(starts), stats_of(sat), stats_of(saves)
    floor_stats = stats_of(by_kind["floor"])
    floor_done = max((s.ended for s in by_kind["floor"]), default=sitting.floor_released)
    submit_stats, probe_stats = stats_of(submits), stats_of(probes_sat)
    errors = sum(
        sum(stats.errors.values())
        for stats in (start_stats, all_save_stats, submit_stats, floor_stats)
    )
    lag_p99 = percentile(sitting.loop_lag_ms, 0.99)
    log(f"client event loop: timers fire {lag_p99:.1f} ms late at p99")
    log(f"all {len(starts)} starts answered {all_started - sitting.released:.1f} s after the go")
    if by_kind["floor"]:
        log(
            f"floor: all {len(by_kind['floor'])} cheapest requests answered "
            f"{floor_done - sitting.floor_released:.1f} s after their go"
        )
    for label, stats in (
        ("floor (GET attempts)", floor_stats),
        ("start", start_stats),
        ("save, sitting", save_stats),
        ("save, all", all_save_stats),
        ("submit", submit_stats),
        ("/healthz/, sitting", probe_stats),
    ):
        log(f"  {label:<20} {json.dumps(stats.as_dict())}")
    log(
        f"  saves/s in the sitting ({window:.0f} s): "
        f"{saves_per_s:.1f} ({offered:.0f} offered); over all saves {overall_saves_per_s:.1f}; "
        f"requests/s over the whole load {requests_per_s:.1f}"
    )
    for phase, usage in cpu.items():
        if usage:
            log(
                f"  cores ({phase}): "
                + ", ".join(f"{group} {usage[group]:.2f}" for group in CPU_GROUPS)
                + f"; machine busy {usage['machine_busy']:.0%}"
            )
    sitting_cpu = cpu.get("sitting") or cpu["whole"]
    per_save = {
        group: round(sitting_cpu[group] * 1000 / saves_per_s, 2) if saves_per_s else None
        for group in ("gunicorn", "postgres", "client")
    }
    log(f"  CPU ms per save in the sitting (/healthz/ probes included): {per_save}")

    verdict = verify(takers)
    changes = sum(taker.changes for taker in takers)
    submitted = sum(taker.submitted for taker in takers)
    log(
        f"database check: {verdict.checked} acknowledged answers compared, lost {verdict.lost}; "
        f"{submitted} submits acknowledged, attempts by state {verdict.states}; "
        f"{changes} changed answers"
    )
    counts = queries_and_profile(exam.pk, spare.token, warm.token, args.profile)
    log(f"statements in-process: {counts}")

    ok = (
        saves_per_s >= GOAL_SAVES_PER_S
        and save_stats.p95 < GOAL_SAVE_P95_MS
        and start_stats.p95 < GOAL_START_P95_MS
        and errors == 0
        and verdict.lost == 0
        and verdict.open_attempts == 0
    )
    return {
        "bench": "exam_load",
        "metric": "save_p95_ms",
        "value": rounded(save_stats.p95),
        "baseline": rounded(probe_stats.p95),
        "ratio": rounded(save_stats.p95 / probe_stats.p95, 2),
        "goal": GOAL,
        "ok": ok,
        "lost": verdict.lost,
        "errors": errors,
        "takers": args.takers,
        "saves_per_s": rounded(saves_per_s),
        "save_p95_ms": rounded(save_stats.p95),
        "start_p95_ms": rounded(start_stats.p95),
        "requests_per_s": rounded(requests_per_s),
        "offered_saves_per_s": rounded(offered),
        "save_p50_ms": rounded(save_stats.p50),
        "save_p95_ms_all": rounded(all_save_stats.p95),
        "start_p50_ms": rounded(start_stats.p50),
        "floor_p95_ms": rounded(floor_stats.p95),
        "floor_all_answered_s": rounded(floor_done - sitting.floor_released)
        if by_kind["floor"]
        else None,
        "all_started_s": rounded(all_started - sitting.released),
        "sitting_s": rounded(window),
        "submit_p95_ms": rounded(submit_stats.p95),
        "healthz_p95_ms": rounded(probe_stats.p95),
        "saves": len(saves),
        "saves_per_s_overall": rounded(overall_saves_per_s),
        "checked_answers": verdict.checked,
        "open_attempts": verdict.open_attempts,
        "errors_by_status": {
            kind: stats.errors
            for kind, stats in (
                ("start", start_stats),
                ("save", all_save_stats),
                ("submit", submit_stats),
                ("floor", floor_stats),
            )
            if stats.errors
        },
        "server": server.command,
        "other_cores": sitting_cpu.get("other"),
        "load_before": load_before,
        "cpu_sitting": sitting_cpu,
        "cpu_start": cpu.get("start", {}),
        "cpu_ms_per_save": per_save,
        "client_loop_lag_p99_ms": rounded(lag_p99),
        **counts,
    }


def rounded(value: float, digits: int = 1) -> float | None:
    """JSON has no NaN: a figure with no samples behind it is null."""
    return None if math.isnan(value) else round(value, digits)


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lms-bench-exam-") as temp:
        temp_dir = Path(temp)
        (temp_dir / "static").mkdir()
        configure_environment(temp_dir / "static")
        pgdb.database_create(DATABASE)
        redis_flush()
        try:
            import django

            django.setup()
            result = run(args, temp_dir)
        finally:
            pgdb.database_drop(DATABASE)
            redis_flush()
    log(f"total {time.perf_counter() - started:.1f} s")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
