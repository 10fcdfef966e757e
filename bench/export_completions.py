"""How the completion records export scales: time and peak memory of CSV and XLSX exports of 100,000 records.

Run: .venv/bin/python bench/export_completions.py [--records 100000] [--formats csv xlsx] [--no-tracemalloc]

Builds a throwaway SQLite database in a temporary folder (migrations, then bulk inserts: learners in 13
organisations, 20 courses, completions, quiz grades and certificates), then exports every record through
the same code as the download route (`exports.export_chunks` on a read-only session) into a file. Each
export runs in a fresh Python process, so its peak RSS (VmHWM; `ru_maxrss` where /proc is missing) is its own; a
second run under tracemalloc gives the peak of Python allocations. Pass several --records values to see
whether memory grows with the number of records (it should not).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# `python bench/export_completions.py` puts bench/ first on sys.path, where bench/app.py would shadow `app`.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != PROJECT_ROOT / "bench"]
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import Engine, insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import models  # noqa: E402, F401 - every mapper, as the app has them
from app.accounts.models import Organisation, User  # noqa: E402
from app.accounts.partners import PARTNER_INSTITUTIONS as PARTNERS  # noqa: E402
from app.cli import upgrade_connection  # noqa: E402
from app.core.db import READS_ONLY, make_engine  # noqa: E402
from app.courses.models import Course, CourseRole, Enrolment, Programme  # noqa: E402
from app.progress.models import Certificate, CompletionState, CourseCompletion  # noqa: E402
from app.quizzes.models import Quiz, QuizGrade  # noqa: E402
from app.reports.completions import CompletionFilters  # noqa: E402
from app.reports.exports import ExportRequest, export_chunks, labels_for  # noqa: E402
from app.reports.schemas import ExportFormat  # noqa: E402
from app.reports.scope import EVERYTHING  # noqa: E402

COURSES = 20
COURSES_PER_LEARNER = 4
INSERT_BATCH = 10_000
BASE_URL = "https://klasteris.example.lt"
FIRST_NAMES = ("Ona", "Jonas", "Rūta", "Žydrūnas", "Aušra", "Česlovas", "Ingrid", "Ola", "Kari", "Eglė")
LAST_NAMES = ("Žemaitė", "Kazlauskas", "Šimkutė", "Petrauskas", "Nordmann", "Hansen", "Ąžuolienė", "Vaitkus")


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[start : start + INSERT_BATCH] for start in range(0, len(rows), INSERT_BATCH)]


def _bulk(connection: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for batch in _batches(rows):
        connection.execute(insert(model), batch)  # executemany


def build(engine: Engine, records: int) -> float:
    """Migrate, then insert `records` learner places with their completions; returns the insert time."""
    with engine.begin() as connection:
        upgrade_connection(connection)
    started = time.perf_counter()
    rng = random.Random(7)
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    learners = -(-records // COURSES_PER_LEARNER)
    with engine.begin() as connection:
        _bulk(
            connection,
            Organisation,
            [
                {"id": number, "slug": partner.slug, "name_lt": partner.name_lt, "name_en": partner.name_en}
                for number, partner in enumerate(PARTNERS, start=1)
            ],
        )
        connection.execute(
            insert(Programme).values(
                id=1, code="SC", slug="sc", position=1, title={"lt": "Socialinė klasterystė", "en": "Social cluster"},
                description={"lt": "-"}, content_hash="-",
            )
        )  # fmt: skip
        _bulk(
            connection,
            Course,
            [
                {
                    "id": number, "code": f"SC{number}", "slug": f"sc{number}", "programme_id": 1, "position": number,
                    "title": {"lt": f"Kursas {number}", "en": f"Course {number}"}, "summary": {"lt": "-"},
                    "outcomes": {"lt": ["-"]}, "estimated_hours": 2 + number % 6, "content_hash": "-",
                }
                for number in range(1, COURSES + 1)
            ],
        )  # fmt: skip
        _bulk(connection, Quiz, [{"id": number, "course_id": number} for number in range(1, COURSES + 1)])
        _bulk(
            connection,
            User,
            [
                {
                    "id": number,
                    "email": f"learner{number}@bench.klasteris.lt",
                    "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "job_title": "Specialistė" if number % 3 else "",
                    "organisation_id": 1 + number % len(PARTNERS),
                    "created_at": now,
                }
                for number in range(1, learners + 1)
            ],
        )
        enrolments, completions, grades, certificates = [], [], [], []
        for place in range(records):
            user_id = 1 + place // COURSES_PER_LEARNER
            course_id = 1 + (user_id + (place % COURSES_PER_LEARNER) * 5) % COURSES
            enrolled = now - dt.timedelta(days=rng.randint(30, 700), minutes=rng.randint(0, 1440))
            enrolments.append(
                {"id": place + 1, "user_id": user_id, "course_id": course_id, "role": CourseRole.LEARNER,
                 "enrolled_at": enrolled}
            )  # fmt: skip
            roll = rng.random()
            if roll < 0.15:
                continue  # not started: no completion row
            if roll < 0.70:
                state, grade = CompletionState.COMPLETED, round(rng.uniform(70, 100), 2)
            elif roll < 0.80:
                state, grade = CompletionState.FAILED, round(rng.uniform(10, 69), 2)
            else:
                state, grade = CompletionState.IN_PROGRESS, None
            finished = enrolled + dt.timedelta(days=rng.randint(1, 29))
            done = state == CompletionState.COMPLETED
            completions.append(
                {"user_id": user_id, "course_id": course_id, "state": state, "percent": 100 if done else 40,
                 "completed_at": finished if done else None, "updated_at": finished}
            )  # fmt: skip
            if grade is not None:
                grades.append(
                    {"quiz_id": course_id, "user_id": user_id, "grade": grade, "finished_attempts": 1,
                     "passed": done, "passed_at": finished if done else None, "updated_at": finished}
                )  # fmt: skip
            if done:
                certificates.append(
                    {"code": f"B{place:07d}-{rng.randrange(16**8):08X}", "user_id": user_id, "course_id": course_id,
                     "locale": "lt", "holder_name": "-", "details": {}, "completed_at": finished, "issued_at": finished}
                )  # fmt: skip
        for model, rows in (
            (Enrolment, enrolments),
            (CourseCompletion, completions),
            (QuizGrade, grades),
            (Certificate, certificates),
        ):
            _bulk(connection, model, rows)
    return time.perf_counter() - started


def memory_kib() -> tuple[int, int]:
    """(current, peak) resident memory of this process in KiB.

    Linux's VmRSS and VmHWM from /proc: `ru_maxrss` would also count the parent's size at fork time, which
    Linux carries across exec into the child's figure. Elsewhere, ru_maxrss for both.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def measure(database: Path, export_format: ExportFormat, *, traced: bool) -> dict[str, Any]:
    """One export in this (fresh) process: seconds, peak RSS and, when traced, the peak of Python allocations."""
    engine = make_engine(f"sqlite:///{database}")
    baseline_kib = memory_kib()[0]
    request = ExportRequest(
        export_format=export_format,
        filters=CompletionFilters(),
        scope=EVERYTHING,
        locale="lt",
        base_url=BASE_URL,
        labels=labels_for(export_format),
    )
    rows = 0

    def count(batch: int) -> None:
        nonlocal rows
        rows += batch

    target = database.with_name(f"export-{export_format.value}")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    size = 0
    # The route's path: a read-only session, and the chunks as StreamingResponse would send them.
    with Session(bind=engine.execution_options(**{READS_ONLY: True})) as session, target.open("wb") as file:
        for chunk in export_chunks(session, request, advance=count):
            file.write(chunk)
            size += len(chunk)
    seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    engine.dispose()
    target.unlink()
    return {
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "baseline_kib": baseline_kib,
        "peak_kib": memory_kib()[1],
        "traced_peak": traced_peak,
    }


def _in_child(database: Path, export_format: ExportFormat, *, traced: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", export_format.value, "--database", str(database)]
    if traced:
        command.append("--traced")
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=PROJECT_ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"the {export_format.value} export failed:\n{completed.stdout}{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000], help="records to export (default 100000)")
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=[item.value for item in ExportFormat])
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the (slower) tracemalloc runs")
    parser.add_argument("--measure", choices=[item.value for item in ExportFormat], help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.database, ExportFormat(args.measure), traced=args.traced)))
        return
    print(f"{'records':>8} {'format':9} {'seconds':>8} {'rows/s':>8} {'MB out':>7} "
          f"{'peak RSS MiB':>13} {'at start MiB':>13} {'traced peak MiB':>16}")  # fmt: skip
    for records in args.records:
        with tempfile.TemporaryDirectory(prefix="klasteris-export-bench-") as folder:
            database = Path(folder) / "export-bench.db"
            engine = make_engine(f"sqlite:///{database}")
            build_seconds = build(engine, records)
            engine.dispose()
            print(
                f"# {records} records inserted in {build_seconds:.1f} s (SQLite, {database.stat().st_size >> 20} MiB)"
            )
            for name in args.formats:
                export_format = ExportFormat(name)
                result = _in_child(database, export_format, traced=False)
                traced = None if args.no_tracemalloc else _in_child(database, export_format, traced=True)
                traced_text = f"{traced['traced_peak'] / 2**20:.1f}" if traced else "-"
                print(
                    f"{result['rows']:>8} {name:9} {result['seconds']:>8.2f} "
                    f"{result['rows'] / result['seconds']:>8,.0f} {result['bytes'] / 1e6:>7.1f} "
                    f"{result['peak_kib'] / 1024:>13.1f} {result['baseline_kib'] / 1024:>13.1f} {traced_text:>16}"
                )


if __name__ == "__main__":
    main()
