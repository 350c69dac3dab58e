"""Error reports sent to Sentry carry no personal data: only types, code locations, request id."""

from __future__ import annotations

from escalate.operations.observability import init_error_reporting, scrub


def test_scrub_removes_everything_that_could_hold_personal_data() -> None:
    event = {
        "message": "child Sam Example",
        "request": {"url": "/escalations/RIV-2026-0001/", "data": {"subject_name": "Sam"}},
        "breadcrumbs": {"values": [{"message": "SELECT … Sam Example"}]},
        "user": {"email": "amira.khan@riverside.example.org"},
        "extra": {"sys.argv": ["manage.py"]},
        "logentry": {"message": "Failed for %s", "params": ["Sam Example"], "formatted": "x"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "Sam Example born 3 April 2015",
                    "stacktrace": {"frames": [{"filename": "a.py", "vars": {"name": "Sam"}}]},
                }
            ]
        },
    }
    cleaned = scrub(event)
    text = repr(cleaned)
    assert "Sam" not in text
    assert "amira" not in text
    assert cleaned["exception"]["values"][0]["type"] == "ValueError"
    assert cleaned["exception"]["values"][0]["stacktrace"]["frames"][0]["filename"] == "a.py"
    assert cleaned["logentry"]["message"] == "Failed for %s"
    assert cleaned["tags"]["request_id"] == "-"


def test_error_reporting_is_off_without_a_dsn(monkeypatch) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert init_error_reporting() is False
