"""The `klasteris` command: database migrations, seeding and account administration."""

from __future__ import annotations

from pathlib import Path

import typer
from alembic import command
from alembic.config import Config
from rich.console import Console

from app.core.config import Settings
from app.core.db import make_engine, make_sessionmaker, session_scope

PROJECT_ROOT = Path(__file__).resolve().parent.parent

cli = typer.Typer(help="Klasteris virtual learning environment.", no_args_is_help=True, add_completion=False)
console = Console()


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


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

    settings = Settings()
    engine = make_engine(settings.database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        added = seed_partner_organisations(session)
    engine.dispose()
    console.print(f"Partner organisations: {added} added.")


@cli.command("create-admin")
def create_admin(
    email: str = typer.Option(..., help="The administrator's email address."),
    full_name: str = typer.Option("Administrator", help="Name shown in the site."),
) -> None:
    """Create an administrator and print a one-time generated password."""
    from app.accounts.service import create_admin as create_admin_account
    from app.core.errors import DomainError

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            user, password = create_admin_account(session, email=email, full_name=full_name)
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(code=1) from error
    finally:
        engine.dispose()
    console.print(f"Administrator [bold]{user.email}[/bold] created.")
    console.print(f"One-time password: [bold]{password}[/bold]")
    console.print("Sign in and change it under Profile → Change password.")


def main() -> None:
    cli()
