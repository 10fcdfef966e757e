"""The `klasteris` command: database migrations, seeding and account administration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from alembic import command
from alembic.config import Config
from rich.console import Console
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import make_engine, make_sessionmaker, session_scope
from app.core.errors import DomainError
from app.courses.content import ContentBundle, ContentError

if TYPE_CHECKING:
    from app.toolkits.content_import import ToolkitSource

PROJECT_ROOT = Path(__file__).resolve().parent.parent

cli = typer.Typer(help="Klasteris virtual learning environment.", no_args_is_help=True, add_completion=False)
console = Console()


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Run the migrations on an open connection (tests and benchmarks bring their own)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["configure_logging"] = False
    command.upgrade(config, revision)


@contextmanager
def database_session(settings: Settings, *, hint: str | None = None) -> Iterator[Session]:
    """One transaction on the configured database; a domain error ends the command with its message."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]", highlight=False)
        if hint:
            console.print(hint)
        raise typer.Exit(code=1) from error
    finally:
        engine.dispose()


@cli.command()
def migrate(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Upgrade the database schema (default: to the newest revision)."""
    settings = Settings()
    command.upgrade(alembic_config(settings.database_url), revision)
    console.print(f"[green]Database is at revision {revision}.[/green]")


@cli.command("seed-organisations")
def seed_organisations() -> None:
    """Add the 13 NOR-LT10 partner institutions if they are missing (safe to run again)."""
    from app.accounts.service import seed_partner_organisations

    with database_session(Settings()) as session:
        added = seed_partner_organisations(session)
    console.print(f"Partner organisations: {added} added.")


@cli.command("create-admin")
def create_admin(
    email: str = typer.Option(..., help="The administrator's email address."),
    full_name: str = typer.Option("Administrator", help="Name shown in the site."),
) -> None:
    """Create an administrator and print a one-time generated password."""
    from app.accounts.service import create_admin as create_admin_account

    with database_session(Settings()) as session:
        user, password = create_admin_account(session, email=email, full_name=full_name)
    console.print(f"Administrator [bold]{user.email}[/bold] created.")
    console.print(f"One-time password: [bold]{password}[/bold]")
    console.print("Sign in and change it under Profile → Change password.")


content_cli = typer.Typer(help="Course content files: validate and import.", no_args_is_help=True)
courses_cli = typer.Typer(help="Course administration.", no_args_is_help=True)
quizzes_cli = typer.Typer(help="Quiz attempts.", no_args_is_help=True)
progress_cli = typer.Typer(help="Course completion and certificates.", no_args_is_help=True)
toolkits_cli = typer.Typer(help="Methodological toolkits and their files.", no_args_is_help=True)
questions_cli = typer.Typer(
    help="A course's question bank: import and export GIFT or Moodle XML.", no_args_is_help=True
)
cli.add_typer(content_cli, name="content")
cli.add_typer(courses_cli, name="courses")
cli.add_typer(questions_cli, name="questions")
cli.add_typer(quizzes_cli, name="quizzes")
cli.add_typer(progress_cli, name="progress")
cli.add_typer(toolkits_cli, name="toolkits")
export_cli = typer.Typer(
    help="Exports for other systems: completion records as CSV, XLSX or xAPI.", no_args_is_help=True
)
cli.add_typer(export_cli, name="export")


def _report_invalid(errors: list[ContentError]) -> NoReturn:
    for error in errors:
        console.print(f"[red]{error}[/red]", highlight=False)
    console.print(f"[red]{len(errors)} problem(s) found; nothing was imported.[/red]")
    raise typer.Exit(code=1)


def _load_content_or_exit(settings: Settings) -> ContentBundle:
    """The validated content folder, quiz files included (every question must parse)."""
    from app.courses.content import ContentInvalid, load_content
    from app.quizzes.content_sync import check_quiz_file, quiz_files

    try:
        bundle = load_content(settings.content_dir)
    except ContentInvalid as invalid:
        _report_invalid(invalid.errors)
    errors = [
        error
        for course in bundle.courses
        for path in quiz_files(course.folder).values()
        for error in check_quiz_file(path, str(path.relative_to(settings.content_dir)))[1]
    ]
    if errors:
        _report_invalid(errors)
    return bundle


def _load_toolkits_or_exit(settings: Settings, bundle: ContentBundle) -> list[ToolkitSource]:
    from app.toolkits.content_import import load_toolkit_sources

    errors: list[ContentError] = []
    sources = load_toolkit_sources(bundle, settings.content_dir, errors)
    if errors:
        _report_invalid(errors)
    return sources


@content_cli.command("check")
def content_check() -> None:
    """Validate every content file without writing anything."""
    settings = Settings()
    bundle = _load_content_or_exit(settings)
    toolkits = _load_toolkits_or_exit(settings, bundle)
    lessons = sum(len(course.lessons) for course in bundle.courses)
    console.print(
        f"[green]Content is valid:[/green] {len(bundle.programmes.programmes)} programmes, "
        f"{len(bundle.courses)} courses, {lessons} lessons, {len(toolkits)} toolkit files."
    )
    from app.quizzes.content_sync import check_quiz_file, quiz_files

    for course in bundle.courses:
        files = quiz_files(course.folder)
        if files:
            counts = ", ".join(
                f"{locale}: {len(check_quiz_file(path, path.name)[0].questions)}"
                for locale, path in sorted(files.items())
            )
            console.print(f"  {course.definition.code} quiz questions ({counts})")


@content_cli.command("sync")
def content_sync() -> None:
    """Import the content files in one transaction (safe to repeat: unchanged files change nothing)."""
    from rich.progress import Progress

    from app.courses.importer import sync_content
    from app.progress.rules import sync_criteria_and_recompute
    from app.progress.wiring import certify
    from app.quizzes.content_sync import sync_course_quizzes
    from app.toolkits.backends import make_storage
    from app.toolkits.content_import import sync_toolkits

    settings = Settings()
    bundle = _load_content_or_exit(settings)
    toolkit_sources = _load_toolkits_or_exit(settings, bundle)
    with Progress(console=console, transient=True) as progress, database_session(settings) as session:
        task = progress.add_task("Importing courses", total=len(bundle.courses))
        summary = sync_content(session, bundle, progress=lambda _code: progress.advance(task))
        quizzes = sync_course_quizzes(session, bundle)
        progress.update(task, description="Importing toolkit files", completed=0, total=len(toolkit_sources))
        toolkits = sync_toolkits(
            session,
            storage=make_storage(settings),
            sources=toolkit_sources,
            max_bytes=settings.upload_max_bytes,
            advance=lambda _path: progress.advance(task),
        )
        progress.update(task, total=len(bundle.courses))
        progress.update(task, description="Updating completion", completed=0)
        criteria_changed, completion = sync_criteria_and_recompute(
            session, on_completed=certify, advance=lambda _code: progress.advance(task)
        )
    for outcome in ("created", "updated", "archived"):
        counts: dict[str, int] = getattr(summary, outcome)
        described = ", ".join(f"{number} {kind}" for kind, number in sorted(counts.items())) or "nothing"
        console.print(f"{outcome.capitalize()}: {described}")
    console.print(
        f"Quiz questions: {quizzes.created} created, {quizzes.new_versions} changed (new version), "
        f"{quizzes.archived} archived."
    )
    console.print(
        f"Toolkits: {toolkits.created} created, {toolkits.new_versions} new version(s), "
        f"{toolkits.descriptions_updated} description(s) updated, {toolkits.unchanged} unchanged, "
        f"{toolkits.skipped_deleted} deleted in the app and left alone."
    )
    console.print(
        f"Completion: criteria of {criteria_changed} course(s) applied from the files; "
        f"{completion.changed} learner record(s) updated, {completion.newly_completed} newly completed."
    )


@courses_cli.command("assign-trainer")
def assign_trainer(
    course: str = typer.Option(..., help="Course code, e.g. SC1."),
    email: str = typer.Option(..., help="The trainer's email address."),
) -> None:
    """Make a person a trainer of a course (and give them the trainer role)."""
    from sqlalchemy import select

    from app.accounts.models import User, UserRole
    from app.core.access import Role
    from app.courses.service import assign_trainer as assign

    with database_session(Settings()) as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            console.print(f"[red]No account with the email address {email}.[/red]")
            raise typer.Exit(code=1)
        if not session.get(UserRole, (user.id, Role.TRAINER.value)):
            session.add(UserRole(user_id=user.id, role=Role.TRAINER.value))
        assign(session, code=course, user=user)
    console.print(f"{email} now teaches {course}.")


@cli.command("seed-demo")
def seed_demo(
    learners: int = typer.Option(5000, min=0, help="How many demo learners to create."),
    trainers: int = typer.Option(20, min=0, help="How many demo trainers to create."),
    replace: bool = typer.Option(False, "--replace", help="Delete the existing demo accounts first."),
) -> None:
    """Bulk-create demo learners and trainers (…@demo.klasteris.lt) for benchmarks; prints their shared password."""
    from rich.progress import Progress

    from app.demo.seed import demo_email, planned_progress
    from app.demo.seed import seed_demo as seed_demo_data

    hint = "Run again with --replace to delete them and create new ones."
    with Progress(console=console, transient=True) as progress, database_session(Settings(), hint=hint) as session:
        task = progress.add_task("Adding demo accounts", total=planned_progress(learners=learners, trainers=trainers))
        result = seed_demo_data(
            session,
            learners=learners,
            trainers=trainers,
            replace=replace,
            progress=lambda units: progress.advance(task, units),
        )
    if result.replaced:
        console.print(f"Deleted {result.replaced} earlier demo accounts.")
    console.print(
        f"Demo data: {result.learners} learners and {result.trainers} trainers in {result.organisations} organisations."
    )
    if result.learners:
        console.print(f"Sign in as, for example, {demo_email('learner', 1)}")
    console.print(f"Password of every demo account: [bold]{result.password}[/bold]", highlight=False)


@questions_cli.command("import")
def questions_import(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A GIFT or Moodle XML file.")
    ],
    course: str = typer.Option(..., help="Course code, e.g. SC1."),
    file_format: str = typer.Option(None, "--format", help="gift or xml (guessed from the file when left out)."),
    language: str = typer.Option("lt", help="Language of the questions: lt, en or nb."),
) -> None:
    """Import a question file into a course's bank: all of it in one transaction, with a report per question."""
    from rich.table import Table

    from app.quizzes.bank import guess_format, import_into_bank
    from app.quizzes.gift import read_gift
    from app.quizzes.interchange import ParseError
    from app.quizzes.moodle_xml import read_moodle_xml

    data = path.read_bytes()
    chosen = (file_format or guess_format(path.name, data)).lower()
    if chosen not in ("gift", "xml") or language not in ("lt", "en", "nb"):
        console.print("[red]--format must be gift or xml, and --language lt, en or nb.[/red]")
        raise typer.Exit(code=2)
    try:
        report = read_moodle_xml(data) if chosen == "xml" else read_gift(data.decode("utf-8-sig"))
    except (ParseError, UnicodeDecodeError) as error:
        console.print(f"[red]{path.name} could not be read: {error}. Nothing was imported.[/red]", highlight=False)
        raise typer.Exit(code=1) from error
    table = Table("line", "question", "type", "result")
    for line, question in zip(report.lines, report.questions, strict=True):
        table.add_row(str(line), question.title or question.text[:50], question.type, "imported")
    for issue in report.issues:
        table.add_row(
            str(issue.line or ""), issue.title, "", ("skipped: " if issue.skipped else "note: ") + issue.message
        )
    console.print(table)
    if not report.questions:
        console.print("[red]No question could be imported; nothing was written.[/red]")
        raise typer.Exit(code=1)
    with database_session(Settings()) as session:
        result = import_into_bank(session, course_code=course, report=report, language=language)
    skipped = sum(1 for issue in report.issues if issue.skipped)
    console.print(f"{result.imported} question(s) added to {course}; {skipped} skipped.")


@questions_cli.command("export")
def questions_export(
    output: Annotated[Path, typer.Option(help="File to write.")],
    course: str = typer.Option(..., help="Course code, e.g. SC1."),
    file_format: str = typer.Option(..., "--format", help="gift or xml."),
    language: str = typer.Option(None, help="Only questions in this language (lt, en or nb)."),
) -> None:
    """Export a course's current questions as GIFT or Moodle XML."""
    from app.quizzes.bank import current_questions
    from app.quizzes.gift import write_gift
    from app.quizzes.moodle_xml import write_moodle_xml

    if file_format not in ("gift", "xml"):
        console.print("[red]--format must be gift or xml.[/red]")
        raise typer.Exit(code=2)
    with database_session(Settings()) as session:
        questions = current_questions(session, course_code=course, language=language)
    output.write_bytes(write_moodle_xml(questions) if file_format == "xml" else write_gift(questions).encode())
    console.print(f"{len(questions)} question(s) of {course} written to {output}.")


@quizzes_cli.command("sweep")
def quizzes_sweep() -> None:
    """Submit every quiz attempt whose time ran out, with the answers saved so far (run it from cron)."""
    from app.quizzes.attempts import close_overdue_attempts

    with database_session(Settings()) as session:
        closed = close_overdue_attempts(session)
    console.print(f"{closed} overdue attempt(s) submitted.")


@progress_cli.command("recompute")
def progress_recompute(
    course: Annotated[list[str] | None, typer.Option(help="Only this course code (repeatable).")] = None,
) -> None:
    """Recalculate every learner's course completion from their records (repairs; safe to repeat).

    Completions already recorded are never undone; newly completed learners get their certificates.
    """
    from rich.progress import Progress
    from sqlalchemy import func, select

    from app.courses.models import Course
    from app.progress.completion import recompute_all
    from app.progress.wiring import certify

    with database_session(Settings()) as session:
        statement = select(func.count()).select_from(Course).where(Course.archived_at.is_(None))
        if course:
            statement = statement.where(Course.code.in_(course))
        total = session.scalar(statement) or 0
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Recomputing completion", total=total)
            summary = recompute_all(
                session, course_codes=course, on_completed=certify, advance=lambda _code: progress.advance(task)
            )
    console.print(
        f"{summary.learners} learner place(s) checked in {total} course(s): {summary.changed} changed, "
        f"{summary.newly_completed} newly completed."
    )


@toolkits_cli.command("purge")
def toolkits_purge(
    older_than: Annotated[str, typer.Option(help="Age of the deletion, in days: 30d (or 30).")] = "30d",
) -> None:
    """Remove for good the files and records of toolkits deleted longer ago than --older-than."""
    import datetime as dt

    from rich.progress import Progress

    from app.core.db import utcnow
    from app.toolkits.backends import make_storage
    from app.toolkits.service import deleted_before, purge_toolkit

    days_text = older_than.strip().lower().removesuffix("d")
    if not days_text.isdigit():
        console.print("[red]--older-than takes a number of days, such as 30d.[/red]")
        raise typer.Exit(code=2)
    settings = Settings()
    storage = make_storage(settings)
    cutoff = utcnow() - dt.timedelta(days=int(days_text))
    with database_session(settings) as session:
        toolkit_ids = deleted_before(session, moment=cutoff)
    files = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Purging deleted toolkits", total=len(toolkit_ids))
        for toolkit_id in toolkit_ids:
            # One transaction per toolkit: an interruption leaves the rest for the next run.
            with database_session(settings) as session:
                files += purge_toolkit(session, storage=storage, toolkit_id=toolkit_id)
            progress.advance(task)
    console.print(f"Purged {len(toolkit_ids)} toolkit(s) deleted before {cutoff:%Y-%m-%d}: {files} file(s) removed.")


# --- export ------------------------------------------------------------------------------------------------

_EXPORT_OPTIONS = {"organisation": "--organisation", "programme": "--programme", "course": "--course"}


def _refuse(message: str) -> NoReturn:
    """Bad arguments: say why and stop with exit code 2, before anything is written."""
    console.print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(code=2)


@export_cli.command("completions")
def export_completions(
    output: Annotated[Path, typer.Option(help="File to write; replaced in one step when it exists.")],
    file_format: Annotated[str, typer.Option("--format", help="csv, xlsx or xapi.")],
    organisation: Annotated[str | None, typer.Option(help="Only this organisation: its slug or number.")] = None,
    programme: Annotated[str | None, typer.Option(help="Only this programme's courses, e.g. SC.")] = None,
    course: Annotated[str | None, typer.Option(help="Only this course, e.g. SC1.")] = None,
    state: Annotated[str | None, typer.Option(help="not_started, in_progress, completed or failed.")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Completed on or after this day (YYYY-MM-DD, UTC).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Completed on or before this day (YYYY-MM-DD, UTC).")
    ] = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="CSV for Excel: byte-order mark, semicolons, decimal commas.")
    ] = False,
    language: Annotated[
        str | None, typer.Option(help="Titles, and XLSX/Excel column names and states: lt, en or nb (default: site's).")
    ] = None,
) -> None:
    """Write completion records to a file, for HR systems or a learning record store (scheduled jobs).

    Every organisation's records unless filtered; the export is recorded in the audit log as the command line.
    """
    import os
    import tempfile

    from rich.progress import Progress

    from app.audit.service import SystemActor
    from app.core.db import READS_ONLY
    from app.core.forms import FormInvalid, parse_form
    from app.core.i18n import using_locale
    from app.reports import exports
    from app.reports.completions import count_completion_records
    from app.reports.schemas import CompletionQuery, ExportFormat
    from app.reports.scope import EVERYTHING

    settings = Settings()
    chosen = file_format.strip().lower()
    if chosen not in ("csv", "xlsx", "xapi"):
        _refuse("--format must be csv, xlsx or xapi.")
    if excel and chosen != "csv":
        _refuse("--excel goes with --format csv only.")
    language = language or settings.default_locale
    if language not in settings.locales:
        _refuse(f"--language must be one of {', '.join(settings.locales)}.")
    if output.is_dir() or not output.parent.is_dir():
        _refuse(f"{output} cannot be written: give a file name in an existing folder.")
    export_format = ExportFormat.CSV_EXCEL if excel else ExportFormat(chosen)

    engine = make_engine(settings.database_url)
    temporary: Path | None = None
    try:
        # Reads only: on SQLite a long export must not hold the write lock the site needs.
        with Session(bind=engine.execution_options(**{READS_ONLY: True})) as session, using_locale("en"):
            organisation_id = exports.find_organisation(session, organisation) if organisation else None
            if organisation and organisation_id is None:
                _refuse(f"--organisation: no organisation has the slug or number {organisation}.")
            values = {
                "organisation": str(organisation_id or ""),
                "programme": programme or "",
                "course": course or "",
                "state": state or "",
                "from": date_from or "",
                "to": date_to or "",
            }
            try:
                filters = exports.resolve_filters(session, query=parse_form(CompletionQuery, values), scope=EVERYTHING)
            except FormInvalid as invalid:
                for field, message in invalid.errors.items():
                    console.print(f"[red]{_EXPORT_OPTIONS.get(field, '--' + field)}: {message}[/red]", highlight=False)
                raise typer.Exit(code=2) from invalid
            total = count_completion_records(session, filters=filters, scope=EVERYTHING)
            with using_locale(language):
                request = exports.ExportRequest(
                    export_format=export_format,
                    filters=filters,
                    scope=EVERYTHING,
                    locale=language,
                    base_url=settings.base_url,
                    labels=exports.labels_for(export_format),
                )
            handle, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
            os.close(handle)
            temporary = Path(name)
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("Exporting completion records", total=total)
                rows = exports.write_export(
                    session, request, temporary, advance=lambda count: progress.advance(task, count)
                )
        with database_session(settings) as writing:
            exports.record_export(
                writing,
                actor=SystemActor("command line"),
                export_format=export_format,
                filters=filters,
                scope=EVERYTHING,
                rows=rows,
            )
        # Readers of the output see the old file or the whole new one, never a half-written one.
        os.replace(temporary, output)
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        engine.dispose()
    console.print(f"{rows} completion record(s) written to {output}.")


def main() -> None:
    from app.events import wiring as events_wiring
    from app.progress.wiring import connect
    from app.surveys import wiring as surveys_wiring
    from app.toolkits import wiring as toolkits_wiring

    connect()  # lesson ticks and quiz grades made by commands move completion too
    toolkits_wiring.connect()
    events_wiring.connect()
    surveys_wiring.connect(Settings())  # survey invitations after `progress recompute` are emailed too
    cli()
