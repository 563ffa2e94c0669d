"""The sample app's own tests: each route answers what the README says."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from flaskstack_sample import __version__, create_app


@pytest.fixture
def client() -> FlaskClient:
    return create_app({"TESTING": True}).test_client()


def test_index_returns_app_json(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_json()
    assert body["app"] == "flaskstack-sample"
    assert body["version"] == __version__
    assert body["greeting"] == "Hello from flaskstack"
    assert isinstance(body["pid"], int)


def test_healthz_is_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_page_renders_template_with_greeting(client: FlaskClient) -> None:
    response = client.get("/page")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"<h1>Hello from flaskstack</h1>" in response.data
    assert b"/static/style.css" in response.data


def test_static_file_exists(client: FlaskClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert b"font-family" in response.data


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_GREETING", "Hi from the environment")
    monkeypatch.setenv("SAMPLE_APP_NAME", "shop")
    body = create_app().test_client().get("/").get_json()
    assert body["greeting"] == "Hi from the environment"
    assert body["app"] == "shop"


def test_wsgi_module_exposes_application() -> None:
    from flaskstack_sample import wsgi

    assert callable(wsgi.application)


def test_unknown_route_is_404(client: FlaskClient) -> None:
    assert client.get("/nope").status_code == 404


def test_index_names_the_request_id_nginx_passed(client: FlaskClient) -> None:
    assert client.get("/", headers={"X-Request-ID": "abc123"}).get_json()["request_id"] == "abc123"
    assert client.get("/").get_json()["request_id"] is None


def test_index_names_the_host_that_answered(client: FlaskClient) -> None:
    import socket

    assert client.get("/").get_json()["host"] == socket.gethostname()


@pytest.fixture
def store(tmp_path) -> FlaskClient:  # noqa: ANN001
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")}).test_client()


def test_an_order_is_stored_once(store: FlaskClient) -> None:
    first = store.post("/orders", json={"id": "a-1"})
    assert first.status_code == 201
    assert first.get_json()["stored"] == "now"
    again = store.post("/orders", json={"id": "a-1"})
    assert again.status_code == 409
    assert again.get_json()["stored"] == "before"
    assert store.post("/orders", json={"id": "a-2"}).status_code == 201
    assert store.get("/orders").get_json()["ids"] == ["a-1", "a-2"]


@pytest.mark.parametrize("body", [{}, {"id": ""}, {"id": 7}, {"id": "x" * 101}])
def test_an_order_without_a_proper_id_is_refused(store: FlaskClient, body: dict) -> None:
    assert store.post("/orders", json=body).status_code == 400
    assert store.get("/orders").get_json()["ids"] == []


def test_the_uwsgi_cache_backend_falls_back_outside_uwsgi() -> None:
    # flaskstack imports a release before it goes live, outside uWSGI: the app must load.
    app = create_app(
        {"TESTING": True, "CACHE_TYPE": "flaskstack_sample.uwsgicache.UWSGICache", "CACHE_UWSGI_NAME": "x"}
    )
    body = app.test_client().get("/cache").get_json()
    assert body["backend"] == "SimpleCache"
    assert body["first_pid"] == body["pid"]
