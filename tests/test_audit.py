from __future__ import annotations

import json
import threading
import time
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from api.main import create_app
from coach.cli import app as cli
from coach.core.audit import (
    GENESIS_HASH,
    EventFilter,
    event_hash,
    export_events,
    record_event,
    seal_chain,
    verify_chain,
)
from coach.core.models import AuditEvent, AuditSeal
from coach.core.settings import Settings
from tests.factories import auth, upgraded

runner = CliRunner()


def _events(engine: Engine, n: int = 6) -> list[int]:
    with Session(engine) as session:
        ids = [
            record_event(
                session, actor="hr:审计员", action="update", object_type="goal", object_id=f"G{i}",
                before={"title": f"旧{i}"}, after={"title": f"新{i}"}, detail={"i": i},
            ).id or 0
            for i in range(n)
        ]  # fmt: skip
        session.commit()
    return ids


def _tamper(engine: Engine, *statements: str) -> None:
    """What someone with write access to the database file could do."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for table in ("audit_events", "audit_seals"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        else:
            for table in ("audit_events", "audit_seals"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        for statement in statements:
            connection.execute(text(statement))


def _problems(engine: Engine, tip: str | None = None) -> list[tuple[int, str]]:
    with Session(engine) as session:
        return [(p.event_id, p.kind) for p in verify_chain(session, expected_tip=tip).problems]


def test_an_intact_chain_verifies(engine: Engine) -> None:
    _events(engine)
    with Session(engine) as session:
        report = verify_chain(session)
    assert report.ok and report.events == 6
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "6 events verified" in result.output


def test_the_database_refuses_to_change_or_delete_events(engine: Engine) -> None:
    ids = _events(engine, 2)
    for statement in (
        f"UPDATE audit_events SET actor = 'x' WHERE id = {ids[0]}",
        f"DELETE FROM audit_events WHERE id = {ids[0]}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))


def test_verify_names_an_edited_event(engine: Engine) -> None:
    ids = _events(engine)
    _tamper(engine, f"UPDATE audit_events SET actor = 'admin:mallory' WHERE id = {ids[2]}")
    assert _problems(engine) == [(ids[2], "changed")]
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"event {ids[2]}: changed" in result.output


def test_verify_names_an_edited_event_even_when_its_hash_was_recomputed(engine: Engine) -> None:
    ids = _events(engine)
    with Session(engine) as session:
        event = session.get(AuditEvent, ids[2])
        assert event is not None
        event.detail = {"i": 99}
        forged = event_hash(event)
    _tamper(
        engine,
        f"UPDATE audit_events SET detail = '{{\"i\": 99}}', hash = '{forged}' WHERE id = {ids[2]}",
    )
    assert _problems(engine) == [(ids[2], "changed")]


def test_verify_names_a_removed_event(engine: Engine) -> None:
    ids = _events(engine)
    _tamper(engine, f"DELETE FROM audit_events WHERE id = {ids[2]}")
    assert _problems(engine) == [(ids[3], "removed")]
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"event {ids[3]}: removed" in result.output


def test_verify_names_reordered_events(engine: Engine) -> None:
    ids = _events(engine)
    a, b = ids[2], ids[3]
    _tamper(
        engine,
        f"UPDATE audit_events SET id = -1 WHERE id = {a}",
        f"UPDATE audit_events SET id = {a} WHERE id = {b}",
        f"UPDATE audit_events SET id = {b} WHERE id = -1",
    )
    problems = _problems(engine)
    assert (a, "reordered") in problems and (b, "reordered") in problems
    assert {kind for _, kind in problems} == {"reordered"}
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and f"event {a}: reordered" in result.output


def test_verify_with_a_kept_tip_notices_removed_newest_events(engine: Engine) -> None:
    ids = _events(engine)
    with Session(engine) as session:
        tip = verify_chain(session).tip
    _tamper(engine, f"DELETE FROM audit_events WHERE id = {ids[-1]}")
    assert _problems(engine) == []  # without an anchor a cut-off tail looks complete
    assert _problems(engine, tip) == [(ids[-2], "truncated")]
    assert runner.invoke(cli, ["audit", "verify", "--tip", tip]).exit_code == 1


def _one_object(engine: Engine, n: int = 5) -> list[int]:
    """Events about one goal, each with other goals' events in between."""
    ids = []
    with Session(engine) as session:
        for i in range(n):
            ids.append(
                record_event(
                    session, actor="hr:审计员", action="update", object_type="goal",
                    object_id="G", detail={"i": i},
                ).id or 0
            )  # fmt: skip
            record_event(session, actor="hr:审计员", action="update", object_type="goal",
                         object_id=f"other{i}")  # fmt: skip
        session.commit()
    return ids


def test_each_object_has_its_own_chain_and_every_event_names_an_earlier_one(
    engine: Engine,
) -> None:
    ids = _one_object(engine, 3)
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    mine = [e for e in events if e.object_id == "G"]
    assert [e.id for e in mine] == ids
    assert {e.chain for e in mine} == {"goal:G"} and [e.seq for e in mine] == [1, 2, 3]
    assert [e.prev_hash for e in mine] == [GENESIS_HASH, mine[0].hash, mine[1].hash]
    # Every event but the first names the event written just before it, of whatever object.
    assert [(e.witness_id, e.witness_hash) for e in events[1:]] == [
        (e.id, e.hash) for e in events[:-1]
    ]
    assert events[0].witness_id is None


def test_verify_names_a_removed_event_of_one_object(engine: Engine) -> None:
    ids = _one_object(engine)
    _tamper(engine, f"DELETE FROM audit_events WHERE id = {ids[2]}")
    # Both the object's next event and the next event of all name what is missing.
    assert _problems(engine) == [(ids[3], "removed"), (ids[2] + 1, "removed")]


def test_verify_names_reordered_events_of_one_object(engine: Engine) -> None:
    ids = _one_object(engine)
    a, b = ids[1], ids[2]
    _tamper(
        engine,
        f"UPDATE audit_events SET id = -1 WHERE id = {a}",
        f"UPDATE audit_events SET id = {a} WHERE id = {b}",
        f"UPDATE audit_events SET id = {b} WHERE id = -1",
    )
    problems = _problems(engine)
    assert (a, "reordered") in problems and (b, "reordered") in problems
    assert {kind for _, kind in problems} == {"reordered"}


def test_verify_names_an_event_of_one_object_edited_with_its_hash_recomputed(
    engine: Engine,
) -> None:
    ids = _one_object(engine)
    with Session(engine) as session:
        event = session.get(AuditEvent, ids[2])
        assert event is not None
        event.detail = {"i": 99}
        forged = event_hash(event)
    _tamper(
        engine,
        f"UPDATE audit_events SET detail = '{{\"i\": 99}}', hash = '{forged}' WHERE id = {ids[2]}",
    )
    assert _problems(engine) == [(ids[2], "changed")]


def test_a_seal_shows_a_chain_cut_short_after_it_without_a_kept_tip(engine: Engine) -> None:
    ids = _events(engine)
    seal = seal_chain(engine)
    assert seal is not None and (seal.through_id, seal.chains) == (ids[-1], 6)
    assert seal_chain(engine) is None  # nothing new since
    # The newest event, which no later event names: only the seal remembers it.
    _tamper(engine, f"DELETE FROM audit_events WHERE id = {ids[-1]}")
    assert _problems(engine) == [(ids[-1], "truncated")]
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and f"event {ids[-1]}: truncated" in result.output


def test_a_seal_covers_only_the_chains_changed_since_the_one_before(engine: Engine) -> None:
    _events(engine, 3)
    first = seal_chain(engine)
    ids = _one_object(engine, 2)
    second = seal_chain(engine)
    assert first is not None and second is not None
    assert (second.through_id, second.chains) == (ids[-1] + 1, 3)  # G, other0, other1
    with Session(engine) as session:
        seals = session.exec(select(AuditSeal).order_by(col(AuditSeal.id))).all()
        report = verify_chain(session, expected_tip=second.hash)
    assert [s.prev_hash for s in seals] == [GENESIS_HASH, first.hash]
    assert report.ok and report.sealed_through == second.through_id


def test_verify_names_a_changed_or_removed_seal(engine: Engine) -> None:
    _events(engine, 2)
    first = seal_chain(engine)
    _events(engine, 1)
    second = seal_chain(engine)
    assert first is not None and second is not None
    _tamper(engine, f"UPDATE audit_seals SET through_id = 1 WHERE id = {first.id}")
    with Session(engine) as session:
        problems = verify_chain(session).problems
    assert [(p.seal_id, p.kind) for p in problems] == [(first.id, "changed")]
    _tamper(engine, f"DELETE FROM audit_seals WHERE id = {first.id}")
    with Session(engine) as session:
        problems = verify_chain(session).problems
    assert [(p.seal_id, p.kind) for p in problems] == [(second.id, "removed")]


def test_a_kept_seal_hash_notices_seals_and_events_removed_after_it(engine: Engine) -> None:
    _events(engine, 2)
    kept = seal_chain(engine)
    ids = _events(engine, 2)
    later = seal_chain(engine)
    assert kept is not None and later is not None
    _tamper(
        engine,
        f"DELETE FROM audit_seals WHERE id = {later.id}",
        f"DELETE FROM audit_events WHERE id >= {ids[0]}",
    )
    assert _problems(engine, kept.hash) == []  # what the kept seal anchored is all there
    assert _problems(engine, later.hash) == [(ids[0] - 1, "truncated")]


def test_the_service_seals_in_the_background(settings: Settings) -> None:
    app = create_app(upgraded(settings.model_copy(update={"audit_seal_interval": 0.1})))
    ids = _events(app.state.engine, 2)
    with TestClient(app):
        deadline = time.monotonic() + 30  # generous: the first round comes after 0.1 s
        while time.monotonic() < deadline:
            with Session(app.state.engine) as session:
                if session.exec(select(AuditSeal)).first() is not None:
                    break
            time.sleep(0.1)
    with Session(app.state.engine) as session:
        assert verify_chain(session).sealed_through == ids[-1]


def test_cli_seals_on_demand_and_after_a_clean_verify(engine: Engine) -> None:
    _events(engine, 2)
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "sealed through event" in result.output and "2 chains" in result.output
    assert "nothing new to seal" in runner.invoke(cli, ["audit", "seal"]).output
    _events(engine, 1)
    assert "1 chains" in runner.invoke(cli, ["audit", "seal"]).output


def test_concurrent_writers_never_fork_the_chain(engine: Engine) -> None:
    threads, per_thread = 8, 15
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with Session(engine) as session:
                    # A read first, as a request handler would: the chain tip must not be
                    # taken from this (possibly stale) moment.
                    session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
                    record_event(
                        session, actor=f"t{n}", action="create", object_type="x", object_id=str(i)
                    )
                    session.commit()
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with Session(engine) as session:
        report = verify_chain(session)
    assert report.ok and report.events == threads * per_thread


def test_events_api_filters_and_pages(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    _events(engine, 5)
    page = client.get(
        "/v1/audit/events?action=update&limit=2&offset=1", headers=auth(tokens["hr"])
    ).json()
    assert page["count"] == 5 and [e["object_id"] for e in page["data"]] == ["G1", "G2"]
    assert page["data"][0]["after_hash"] and "title" not in json.dumps(page["data"])
    one = client.get(
        "/v1/audit/events?object_type=goal&object_id=G3", headers=auth(tokens["admin"])
    ).json()
    assert one["count"] == 1
    users = client.get(
        "/v1/audit/events?object_type=user&actor=cli", headers=auth(tokens["hr"])
    ).json()
    assert users["count"] == 6  # the six users seeded for the tests
    later = client.get(
        "/v1/audit/events", params={"since": "2999-01-01T00:00:00Z"}, headers=auth(tokens["hr"])
    )
    assert later.json()["count"] == 0
    assert client.get("/v1/audit/events", headers=auth(tokens["manager"])).status_code == 403


def test_export_streams_json_lines_and_is_itself_audited(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    _events(engine, 3)
    response = client.get("/v1/audit/events/export?action=update", headers=auth(tokens["hr"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [e["object_id"] for e in lines] == ["G0", "G1", "G2"]
    with Session(engine) as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
        assert last is not None and last.action == "export" and last.actor == "hr:user-hr"
        assert last.detail == {"filters": {"action": "update"}}
        assert verify_chain(session).ok


def test_cli_export_writes_json_lines_and_records_it(engine: Engine, tmp_path: Path) -> None:
    _events(engine, 3)
    out = tmp_path / "audit.jsonl"
    result = runner.invoke(cli, ["audit", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["action"] for e in lines][-1] == "export"  # the export is part of what it exports
    assert len(lines) == 4


NAIVE_OR_UNSTORABLE = [
    ("since", "2026-10-01T00:00:00", "timezone"),
    ("until", "2026-10-01", "timezone"),
    ("since", "9999-12-31T23:00:00-05:00", "years 1 to 9999"),
    ("until", "0001-01-01T00:00:00+05:00", "years 1 to 9999"),
]


@pytest.mark.parametrize("path", ["/v1/audit/events", "/v1/audit/events/export"])
@pytest.mark.parametrize(("name", "value", "why"), NAIVE_OR_UNSTORABLE)
def test_times_without_zone_or_out_of_range_are_422_before_anything_is_sent(
    app: FastAPI,
    engine: Engine,
    tokens: dict[str, str],
    path: str,
    name: str,
    value: str,
    why: str,
) -> None:
    _events(engine, 2)
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get(path, params={name: value}, headers=auth(tokens["hr"]))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", name] and why in error["msg"]
    with Session(engine) as session:  # a refused export is not recorded as one
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "export")).first() is None


@pytest.mark.parametrize("path", ["/v1/audit/events", "/v1/audit/events/export"])
def test_times_with_a_zone_compare_as_the_same_instant(
    client: TestClient, engine: Engine, tokens: dict[str, str], path: str
) -> None:
    _events(engine, 2)
    with Session(engine) as session:
        first = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).first()
        assert first is not None
        ts = first.ts
    in_shanghai = ts.astimezone(timezone(timedelta(hours=8))).isoformat()
    for params in ({"since": in_shanghai}, {"since": ts.isoformat().replace("+00:00", "Z")}):
        response = client.get(
            path, params={**params, "action": "update"}, headers=auth(tokens["hr"])
        )
        assert response.status_code == 200
        body = (
            response.json()["data"]
            if path.endswith("events")
            else [json.loads(line) for line in response.text.splitlines()]
        )
        assert [e["object_id"] for e in body] == ["G0", "G1"]
    edges = {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"}
    assert client.get(path, params=edges, headers=auth(tokens["hr"])).status_code == 200


def test_export_pages_through_every_batch(engine: Engine) -> None:
    _events(engine, 5)
    lines = list(
        export_events(engine, actor="hr:审计员", filters=EventFilter(action="update"), batch=2)
    )
    assert [json.loads(line)["object_id"] for line in lines] == ["G0", "G1", "G2", "G3", "G4"]
