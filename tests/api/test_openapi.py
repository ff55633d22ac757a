"""The OpenAPI schema (valid in structure: every operation documents its answers, bearer security on
the token endpoints) and the docs page (Swagger UI from this site's static files, under our CSP)."""

import json

from django.contrib.staticfiles import finders

METHODS = {"get", "post", "put", "patch", "delete"}


def test_schema_is_openapi_json_with_responses_everywhere(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "podcastcme API" and schema["info"]["version"] == "1"
    assert len(schema["paths"]) >= 15
    ids = []
    for path, item in schema["paths"].items():
        assert path.startswith("/api/v1/")
        operations = {m: op for m, op in item.items() if m in METHODS}
        assert operations, path
        for method, operation in operations.items():
            assert operation["responses"], f"{method} {path} documents no answer"
            ids.append(operation["operationId"])
            for status, answer in operation["responses"].items():
                assert status.isdigit() and answer.get("description") is not None
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    # Every $ref points to a defined component.
    text = response.content.decode()
    for ref in set(part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]):
        assert ref in schema["components"]["schemas"], ref


def test_token_endpoints_declare_bearer_security(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["TokenAuth"]
    assert scheme == {"type": "http", "scheme": "bearer", "bearerFormat": "pcme_ personal access token"}
    assert schema["paths"]["/api/v1/me/claims"]["get"]["security"] == [{"TokenAuth": []}]
    assert "security" not in schema["paths"]["/api/v1/episodes"]["get"]
    assert set(schema["paths"]["/api/v1/me/token"]) == {"delete"}


def test_docs_page_loads_everything_from_this_site(client, db):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower()
    for asset in ("ninja/swagger-ui.css", "ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js"):
        assert f"/static/{asset}" in html
        assert finders.find(asset), asset
    # No inline script that would need 'unsafe-inline': only the JSON settings block.
    assert "<script>" not in html.replace(" ", "")
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
