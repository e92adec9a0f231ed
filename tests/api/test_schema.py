from __future__ import annotations

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/health",
    "/api/v1/underlyings",
    "/api/v1/collection-runs",
    "/api/v1/errors",
    "/api/v1/errors/{id}/resolve",
    "/api/v1/option-chain/{symbol}",
    "/api/v1/exports/quotes.csv",
    "/api/v1/exports/quotes.parquet",
    "/api/v1/exports/chain.csv",
    "/api/v1/market-status",
    "/api/v1/participants",
    "/api/v1/participants/history",
    "/api/v1/overview/indices",
    "/api/v1/overview/sectors",
    "/api/v1/overview/breadth",
    *(
        f"/api/v1/analytics/{{symbol}}/{name}"
        for name in (
            "summary",
            "greeks",
            "iv-smile",
            "iv-surface",
            "oi",
            "gex",
            "price-toggle",
            "overlay",
            "history",
            "iv-rank",
            "expiry-comparison",
            "vix-correlation",
            "volatility",
        )
    ),
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The schema as `manage.py spectacular` writes it; --fail-on-warn makes any warning an error. Generated once
    for the module's tests (it reads no database, and each generation costs over a second)."""
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
    )
    return yaml.safe_load(target.read_text())


def test_it_generates_a_valid_openapi_3_schema_without_warnings(schema) -> None:
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= ENDPOINTS


def test_it_documents_the_chain_parameters_and_response(schema) -> None:
    operation = schema["paths"]["/api/v1/option-chain/{symbol}"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert {"symbol", "bucket", "expiry", "at", "offsets", "price"} <= set(parameters)
    assert sorted(parameters["bucket"]["schema"]["enum"]) == ["next_month", "next_week", "this_month", "this_week"]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "410"}
    rows = schema["components"]["schemas"]["OptionChain"]["properties"]["rows"]
    assert rows["items"]["$ref"] == "#/components/schemas/ChainRow"


def test_it_documents_every_operation_with_a_response_shape(schema) -> None:
    for path in ENDPOINTS:
        for method, operation in schema["paths"][path].items():
            ok = operation["responses"]["200"]
            assert ok.get("content"), (path, method)
            assert operation.get("description"), (path, method)


def test_it_documents_the_refusals_the_permissions_give(schema) -> None:
    def statuses(path: str, method: str = "get") -> set[str]:
        return set(schema["paths"][path][method]["responses"])

    error = {"$ref": "#/components/schemas/Error"}
    resolve = schema["paths"]["/api/v1/errors/{id}/resolve"]["post"]["responses"]
    assert resolve["401"]["content"]["application/json"]["schema"] == error
    assert resolve["403"]["content"]["application/json"]["schema"] == error
    assert "403" not in statuses("/api/v1/underlyings") and "401" in statuses("/api/v1/underlyings")
    assert statuses("/api/v1/health") == {"200", "400", "503"}  # public: no refusal; 503 when down
    assert not {"401", "403"} & statuses("/api/v1/market-status")


def test_it_documents_analytics_parameters(schema) -> None:
    history = schema["paths"]["/api/v1/analytics/{symbol}/history"]["get"]
    names = {parameter["name"] for parameter in history["parameters"]}
    assert {"symbol", "field", "from", "to", "bucket", "expiry", "daily"} <= names
    field = next(parameter for parameter in history["parameters"] if parameter["name"] == "field")
    assert field["required"] is True
    assert {"pcr_oi", "max_pain", "atm_iv", "straddle"} <= set(field["schema"]["enum"])


def test_it_documents_exports_as_files(schema) -> None:
    csv_response = schema["paths"]["/api/v1/exports/quotes.csv"]["get"]["responses"]["200"]
    assert list(csv_response["content"]) == ["text/csv"]
    parquet = schema["paths"]["/api/v1/exports/quotes.parquet"]["get"]["responses"]["200"]
    assert list(parquet["content"]) == ["application/vnd.apache.parquet"]


def test_it_declares_token_and_session_authentication(schema) -> None:
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_it_serves_the_schema_to_signed_in_users_only(api, anon) -> None:
    assert anon.get("/api/v1/schema/").status_code == 401
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/option-chain/{symbol}" in response.json()["paths"]


def test_it_sends_an_anonymous_visitor_of_the_docs_to_the_login_page(anon) -> None:
    response = anon.get("/api/v1/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/v1/docs/"


def test_it_serves_swagger_ui_from_local_static_files(user, settings) -> None:
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = client.get("/api/v1/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    # The start-up script comes from its own URL (no inline script: the content security policy).
    script = client.get("/api/v1/docs/?script=").content.decode()
    assert "/api/v1/schema/" in script and "cdn" not in script.lower()
    # drf_spectacular_sidecar is an installed app, so the static finders serve its files.
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
