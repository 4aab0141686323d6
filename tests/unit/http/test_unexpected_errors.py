"""Nothing reaches a caller as a traceback: inputs that used to overflow or recurse get
clear 4xx problems naming the field, and anything unexpected is a problem+json 500
with an id to quote (logged with the traceback; nothing internal in the body)."""

from __future__ import annotations

import logging

import pytest

from tests.unit.http.conftest import Api, problem

RANGE = {"query": "up", "start": "0", "end": "100", "step": "15s"}



@pytest.mark.parametrize("param, value", [
    ("step", "1e308"), ("step", "99999999999999999999d"), ("window", "1e308"), ("start", "1e308"),
    ("end", "-1e308"), ("end", "1e300"),
])
async def test_huge_numbers_in_query_params_are_422_naming_the_param(api: Api, param: str, value: str) -> None:
    body = problem(await api.client.get("/api/v1/query_range", params=RANGE | {param: value}), 422, param)
    assert value in body["detail"]


async def test_huge_times_in_a_series_query_are_422(api: Api) -> None:
    problem(await api.client.get("/api/v1/series", params={"match[]": "up", "start": "1e308"}), 422, "start")


@pytest.mark.parametrize("field", ["for", "keep_firing_for", "window"])
async def test_huge_rule_durations_are_422(api: Api, field: str) -> None:
    rule = {"name": "x", "selector": "up", "threshold": 1, field: "1e308"}
    problem(await api.client.post("/api/v1/rules", json=rule), 422, field)


@pytest.mark.parametrize("path, method", [
    ("/api/v1/rules", "POST"), ("/api/v1/silences", "POST"), ("/api/v1/incidents/x/notes", "POST"),
    ("/api/v1/compliance/facts", "PUT"),
])
@pytest.mark.parametrize("nested", ["[" * 20_000 + "]" * 20_000, '{"a":' * 10_000 + "1" + "}" * 10_000])
async def test_deeply_nested_json_is_a_clear_4xx(api: Api, path: str, method: str, nested: str) -> None:
    resp = await api.client.request(method, path, content=nested, headers={"content-type": "application/json"})
    body = problem(resp, 422, "body")
    assert "nested too deep" in body["detail"]


async def test_an_integer_too_long_to_convert_is_a_clear_4xx(api: Api) -> None:
    resp = await api.client.post("/api/v1/rules", content='{"name": "x", "selector": "up", "threshold": 1' + "0" * 5000 + "}",
                                 headers={"content-type": "application/json"})
    problem(resp, 422, "body")


@pytest.mark.parametrize("text", ['"b\\ud800"', '"\\udc00x"', '"\\ud800\\u0041"'])
async def test_lone_surrogates_are_refused_before_they_are_stored(api: Api, text: str) -> None:
    # Stored, such a string made every later listing of the tenant's rules a 500.
    rule = '{"name": "x", "selector": "up", "threshold": 1, "labels": {"a": %s}}' % text
    resp = await api.client.post("/api/v1/rules", content=rule, headers={"content-type": "application/json"})
    problem(resp, 422, "body")
    assert (await api.client.get("/api/v1/rules")).status_code == 200


async def test_a_surrogate_pair_is_text_and_accepted(api: Api) -> None:
    rule = '{"name": "x", "selector": "up", "threshold": 1, "labels": {"a": "\\ud83d\\ude00 \\\\ud800"}}'
    resp = await api.client.post("/api/v1/rules", content=rule, headers={"content-type": "application/json"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["data"]["labels"] == {"a": "\U0001F600 \\ud800"}


async def test_an_unexpected_error_is_a_500_problem_with_an_id_and_a_logged_traceback(api: Api, caplog) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("connection to db-internal.example:5432 failed: password=hunter2")

    api.container.api_services().queries.series = broken
    with caplog.at_level(logging.ERROR):
        resp = await api.client.get("/api/v1/series", params={"match[]": "up"})
    body = problem(resp, 500)
    error_id = body["error_id"]
    assert error_id in body["detail"] and body["title"] == "Internal Server Error"
    assert "hunter2" not in resp.text and "db-internal" not in resp.text and "RuntimeError" not in resp.text
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])
    assert "/api/v1/series" in record.getMessage()
