"""Benchmark: certificate PDFs, rendered in one warm process (issue 5).

``--count`` certificates (default 200) for varied Chinese names, a few with rare characters
that only the full system fonts have (堃 喆 䶮 and CJK Extension B), each through
``certificates.rendering.render_pdf``, exactly as issuance calls it. Between two
certificates the same renderer prints the baseline: a one-line Latin page with the same
stylesheet, fonts, A4 page, PDF/A-3b and URL fetcher. Interleaving keeps the ratio honest
on a machine whose load changes during the run. For comparison, every fourth round also
prints that page through WeasyPrint's plain API (``default_api_baseline_ms``).

``--bulk N`` runs the other mode instead: ``run_bulk(N)`` from bench/certificates_bulk.py
(issuing N certificates through the service and its task), whose result is printed as is.

    cd /work/main && .venv/bin/python bench/certificates.py [--count 200]
    .venv/bin/python bench/certificates.py --bulk 500

Needs no database or service: rendering is a pure function. Prints progress on stderr and
one JSON object as its last stdout line (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import string
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

GOAL_RATIO = 2.0
GOAL_BYTES = 150_000
GOAL = "p50 per certificate <= 2.0 x a one-line Latin page, <= 150 KB per certificate"
WARM_UP_RUNS = 5

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
SURNAMES += ["欧阳", "司马", "诸葛", "上官", "皇甫"]
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文博宇浩然子涵欣怡梓轩雨泽"
# Characters names really use that GB 2312 lacks: they come from the full system faces.
RARE = ["堃", "喆", "䶮", "𠮷", "玥", "珺", "昇", "淏", "祎"]
COURSES = [
    "电子政务与数字化转型基础",
    "政务数据安全与个人信息保护",
    "“浙里办”平台业务协同实务",
    "公文写作与信息化办公",
    "网络安全法律法规解读",
    "云计算与政务云应用",
    "人工智能在公共服务中的应用",
    "基层治理数字化案例研究（2026年版）",
]
ISSUERS = ["浙江省公务员网络学院", "杭州市委党校", "宁波市人力资源和社会保障局"]
HOURS = [Decimal("4"), Decimal("6"), Decimal("8"), Decimal("12.5"), Decimal("16"), Decimal("24")]
CODE_ALPHABET = "".join(sorted(set(string.ascii_uppercase + string.digits) - set("01IO")))


def log(message: str) -> None:
    # stdout is kept for the JSON line alone, so a caller can take the last line as is.
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="certificates to render")
    parser.add_argument("--seed", type=int, default=5, help="seed of the generated names")
    parser.add_argument(
        "--bulk",
        type=int,
        metavar="N",
        help="issue N certificates with bench/certificates_bulk.py instead of rendering",
    )
    args = parser.parse_args()
    if args.count < 10:
        parser.error("--count must be at least 10")
    return args


def configure_environment() -> None:
    """Settings without a .env or a database; must run before Django loads."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    # DEBUG only lets settings start without a SECRET_KEY; rendering does not read it.
    os.environ["DEBUG"] = "true"
    os.environ["DOTENV_FILE"] = ""
    sys.path.insert(0, str(ROOT))


def holder_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    if rng.random() < 0.08:
        given = given[:-1] + rng.choice(RARE)
    return rng.choice(SURNAMES) + given


def contents(count: int, seed: int) -> list[Any]:
    from certificates.rendering import CertificateContent

    rng = random.Random(seed)
    first = date(2026, 1, 5)
    result = []
    for number in range(1, count + 1):
        issued_on = first + timedelta(days=rng.randrange(330))
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(16))
        result.append(
            CertificateContent(
                holder_name=holder_name(rng),
                course_title=rng.choice(COURSES),
                credit_hours=rng.choice(HOURS),
                issued_on=issued_on,
                serial=f"ZJ-2026-{number:06d}",
                issuer=rng.choice(ISSUERS),
                verify_url=f"https://academy.zj.gov.cn/verify/{code}/",
                expires_on=issued_on.replace(year=issued_on.year + 3) if number % 4 else None,
            )
        )
    return result


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat), to see who else ran."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_render(args: argparse.Namespace) -> dict[str, Any]:
    """Render ``--count`` certificates and as many baseline pages, interleaved."""
    from django.conf import settings

    from certificates import fonts, rendering

    items = contents(args.count, args.seed)
    faces = fonts.available_subsets(Path(settings.CERTIFICATE_FONT_DIR))
    log(f"pre-subset faces: {', '.join(face.filename for face in faces) or 'none'}")
    renderer = rendering.renderer()
    base_url = Path(settings.MEDIA_ROOT).resolve().as_uri() + "/"
    baseline_html = '<main class="sheet"><p>Certificate of completion</p></main>'

    def baseline() -> bytes:
        return renderer.write_pdf(baseline_html, base_url)

    def default_api() -> bytes:
        # For comparison only: the same page through WeasyPrint's plain API, which builds
        # a new fontconfig configuration and parses no shared stylesheet on every call.
        from weasyprint import HTML

        pdf: bytes = HTML(string="<p>Certificate of completion</p>").write_pdf(
            pdf_variant=rendering.PDF_VARIANT
        )
        return pdf

    started = time.perf_counter()
    for content in items[:WARM_UP_RUNS]:
        rendering.render_pdf(content)
        baseline()
        default_api()
    log(f"warm-up {time.perf_counter() - started:.1f} s (fonts, stylesheet, coverage)")

    wall_started, busy_started, own_started = (
        time.perf_counter(),
        machine_busy_seconds(),
        own_cpu_seconds(),
    )
    certificate_s: list[float] = []
    baseline_s: list[float] = []
    default_api_s: list[float] = []
    rare_s: list[float] = []
    sizes: list[int] = []
    rare_sizes: list[int] = []
    for number, content in enumerate(items, start=1):
        begun = time.perf_counter()
        pdf = rendering.render_pdf(content)
        certificate_s.append(time.perf_counter() - begun)
        sizes.append(len(pdf))
        if any(character in content.holder_name for character in RARE):
            rare_sizes.append(len(pdf))
            rare_s.append(certificate_s[-1])
        begun = time.perf_counter()
        baseline()
        baseline_s.append(time.perf_counter() - begun)
        if number % 4 == 0:
            begun = time.perf_counter()
            default_api()
            default_api_s.append(time.perf_counter() - begun)
        if number % 50 == 0:
            so_far = statistics.median(certificate_s) * 1000
            log(f"{number} certificates, p50 so far {so_far:.1f} ms")

    wall = time.perf_counter() - wall_started
    others = (machine_busy_seconds() - busy_started) - (own_cpu_seconds() - own_started)
    value = statistics.median(certificate_s) * 1000
    base = statistics.median(baseline_s) * 1000
    ratio = value / base
    size_max = max(sizes)
    return {
        "bench": "certificates",
        "metric": "render_p50_ms",
        "value": round(value, 1),
        "baseline": round(base, 1),
        "ratio": round(ratio, 2),
        "goal": GOAL,
        "ok": ratio <= GOAL_RATIO and size_max <= GOAL_BYTES,
        "size_bytes": size_max,
        "size_p50_bytes": int(statistics.median(sizes)),
        "size_rare_p50_bytes": int(statistics.median(rare_sizes)) if rare_sizes else None,
        "count": len(items),
        "rare_names": len(rare_sizes),
        "render_p95_ms": round(percentile(certificate_s, 0.95) * 1000, 1),
        "render_rare_p50_ms": round(statistics.median(rare_s) * 1000, 1) if rare_s else None,
        "baseline_p95_ms": round(percentile(baseline_s, 0.95) * 1000, 1),
        "default_api_baseline_ms": round(statistics.median(default_api_s) * 1000, 1),
        "ratio_to_default_api": round(value / (statistics.median(default_api_s) * 1000), 2),
        "subset_faces": len(faces),
        # Cores other processes kept busy during the timed part: compare runs only when low.
        "other_cores": round(max(others, 0.0) / wall, 2),
    }


def run_bulk(count: int) -> Any:
    """The bulk issuance benchmark, which lives in its own module next to this one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from certificates_bulk import run_bulk as bulk  # type: ignore[import-not-found]
    except ModuleNotFoundError as error:
        if error.name != "certificates_bulk":
            raise
        sys.exit("--bulk needs bench/certificates_bulk.py (run_bulk), which is not there yet")
    return bulk(count)


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    if args.bulk is not None:
        # The bulk mode sets up its own database and services before Django loads.
        result = run_bulk(args.bulk)
    else:
        configure_environment()
        import django

        django.setup()
        result = run_render(args)
    log(f"total {time.perf_counter() - started:.1f} s")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
