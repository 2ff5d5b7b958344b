"""The `coach` command line: thin wrappers over the domain functions."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from coach.auth import create_user
from coach.db import engine_for, migrate, session_scope
from coach.errors import CoachError
from coach.imports import ImportFailed, ImportKind, import_csv
from coach.models import Role
from coach.settings import Settings

app = typer.Typer(
    help="Coach 绩效教练: AI drafts for performance coaching; people decide.", no_args_is_help=True
)
user_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
eval_app = typer.Typer(help="Quality measurements of the AI capabilities.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")

err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            err.print(
                f"[red]configuration error:[/red] {error['msg'].removeprefix('Value error, ')}"
            )
        raise typer.Exit(2) from exc


def _ready_engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = engine_for(settings)
    migrate(engine)
    return engine


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP service."""
    import uvicorn

    from api.main import create_app

    settings = _settings()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def demo() -> None:
    """Seed a demo company into COACH_HOME (safe to run again) and print demo tokens."""
    from coach.demo import seed_demo

    settings = _settings()
    with session_scope(_ready_engine(settings)) as session:
        tokens = seed_demo(session)
    table = Table(title=f"Demo data in {settings.home.resolve()}")
    table.add_column("role")
    table.add_column("user")
    table.add_column("token")
    for role, user in (
        ("admin", "demo-admin"),
        ("hr", "demo-hr"),
        ("manager", "demo-manager (E011 陈静)"),
        ("employee", "demo-employee (E012 李强)"),
    ):
        table.add_row(role, user, getattr(tokens, role))
    Console().print(table)


@app.command("import")
def import_(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import a CSV file: all rows or none."""
    settings = _settings()
    try:
        with session_scope(_ready_engine(settings)) as session:
            report = import_csv(session, kind, file.read_bytes(), actor="cli")
    except ImportFailed as exc:
        err.print(f"[red]{exc}[/red]")
        for e in exc.errors:
            err.print(f"  row {e.row}, column {e.column or '-'}: {e.reason}")
        raise typer.Exit(1) from exc
    typer.echo(
        f"{report.kind.value}: {report.rows} rows, {report.inserted} inserted, {report.updated} updated"
    )


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Unique user name.")],
    role: Annotated[Role, typer.Option(help="admin, hr, manager or employee.")],
    employee_id: Annotated[
        str | None, typer.Option(help="The employee this user is (managers, employees).")
    ] = None,
) -> None:
    """Create a user; its token is printed as the last line."""
    settings = _settings()
    try:
        with session_scope(_ready_engine(settings)) as session:
            user, token = create_user(session, name=name, role=role, employee_id=employee_id)
            label = f"created {user.role} user {user.name!r}; token (shown once):"
    except CoachError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    typer.echo(label)
    typer.echo(token)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema in place."""
    settings = _settings()
    _ready_engine(settings)
    typer.echo(f"database at {settings.resolved_database_url} is up to date")


def _run_eval(module: str) -> None:
    importlib.import_module(f"evals.{module}").main()


@eval_app.command("comments")
def eval_comments() -> None:
    """Vague-comment check against a keyword baseline, on the held-out test split."""
    _run_eval("comments")


@eval_app.command("retrieval")
def eval_retrieval() -> None:
    """Practice retrieval: dense, BM25 and hybrid."""
    _run_eval("retrieval")


@eval_app.command("targets")
def eval_targets() -> None:
    """Target ranges: rolling-origin backtest against three baselines."""
    _run_eval("targets")


if __name__ == "__main__":
    app()
