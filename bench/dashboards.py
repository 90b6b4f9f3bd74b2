"""Benchmark: the HR dashboards (培训统计) at province scale, through the real stack.

A fresh PostgreSQL database filled by ``manage.py generate_province`` (300,000 people,
18,000 units, 1,500,000 enrolments, 3,000,000 ledger records over two years by default),
the figures pre-computed by ``manage.py dashboards_refresh``, then gunicorn on loopback as
in production (DEBUG off, collected static files, Redis cache). Three accounts sign in
through /accounts/login/ and the script measures, sequentially and then with a few
concurrent clients, p50/p95 of:

- the floor: the cheapest authenticated page (the lower p95 of /accounts/password/ and
  /accounts/password/done/, as the province officer);
- the province officer's home ``/hr/`` and drill-down ``/hr/?unit=<a city>``;
- the county officer's ``/hr/`` and ``/hr/people/``;
- the province officer's people list, first page, ``/hr/people/``;

each also as a ratio to the floor's p95 in the same run. Then the province-wide XLSX
export of the people list (POST /hr/export/people/, a Celery job run by a real worker):
wall time until its job page says done, and the worker processes' peak memory (VmHWM).
A page that answers 404 is reported as not available rather than failing the run.

    cd /work/main && .venv/bin/python bench/dashboards.py                 # full size
    .venv/bin/python bench/dashboards.py --people 20000 --units 2000 \\
        --enrolments 100000 --credits 200000 --repeat 10                  # quick check

Needs PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379,
databases 10 and 11, flushed at start and end). Creates the database
``lms_bench_dashboards`` and drops it at the end. Prints one JSON object as its last
stdout line (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pgdb  # bench/pgdb.py: the script's own folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DATABASE = "lms_bench_dashboards"
REDIS_CACHE_URL = "redis://127.0.0.1:6379/10"
REDIS_BROKER_URL = "redis://127.0.0.1:6379/11"
HOST = "127.0.0.1"
PASSWORD = "bench-password-123"

# The goals: p95 in ms per page, a ratio to the floor, the export's time and memory.
GOALS_MS = {
    "province_home": 200.0,
    "province_drill_down": 200.0,
    "county_home": 50.0,
    "county_people": 50.0,
    "province_people": 100.0,
}
GOAL_RATIO = 4.0
GOAL_EXPORT_SECONDS = 60.0
GOAL_EXPORT_MB = 300.0
GOAL = (
    "p95: province home and drill-down <= 200 ms, county home and people <= 50 ms, people "
    "list first page <= 100 ms, each <= 4x the cheapest authenticated page; province-wide "
    "XLSX people export <= 60 s with the worker's peak memory <= 300 MB"
)
# gunicorn as heartbeats.py found best on 2 cores: sync workers, one per core and one more.
SERVER_ARGS = ["--workers", "3", "--threads", "1", "--timeout", "120"]
WORKER_PROCESSES = 2  # one Celery process per core, as certificates_bulk.py runs them
WARM_UP = 3
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 120.0
POLL_SECONDS = 0.5


def log(message: str) -> None:
    # stdout is kept for the JSON line alone, so a caller can take the last line as is.
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--units", type=int, default=18_000)
    parser.add_argument("--enrolments", type=int, default=1_500_000)
    parser.add_argument("--credits", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page, in turn")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients, phase 2")
    parser.add_argument(
        "--rounds", type=int, default=10, help="requests per page per client, phase 2"
    )
    parser.add_argument(
        "--export-timeout", type=float, default=600.0, help="give the export up after (s)"
    )
    parser.add_argument("--no-export", action="store_true", help="skip the export leg")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (and its summary) at the end"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database a --keep run left (same sizes and seed) instead of generating",
    )
    args = parser.parse_args()
    if args.repeat < 2 or args.clients < 1 or args.rounds < 1:
        parser.error("--repeat must be at least 2, --clients and --rounds at least 1")
    return args


def configure_environment(temp: Path) -> None:
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
            "CELERY_RESULT_BACKEND": REDIS_CACHE_URL,
            "STATIC_ROOT": str(temp / "static"),
            "MEDIA_ROOT": str(temp / "media"),
            "PRIVATE_ROOT": str(temp / "private"),
            # The figures are computed once before the timings; a page must not ask for a
            # recomputation in the middle of them (the largest age allowed).
            "DASHBOARD_MAX_AGE_MINUTES": "120",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT))


def redis_flush(url: str) -> int:
    """Empty one Redis database; returns how many keys it held."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = int(client.dbsize())
        client.flushdb()
        return keys
    finally:
        client.close()


def manage(*arguments: str, eager: bool = False) -> tuple[float, str]:
    """Run a management command in its own process; (seconds, its stdout). ``eager`` runs
    Celery tasks in that process (no broker): what the command enqueues is done by it."""
    env = dict(os.environ)
    if eager:
        env["CELERY_BROKER_URL"] = ""
    started = time.perf_counter()
    completed = subprocess.run(
        [PYTHON, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=None,  # progress goes straight to ours
        check=True,
        text=True,
    )
    return time.perf_counter() - started, completed.stdout


# --- the server and its clients ------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def server_start(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    import requests

    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "lms.wsgi",
        "--preload",
        "--bind",
        f"{HOST}:{port}",
        *SERVER_ARGS,
    ]
    log(f"starting: {' '.join(command[1:])}")
    with log_path.open("wb") as server_log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=server_log, stderr=subprocess.STDOUT
        )
    base_url = f"http://{HOST}:{port}"
    started = time.perf_counter()
    while time.perf_counter() - started < START_TIMEOUT and process.poll() is None:
        try:
            if requests.get(f"{base_url}/healthz/", timeout=2).status_code == 200:
                return process, base_url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process_stop(process)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"gunicorn did not become healthy; its log ends:\n{tail}")


def process_stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One signed-in user. The session and CSRF cookies are sent by hand: with DEBUG off
    Django marks them Secure, and an HTTP client keeps Secure cookies off plain http."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.username = username
        self.cookies: dict[str, str] = {}
        self._local = threading.local()

    @property
    def http(self) -> Any:
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(
            method,
            self.base_url + path,
            headers=headers,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
            **kwargs,
        )
        self.http.cookies.clear()  # never sent by the library: see the class docstring
        return response

    def keep_cookies(self, response: Any) -> None:
        self.cookies.update({c.name: c.value for c in response.cookies if c.value})

    def sign_in(self, password: str) -> None:
        page = self.request("GET", "/accounts/login/")
        self.keep_cookies(page)
        token = CSRF_INPUT.search(page.text)
        if page.status_code != 200 or token is None:
            raise RuntimeError(f"{self.username}: no sign-in form ({page.status_code})")
        answer = self.request(
            "POST",
            "/accounts/login/",
            data={
                "username": self.username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": self.base_url + "/accounts/login/"},
        )
        self.keep_cookies(answer)  # a new session and, after sign-in, a new CSRF token
        if answer.status_code != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{self.username}: sign-in answered {answer.status_code}")

    def timed_get(self, path: str) -> tuple[int, float]:
        import requests

        started = time.perf_counter()
        try:
            response = self.request("GET", path)
            status = response.status_code
        except requests.RequestException:
            status = 0
        return status, (time.perf_counter() - started) * 1000


# --- timings -------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass
class Leg:
    name: str
    browser: Browser
    path: str
    goal_ms: float | None = None  # None: the floor's candidates
    status: int = 0  # of the probe
    samples: list[float] = field(default_factory=list)
    concurrent: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.status == 200

    def record(self, status: int, ms: float, into: list[float]) -> None:
        if status == 200:
            into.append(ms)
        else:
            self.errors[status] = self.errors.get(status, 0) + 1


def sequential(legs: list[Leg], repeat: int) -> None:
    """Every page in turn, ``repeat`` times, after a warm-up: drift hits them all alike."""
    for leg in legs:
        for _ in range(WARM_UP):
            leg.browser.timed_get(leg.path)
    for _ in range(repeat):
        for leg in legs:
            leg.record(*leg.browser.timed_get(leg.path), into=leg.samples)


def concurrent(legs: list[Leg], clients: int, rounds: int) -> float:
    """``clients`` threads, each asking every page ``rounds`` times in its own order;
    returns the phase's wall time."""
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client(number: int) -> None:
        order = [leg for leg in legs for _ in range(rounds)]
        random.Random(number).shuffle(order)
        try:
            for leg in order:
                status, ms = leg.browser.timed_get(leg.path)
                with lock:
                    leg.record(status, ms, into=leg.concurrent)
        except BaseException as error:  # a client bug must not pass for a quiet run
            failures.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - started


def summary(samples: list[float]) -> dict[str, float] | None:
    if not samples:
        return None
    return {
        "p50_ms": round(percentile(samples, 0.5), 1),
        "p95_ms": round(percentile(samples, 0.95), 1),
        "n": len(samples),
    }


# --- the export ----------------------------------------------------------------------


def worker_start(log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as worker_log:
        return subprocess.Popen(
            [
                PYTHON,
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


def worker_ready(worker: subprocess.Popen[bytes], log_path: Path) -> None:
    from lms.celery import app

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(log_path.read_text(errors="replace")[-3000:])
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("the Celery worker did not answer a ping within 60 s")


def peak_memory_mb(pid: int) -> dict[int, float]:
    """VmHWM (peak resident memory) of a process and its children, by pid, in MB."""
    peaks: dict[int, float] = {}
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for each in [pid, *map(int, children)]:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            peaks[each] = int(found.group(1)) / 1024
    return peaks


class FormFields(HTMLParser):
    """The hidden inputs of the form that posts to ``action`` (the CSRF token among them)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("action", "").endswith(self.action):
            self.inside = self.found = True
        elif tag == "input" and self.inside and attributes.get("type") == "hidden":
            self.fields[attributes.get("name", "")] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


JOB_PATH = re.compile(r"/hr/exports/([^/?#]+)/")


def export_people(officer: Browser, temp: Path, timeout: float) -> dict[str, Any]:
    """The province officer's XLSX export of the whole people list, through a worker."""
    page = officer.request("GET", "/hr/people/")
    officer.keep_cookies(page)
    form = FormFields("/hr/export/people/")
    form.feed(page.text if page.status_code == 200 else "")
    if not form.found:
        log(f"export: no export form on /hr/people/ ({page.status_code}): not available")
        return {"available": False, "reason": f"/hr/people/ {page.status_code}, no export form"}
    fields = {**form.fields, "format": "xlsx"}
    # Tasks a page enqueued while nobody worked (a figures refresh) would run first and
    # count against the export's time and memory: they go; the figures are fresh anyway.
    dropped = redis_flush(REDIS_BROKER_URL)
    worker_log = temp / "worker.log"
    worker = worker_start(worker_log)
    try:
        worker_ready(worker, worker_log)
        baseline = peak_memory_mb(worker.pid)
        log(
            f"export: worker up ({len(baseline)} processes, peak so far "
            f"{max(baseline.values(), default=0):.0f} MB); {dropped} broker keys dropped first"
        )
        started = time.perf_counter()
        answer = officer.request(
            "POST",
            "/hr/export/people/?format=xlsx",
            data=fields,
            headers={"Referer": officer.base_url + "/hr/people/"},
        )
        if answer.status_code == 404:
            return {"available": False, "reason": "POST /hr/export/people/ answered 404"}
        job = JOB_PATH.search(answer.headers.get("Location", ""))
        if answer.status_code not in (302, 303) or job is None:
            raise RuntimeError(f"export: POST answered {answer.status_code} {answer.text[:300]}")
        state: dict[str, Any] = {}
        peaks: dict[int, float] = {}
        last_percent = -1
        while time.perf_counter() - started < timeout:
            poll = officer.request("GET", f"/hr/exports/{job.group(1)}/?format=json")
            state = (
                poll.json() if poll.status_code == 200 else {"status": f"http {poll.status_code}"}
            )
            for pid, mb in peak_memory_mb(worker.pid).items():
                peaks[pid] = max(peaks.get(pid, 0.0), mb)
            if state.get("percent") != last_percent:
                last_percent = state.get("percent", last_percent)
                elapsed = time.perf_counter() - started
                log(f"  {elapsed:6.1f} s: {state.get('status')} {last_percent}%")
            if state.get("status") in ("done", "failed") or worker.poll() is not None:
                break
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started
        for pid, mb in peak_memory_mb(worker.pid).items():
            peaks[pid] = max(peaks.get(pid, 0.0), mb)
        size = 0
        if state.get("status") == "done" and state.get("download"):
            download = officer.request("GET", state["download"])
            size = len(download.content) if download.content[:2] == b"PK" else -1
        # The child that ran the export is the one whose peak grew; the parent only forks.
        children = {pid: mb for pid, mb in peaks.items() if pid != worker.pid}
        return {
            "available": True,
            "status": state.get("status"),
            "rows": state.get("done"),
            "seconds": round(seconds, 1),
            "worker_peak_mb": round(max(children.values(), default=0.0), 1),
            "worker_parent_peak_mb": round(peaks.get(worker.pid, 0.0), 1),
            "idle_child_peak_mb": round(
                max((mb for pid, mb in baseline.items() if pid != worker.pid), default=0.0), 1
            ),
            "xlsx_bytes": size,
            "timed_out": state.get("status") not in ("done", "failed"),
        }
    finally:
        process_stop(worker)


# --- the run -------------------------------------------------------------------------


KEPT_SUMMARY = Path(tempfile.gettempdir()) / f"{DATABASE}.json"


def sizes(args: argparse.Namespace) -> dict[str, int]:
    return {
        name: getattr(args, name) for name in ("people", "units", "enrolments", "credits", "seed")
    }


def kept_summary(args: argparse.Namespace) -> dict[str, Any] | None:
    """The generator's summary of the database a ``--keep`` run left, if it is of these
    sizes and still there (the database is checked to hold people)."""
    from org.models import Person

    if not KEPT_SUMMARY.exists() or not Person.objects.exists():
        return None
    kept = json.loads(KEPT_SUMMARY.read_text())
    if kept.get("args") != sizes(args):
        return None
    log(f"reusing the kept database {DATABASE} ({kept['args']})")
    return dict(kept["generated"], reused=True)


def generate(args: argparse.Namespace) -> dict[str, Any]:
    seconds, output = manage(
        "generate_province",
        f"--people={args.people}",
        f"--units={args.units}",
        f"--enrolments={args.enrolments}",
        f"--credits={args.credits}",
        f"--seed={args.seed}",
        f"--password={PASSWORD}",
        "--json",
        eager=True,
    )
    generated: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    generated["wall_seconds"] = round(seconds, 1)
    log(f"generate_province: {seconds:.1f} s wall")
    return generated


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, generate (or reuse), pre-compute, collect static files; the summary."""
    from django.core.management import call_command
    from django.db import connection, connections

    step = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - step:.1f} s")
    connections.close_all()
    generated = kept_summary(args) if args.reuse else None
    if generated is None:
        generated = generate(args)
    if args.keep:
        KEPT_SUMMARY.write_text(json.dumps({"args": sizes(args), "generated": generated}))
    generated = dict(generated)
    refresh_seconds, _output = manage("dashboards_refresh", eager=True)
    generated["refresh"] = {
        "via": "manage.py dashboards_refresh",
        "seconds": round(refresh_seconds, 1),
    }
    log(f"figures refreshed in {refresh_seconds:.1f} s")
    step = time.perf_counter()
    with connection.cursor() as cursor:
        # As autovacuum would leave loaded tables; it must not visit them mid-timing.
        cursor.execute("VACUUM ANALYZE")
    connections.close_all()
    log(f"VACUUM ANALYZE in {time.perf_counter() - step:.1f} s")
    static_seconds, _output = manage("collectstatic", "--noinput", "-v0")
    log(f"collectstatic in {static_seconds:.1f} s")
    return generated


def leg_report(leg: Leg, floor_p95: float | None) -> dict[str, Any]:
    if not leg.available:
        return {"available": False, "status": leg.status, "path": leg.path}
    sequential_figures = summary(leg.samples) or {}
    concurrent_figures = summary(leg.concurrent) or {}
    p95 = sequential_figures.get("p95_ms")
    ratio = round(p95 / floor_p95, 2) if p95 is not None and floor_p95 else None
    report: dict[str, Any] = {
        "available": True,
        "path": leg.path,
        **sequential_figures,
        "ratio": ratio,
        "concurrent": concurrent_figures,
        "concurrent_ratio": None,
        "errors": {str(code): n for code, n in leg.errors.items()},
    }
    if leg.goal_ms is not None:
        report["goal_ms"] = leg.goal_ms
        report["ok"] = (
            p95 is not None
            and p95 <= leg.goal_ms
            and ratio is not None
            and ratio <= GOAL_RATIO
            and not leg.errors
        )
    return report


def run(args: argparse.Namespace, temp: Path) -> dict[str, Any]:
    from org.models import OrgUnit

    generated = prepare(args)
    city = OrgUnit.objects.get(pk=generated["drill_down_city_id"])
    server, base_url = server_start(temp / "gunicorn.log")
    try:
        browsers = {
            name: Browser(base_url, name)
            for name in ("bench_province", "bench_county", "bench_learner")
        }
        for browser in browsers.values():
            browser.sign_in(PASSWORD)
        province, county = browsers["bench_province"], browsers["bench_county"]
        floors = [
            Leg("floor_password", province, "/accounts/password/"),
            Leg("floor_password_done", province, "/accounts/password/done/"),
        ]
        legs = [
            Leg("province_home", province, "/hr/", GOALS_MS["province_home"]),
            Leg(
                "province_drill_down",
                province,
                f"/hr/?unit={city.pk}",
                GOALS_MS["province_drill_down"],
            ),
            Leg("county_home", county, "/hr/", GOALS_MS["county_home"]),
            Leg("county_people", county, "/hr/people/", GOALS_MS["county_people"]),
            Leg("province_people", province, "/hr/people/", GOALS_MS["province_people"]),
        ]
        for leg in [*floors, *legs]:
            leg.status = leg.browser.timed_get(leg.path)[0]
            if not leg.available:
                log(f"{leg.name}: GET {leg.path} answered {leg.status}: not available")
        learner_hr = browsers["bench_learner"].timed_get("/hr/")[0]
        log(f"a learner asking for /hr/ gets {learner_hr} (expected 404)")
        measured = [leg for leg in [*floors, *legs] if leg.available]
        # Other work on the machine shows in every figure: the JSON line says how much.
        load_average = os.getloadavg()[0]
        log(f"sequential: {WARM_UP} warm-up + {args.repeat} requests per page, in turn")
        sequential(measured, args.repeat)
        log(f"concurrent: {args.clients} clients x {args.rounds} requests per page")
        concurrent_seconds = concurrent(measured, args.clients, args.rounds)
        for leg in measured:
            figures, together = summary(leg.samples), summary(leg.concurrent)
            log(f"  {leg.name:<22} {leg.path:<28} sequential {figures}  concurrent {together}")
        available_floors = [leg for leg in floors if leg.samples]
        floor = min(available_floors, key=lambda leg: percentile(leg.samples, 0.95), default=None)
        floor_p95 = percentile(floor.samples, 0.95) if floor else None
        floor_p95_concurrent = (
            percentile(floor.concurrent, 0.95) if floor and floor.concurrent else None
        )
        reports = {leg.name: leg_report(leg, floor_p95) for leg in legs}
        for leg in legs:
            report = reports[leg.name]
            if report["available"] and floor_p95_concurrent and report["concurrent"]:
                report["concurrent_ratio"] = round(
                    report["concurrent"]["p95_ms"] / floor_p95_concurrent, 2
                )
        export: dict[str, Any] = {"available": False, "reason": "--no-export"}
        if not args.no_export:
            export = export_people(province, temp, args.export_timeout)
        if export.get("available"):
            export["goal_seconds"] = GOAL_EXPORT_SECONDS
            export["goal_mb"] = GOAL_EXPORT_MB
            export["ok"] = (
                export["status"] == "done"
                and export["seconds"] <= GOAL_EXPORT_SECONDS
                and export["worker_peak_mb"] <= GOAL_EXPORT_MB
            )
    finally:
        process_stop(server)
    problems = [
        line
        for line in (temp / "gunicorn.log").read_text(errors="replace").splitlines()
        if " ERROR " in line or "Traceback" in line
    ]
    if problems:
        log(f"server log: {len(problems)} error lines, e.g. {problems[:3]}")
    home = reports["province_home"]
    complete = all(r["available"] for r in reports.values()) and bool(export.get("available"))
    ok = (
        complete
        and floor is not None
        and all(r.get("ok") for r in reports.values())
        and bool(export.get("ok"))
        and learner_hr == 404
    )
    return {
        "bench": "dashboards",
        "metric": "province_home_p95_ms",
        "value": home.get("p95_ms"),
        "baseline": None if floor_p95 is None else round(floor_p95, 1),
        "ratio": home.get("ratio"),
        "goal": GOAL,
        "ok": ok,
        "complete": complete,
        "people": generated["counts"]["people"],
        "units": generated["counts"]["org_units"],
        "enrolments": generated["counts"]["enrolments"],
        "credit_records": generated["counts"]["credit_records"],
        "floor": None
        if floor is None
        else {
            "path": floor.path,
            **(summary(floor.samples) or {}),
            "concurrent": summary(floor.concurrent),
        },
        "pages": reports,
        "export": export,
        "learner_hr_status": learner_hr,
        "load_average_1min": round(load_average, 2),
        "concurrent_clients": args.clients,
        "concurrent_seconds": round(concurrent_seconds, 1),
        "server": f"gunicorn {' '.join(SERVER_ARGS)}",
        "generate_seconds": generated["wall_seconds"],
        "refresh": generated["refresh"],
        "server_errors": len(problems),
    }


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lms-bench-dashboards-") as temp_name:
        temp = Path(temp_name)
        configure_environment(temp)
        if not args.reuse or not pgdb.database_exists(DATABASE):
            pgdb.database_create(DATABASE)
        for url in (REDIS_CACHE_URL, REDIS_BROKER_URL):
            redis_flush(url)
        try:
            import django

            django.setup()
            result = run(args, temp)
        finally:
            if args.keep:
                from django.db import connections

                connections.close_all()
                log(f"kept the database {DATABASE} for --reuse")
            else:
                pgdb.database_drop(DATABASE)
                KEPT_SUMMARY.unlink(missing_ok=True)
            for url in (REDIS_CACHE_URL, REDIS_BROKER_URL):
                redis_flush(url)
    log(f"total {time.perf_counter() - started:.1f} s")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
