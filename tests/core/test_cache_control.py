"""No cache keeps a token or personal data: every API answer is `Cache-Control: no-store`."""

from typing import Any

from tests.conftest import PASSWORD, Api


def _no_store(r: Any) -> None:
    assert r.headers.get("cache-control") == "no-store", (r.request.url, r.status_code, r.headers)
    assert r.headers.get("pragma") == "no-cache"


def test_the_token_answer_is_not_cached(api: Api) -> None:
    api.headers("admin")  # the account exists
    form = {"grant_type": "password", "username": "admin@jisr.example.org", "password": PASSWORD}
    r = api.client.post("/api/v1/auth/token", data=form)
    assert r.status_code == 200
    _no_store(r)  # RFC 6749 5.1
    _no_store(api.client.post("/api/v1/auth/token", data={"grant_type": "password", "username": "x", "password": "y"}))


def test_personal_data_answers_are_not_cached(api: Api) -> None:
    saida = api.collectivity(name="Saïda")
    contact = api.contact(saida["id"], email="rima@saida.example")
    for url, params in [
        ("/api/v1/personal-data", {"email": "rima@saida.example"}),
        ("/api/v1/contacts", {}),
        (f"/api/v1/contacts/{contact['id']}", {}),
        ("/api/v1/users", {}),
        ("/api/v1/auth/me", {}),
        ("/api/v1/exports/contacts.csv", {}),
        ("/api/v1/exports/contacts.xlsx", {}),
        ("/api/v1/exports/contacts.json", {}),
        ("/api/v1/collectivities", {}),  # the lists' fast path too
        ("/api/v1/changes", {}),
    ]:
        r = api.get(url, params=params)
        assert r.status_code == 200, (url, r.text)
        _no_store(r)
    _no_store(api.get("/api/v1/contacts", role="viewer"))  # refusals too
