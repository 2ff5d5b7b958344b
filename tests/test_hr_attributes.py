"""HR-only attributes and potential ratings: imported from files, kept out of everyone else's
sight, exported and erased with the person."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from coach.core.models import EmployeeAttributes, PotentialRating
from coach.oversight.data_rights import erase_person, export_person
from tests.factories import auth

ATTRIBUTES = """员工编号,性别,年龄段
A1,女,25-34
A2,male,35-44岁
"""


def _upload(client: TestClient, token: str, kind: str, text: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.post(
        f"/v1/imports/{kind}",
        headers=auth(token),
        files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
    )
    return response.status_code, response.json()


def test_attributes_import_normalised_and_a_file_of_one_column_keeps_the_other(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    status, report = _upload(client, tokens["admin"], "attributes", ATTRIBUTES)
    assert status == 200 and report["inserted"] == 2, report
    assert _upload(client, tokens["admin"], "attributes", ATTRIBUTES)[1]["unchanged"] == 2
    status, report = _upload(client, tokens["admin"], "attributes", "工号,性别\nA2,女\n")
    assert status == 200 and report["updated"] == 1, report
    with Session(engine) as session:
        a1, a2 = session.get(EmployeeAttributes, "A1"), session.get(EmployeeAttributes, "A2")
        assert a1 is not None and (a1.gender, a1.age_band) == ("女", "25-34")
        assert a2 is not None and (a2.gender, a2.age_band) == ("女", "35-44")


def test_bad_attribute_and_potential_rows_are_named_and_nothing_is_written(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    bad = "employee_id,gender,age_band\nA1,女,25-34\nA2,男,37\nA3,未知,30-20\nZZ,男,\n"
    status, body = _upload(client, tokens["admin"], "attributes", bad)
    assert status == 422, body
    problems = {(e["row"], e["column"]) for e in body["errors"]}
    assert problems == {(3, "age_band"), (4, "gender"), (4, "age_band"), (5, "employee_id")}
    reasons = " ".join(e["reason"] for e in body["errors"])
    assert "exact age" in reasons and "lower bound" in reasons and "unknown employee" in reasons
    status, body = _upload(client, tokens["admin"], "attributes", "employee_id\nA1\n")
    assert status == 422 and "性别" in str(body), body
    status, body = _upload(
        client, tokens["admin"], "potential", "cycle,employee_id,potential\nH1,A1,4\n"
    )
    assert status == 422, body
    assert {e["column"] for e in body["errors"]} == {"cycle", "potential"}
    with Session(engine) as session:
        assert session.get(EmployeeAttributes, "A1") is None
        assert session.get(PotentialRating, ("A1", "H1")) is None


def test_potential_imports_as_words_or_numbers(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    text = "周期,员工编号,潜力\n2026H1,A1,高\n2026H1,A2,1\n"
    assert _upload(client, tokens["admin"], "potential", text)[1]["inserted"] == 2
    with Session(engine) as session:
        high = session.get(PotentialRating, ("A1", "2026H1"))
        assert high is not None and high.potential == 3


def test_attributes_are_exported_and_erased_with_the_person(
    client: TestClient, engine: Engine, tokens: dict[str, str]
) -> None:
    _upload(client, tokens["admin"], "attributes", ATTRIBUTES)
    _upload(client, tokens["admin"], "potential", "cycle,employee_id,potential\n2026H1,A1,2\n")
    with Session(engine) as session:
        data = export_person(session, employee_id="A1", actor="hr")
        assert data.attributes is not None and data.attributes["age_band"] == "25-34"
        assert [p["potential"] for p in data.potential_ratings] == [2]
        report = erase_person(session, employee_id="A1", actor="hr")
        session.commit()
        assert report.changed["attributes"] == 1
    with Session(engine) as session:
        assert session.get(EmployeeAttributes, "A1") is None
        assert session.get(PotentialRating, ("A1", "2026H1")) is not None  # a number, kept


def test_attributes_are_not_in_what_managers_and_employees_read(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _upload(client, tokens["admin"], "attributes", ATTRIBUTES)
    for role in ("manager", "employee"):
        person = client.get("/v1/employees/A1", headers=auth(tokens[role]))
        assert person.status_code == 200, person.text
        assert not {"gender", "age_band"} & set(person.json()), person.json()
        assert "25-34" not in person.text
