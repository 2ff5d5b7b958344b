"""Every number a page takes from its query string: a friendly 422 page when out of range."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from api.deps import MAX_OFFSET
from api.web import employee, hr, manager, pages
from tests.web.conftest import demo_app, signed_in


def _int_query_params() -> list[tuple[str, str]]:
    found = []
    for module in (pages, manager, employee, hr):
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            if "GET" not in route.methods or "{" in route.path:
                continue
            found += [
                (route.path, q.name)
                for q in route.dependant.query_params
                if q.field_info.annotation is int
            ]
    return found


INT_PARAMS = _int_query_params()


def test_the_walk_finds_the_paged_pages() -> None:
    assert {("/drafts", "offset"), ("/hr/events", "offset")} <= set(INT_PARAMS)


@pytest.mark.parametrize(("path", "name"), INT_PARAMS)
def test_numbers_out_of_range_are_a_friendly_page(tmp_path: Path, path: str, name: str) -> None:
    app, tokens = demo_app(tmp_path / "web")
    web = signed_in(app, tokens.hr)
    for value in (str(MAX_OFFSET + 1), "9223372036854775808", str(10**30), "-1", "abc", "1.5"):
        response = web.client.get(path, params={name: value})
        assert response.status_code == 422, (value, response.text[:300])
        assert "text/html" in response.headers["content-type"] and name in response.text
    assert web.client.get(path, params={name: str(MAX_OFFSET)}).status_code == 200
