"""Managing users: list, disable, enable, rotate tokens, by CLI and by the admin API; audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from coach.cli import app as cli
from coach.core.models import AuditEvent, User
from tests.factories import auth

runner = CliRunner()


def _events(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action)
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def test_admin_lists_users_without_tokens(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/v1/users", headers=auth(tokens["admin"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(tokens) == len(body["data"])
    manager = next(u for u in body["data"] if u["name"] == "user-manager")
    assert manager["role"] == "manager" and manager["employee_id"] == "M1"
    assert manager["disabled"] is False and manager["token_rotated_at"] is None
    assert "token_hash" not in response.text
    assert not any(token in response.text for token in tokens.values())


def test_only_admins_manage_users(client: TestClient, tokens: dict[str, str]) -> None:
    for role in ("hr", "manager", "employee"):
        headers = auth(tokens[role])
        assert client.get("/v1/users", headers=headers).status_code == 403
        for action in ("disable", "enable", "rotate-token"):
            assert client.post(f"/v1/users/user-admin/{action}", headers=headers).status_code == 403
    assert client.get("/v1/users").status_code == 401


def test_a_disabled_user_is_refused_until_enabled(
    client: TestClient, tokens: dict[str, str], engine: Engine
) -> None:
    admin, manager = auth(tokens["admin"]), auth(tokens["manager"])
    assert client.get("/v1/employees", headers=manager).status_code == 200
    response = client.post("/v1/users/user-manager/disable", headers=admin)
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert client.get("/v1/employees", headers=manager).status_code == 401
    assert client.post("/v1/users/user-manager/enable", headers=admin).status_code == 200
    assert client.get("/v1/employees", headers=manager).status_code == 200
    [disabled] = _events(engine, "disable")
    [enabled] = _events(engine, "enable")
    assert disabled.actor == enabled.actor == "admin:user-admin"
    assert disabled.object_type == "user" and disabled.object_id == enabled.object_id


def test_rotating_a_token_ends_the_old_one_at_once(
    client: TestClient, tokens: dict[str, str], engine: Engine
) -> None:
    response = client.post("/v1/users/user-employee/rotate-token", headers=auth(tokens["admin"]))
    assert response.status_code == 200, response.text
    new = response.json()["token"]
    assert new.startswith("coach_") and new != tokens["employee"]
    assert response.json()["user"]["token_rotated_at"] is not None
    assert client.get("/v1/me/feedback", headers=auth(tokens["employee"])).status_code == 401
    assert client.get("/v1/me/feedback", headers=auth(new)).status_code == 200
    [event] = _events(engine, "rotate_token")
    assert new not in str(event.detail) and event.actor == "admin:user-admin"


def test_unknown_users_are_404_and_the_last_admin_stays(
    client: TestClient, tokens: dict[str, str]
) -> None:
    admin = auth(tokens["admin"])
    assert client.post("/v1/users/nobody/disable", headers=admin).status_code == 404
    refused = client.post("/v1/users/user-admin/disable", headers=admin)
    assert refused.status_code == 409 and "last active admin" in refused.text
    assert client.get("/v1/users", headers=admin).status_code == 200


def test_cli_lists_disables_enables_and_rotates(tokens: dict[str, str], engine: Engine) -> None:
    listed = runner.invoke(cli, ["user", "list"])
    assert listed.exit_code == 0, listed.output
    assert "user-manager" in listed.output and "M1" in listed.output and "active" in listed.output
    assert not any(token in listed.output for token in tokens.values())

    assert runner.invoke(cli, ["user", "disable", "user-hr"]).exit_code == 0
    assert "disabled" in runner.invoke(cli, ["user", "list"]).output
    with Session(engine) as session:
        hr = session.exec(select(User).where(User.name == "user-hr")).one()
        assert hr.disabled
    assert runner.invoke(cli, ["user", "enable", "user-hr"]).exit_code == 0

    rotated = runner.invoke(cli, ["user", "rotate-token", "user-hr"])
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip().splitlines()[-1]
    assert new.startswith("coach_") and new != tokens["hr"]
    assert {e.actor for e in _events(engine, "rotate_token")} == {"cli"}
    assert [e.actor for e in _events(engine, "disable")] == ["cli"]

    missing = runner.invoke(cli, ["user", "disable", "nobody"])
    assert missing.exit_code == 1 and "nobody" in missing.output
