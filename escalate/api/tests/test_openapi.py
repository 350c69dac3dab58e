"""The OpenAPI document: served, committed, and in step; the documentation page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from escalate.api.management.commands.export_openapi import DEFAULT_PATH, openapi_text
from escalate.directory.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_committed_document_matches_the_api() -> None:
    committed = Path(DEFAULT_PATH)
    assert committed.is_relative_to(Path(settings.BASE_DIR) / "docs" / "api")
    assert committed.read_text(encoding="utf-8") == openapi_text(), (
        "The API changed: run `.venv/bin/python manage.py export_openapi` and commit "
        "docs/api/openapi.json"
    )


def test_the_document_is_served_without_a_token() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Escalate API"
    assert "/api/v1/escalations/{reference}/resolve" in schema["paths"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("security"), f"{method} {path} has no token requirement"
            assert "401" in operation["responses"] and "429" in operation["responses"]


def test_export_openapi_writes_the_document(tmp_path) -> None:
    from django.core.management import call_command

    target = tmp_path / "openapi.json"
    call_command("export_openapi", output=target)
    assert target.read_text(encoding="utf-8") == openapi_text()


def test_the_documentation_page_lists_every_operation_from_local_files(client) -> None:
    client.force_login(PersonFactory())
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/escalations/{reference}/discussions" in html
    assert "<script" not in html.split("</main>")[0].split("<main")[-1]
    assert "cdn" not in html.lower()


def test_the_contract_and_its_page_are_both_public_and_hold_no_data() -> None:
    # A deliberate choice (docs/api.md): the document and the page drawn from it are public;
    # before, the document was public and the page was not.
    person = PersonFactory(full_name="Quentin Unlisted")
    anonymous = Client()
    page = anonymous.get("/api/docs/")
    schema = anonymous.get("/api/v1/openapi.json")
    assert page.status_code == 200 and schema.status_code == 200
    paths = schema.json()["paths"]
    html = page.content.decode()
    assert all(path in html for path in paths)
    texts: list[str] = [html, schema.content.decode()]
    for text in texts:
        assert str(person.full_name) not in text
        assert str(person.partnership.name) not in text
