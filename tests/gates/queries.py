"""Counting the SQL statements a request runs, to keep page query counts constant as data grows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

# Transaction bookkeeping of the test harness, not work the page asked for.
_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT", "ROLLBACK")


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counted_statements(session: Session) -> Iterator[StatementLog]:
    log = StatementLog()
    engine = session.get_bind().engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(client: TestClient, session: Session, url: str) -> StatementLog:
    with counted_statements(session) as log:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return log


def assert_constant_queries(
    client: TestClient, session: Session, url: str, grow: Callable[[int], None], *, budget: int
) -> None:
    """The page must run the same number of statements with 1 and with 50 listed things, within budget."""
    grow(1)
    client.get(url)  # warm-up: session refresh and first-request work are not the page's cost
    small = statements_for(client, session, url)
    grow(49)
    large = statements_for(client, session, url)
    assert small.count == large.count, (
        f"{url}: {small.count} statements with 1 item, {large.count} with 50 (N+1?)\n" + "\n".join(large.statements)
    )
    assert large.count <= budget, f"{url}: {large.count} statements, budget {budget}\n" + "\n".join(large.statements)
