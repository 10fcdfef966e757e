"""How the lesson search behaves at 10,000 lessons: builds a throwaway SQLite database and times queries.

Run: .venv/bin/python bench/search_scale.py [--lessons 10000] [--database-url postgresql+psycopg://...]
Prints the build time, the index size and per-query latency (median and worst of repeated runs).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli import upgrade_connection  # noqa: E402
from app.core.db import make_engine, make_sessionmaker  # noqa: E402
from app.courses.models import Course, Lesson, LessonText, Programme, SearchTerm, Section  # noqa: E402
from app.courses.search import terms  # noqa: E402
from app.courses.service import search_lessons  # noqa: E402

VOCABULARY = (
    "savivaldybė bendruomenė klasteris partnerystė biblioteka mokykla sveikata socialinė paslauga tinklas "
    "projektas vertinimas rodiklis skaidrumas korupcija interesų konfliktas savanoriai nevyriausybinė "
    "organizacija lyderystė fasilitavimas komunikacija inovacija plėtra regionas gyventojas municipality "
    "community cluster partnership library school health social service network project evaluation "
    "indicator transparency corruption interest conflict volunteers organisation leadership facilitation"
).split()
QUERIES = ["klasteris", "bibliot", "partnerystė", "savivaldybe biblioteka", "transparency", "zzzz-nothing"]


def fresh_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade_connection(connection)


def build(url: str, lessons: int, words_per_lesson: int) -> float:
    engine = make_engine(url)
    fresh_schema(engine)
    started = time.perf_counter()
    rng = random.Random(7)
    with engine.begin() as connection:
        programme_id = connection.execute(
            insert(Programme).values(
                code="BX", slug="bench", position=0, title={"en": "Bench"}, description={"en": "-"}, content_hash="-"
            )
        ).inserted_primary_key[0]
        for course_number in range(lessons // 50):
            course_id = connection.execute(
                insert(Course).values(
                    code=f"BX{course_number}",
                    slug=f"bx-{course_number}",
                    programme_id=programme_id,
                    position=course_number,
                    title={"lt": f"Kursas {course_number}"},
                    summary={"lt": "-"},
                    outcomes={"lt": ["-"]},
                    estimated_hours=1,
                    competencies=[],
                    quiz_settings={},
                    content_hash="-",
                )
            ).inserted_primary_key[0]
            section_id = connection.execute(
                insert(Section).values(course_id=course_id, slug="s", position=0, title={"lt": "S"})
            ).inserted_primary_key[0]
            for lesson_number in range(50):
                lesson_id = connection.execute(
                    insert(Lesson).values(
                        course_id=course_id,
                        section_id=section_id,
                        slug=f"l{lesson_number}",
                        position=lesson_number,
                        content_hash="-",
                    )
                ).inserted_primary_key[0]
                body = " ".join(rng.choice(VOCABULARY) for _ in range(words_per_lesson))
                title = " ".join(rng.choice(VOCABULARY) for _ in range(4))
                connection.execute(
                    insert(LessonText).values(
                        lesson_id=lesson_id,
                        locale="lt",
                        title=title,
                        minutes=10,
                        word_count=words_per_lesson,
                        body_markdown=body,
                        body_html=f"<p>{body}</p>",
                    )
                )
                rows = [
                    {"term": term, "locale": "lt", "lesson_id": lesson_id, "in_title": False}
                    for term in terms(f"{title} {body}")
                ]
                connection.execute(insert(SearchTerm), rows)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=450)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'search-bench.db'}"
        build_seconds = build(url, args.lessons, args.words)
        engine = make_engine(url)
        session = make_sessionmaker(engine)()
        index_rows = session.scalar(select(func.count()).select_from(SearchTerm))
        print(f"database: {engine.dialect.name}; {args.lessons} lessons of {args.words} words; "
              f"{index_rows} index rows; built in {build_seconds:.1f} s")  # fmt: skip
        print(f"{'query':28} {'hits':>5} {'median ms':>10} {'worst ms':>9}")
        for query in QUERIES:
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                hits = search_lessons(session, query=query, locale="lt")
                timings.append((time.perf_counter() - started) * 1000)
            print(f"{query:28} {len(hits):>5} {statistics.median(timings):>10.1f} {max(timings):>9.1f}")
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main()
