from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import auth


def _ids(client: TestClient, token: str, **params: object) -> tuple[list[str], int]:
    body = client.get("/v1/employees", headers=auth(token), params=params).json()
    return [e["employee_id"] for e in body["data"]], body["count"]


def test_scope_by_role(client: TestClient, tokens: dict[str, str]) -> None:
    assert _ids(client, tokens["hr"])[1] == 6
    assert _ids(client, tokens["manager"]) == (["A1", "A2", "M1"], 3)
    assert _ids(client, tokens["top_manager"])[1] == 6  # indirect reports included
    assert _ids(client, tokens["employee"]) == (["A1"], 1)


def test_paging_keeps_the_total(client: TestClient, tokens: dict[str, str]) -> None:
    first, count = _ids(client, tokens["hr"], limit=2, offset=0)
    second, _ = _ids(client, tokens["hr"], limit=2, offset=2)
    assert count == 6 and len(first) == 2 and not set(first) & set(second)


def test_employee_fields(client: TestClient, tokens: dict[str, str]) -> None:
    body = client.get("/v1/employees/A1", headers=auth(tokens["manager"])).json()
    assert set(body) == {
        "employee_id",
        "name",
        "role",
        "level",
        "department",
        "team",
        "manager_id",
        "hire_date",
    }
    assert body["manager_id"] == "M1" and body["hire_date"] == "2022-01-01"


def test_unknown_employee_is_404(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/v1/employees/NOPE", headers=auth(tokens["hr"]))
    assert response.status_code == 404 and "NOPE" in response.json()["detail"]


def test_bad_paging_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/v1/employees", headers=auth(tokens["hr"]), params={"limit": 0})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "limit"]
