"""The reports' pages and downloads: who may use them, what they show, what is audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.escalations.tests.factories import EscalationFactory, World, make_world
from escalate.reports.tests.data import make_fixed_data_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    world = make_world(notifications=[], access_roles=["business_manager"])
    make_fixed_data_set(world)
    return world


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


PARTNERSHIP_PAGES = [
    ("GET", reverse("reports:dashboard")),
    ("GET", reverse("reports:chart", args=["categories"])),
    ("GET", reverse("reports:figures", args=["csv"])),
    ("POST", reverse("reports:figures", args=["csv"])),
    ("GET", reverse("reports:figures", args=["xlsx"])),
    ("POST", reverse("reports:figures", args=["xlsx"])),
    ("GET", reverse("reports:learning")),
    ("GET", reverse("reports:briefing", args=["2026-q1"])),
    ("GET", reverse("reports:board_report")),
    ("POST", reverse("reports:board_report")),
]


@pytest.mark.parametrize(("method", "url"), PARTNERSHIP_PAGES)
def test_a_person_without_a_partnership_role_gets_403(world: World, method: str, url: str) -> None:
    for person in (world.outsider, world.teacher):
        client = client_for(person)
        data = {"reason": "For the board", "year": "2026", "period": "q1"}
        response = client.post(url, data) if method == "POST" else client.get(url)
        assert response.status_code == 403, (person, url)
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()


@pytest.mark.parametrize("file_format", ["pdf", "docx"])
def test_the_record_is_404_for_anyone_who_may_not_see_the_escalation(
    world: World, file_format: str
) -> None:
    url = reverse("reports:escalation_record", args=["FIX-2026-0001", file_format])
    client = client_for(world.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "For the file"}).status_code == 404
    missing = reverse("reports:escalation_record", args=["FIX-2026-9999", file_format])
    assert client_for(world.business_manager).get(missing).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()


def test_the_dashboard_shows_figures_and_a_table_beside_every_chart(world: World) -> None:
    page = client_for(world.business_manager).get(reverse("reports:dashboard")).content.decode()
    assert 'id="figure-total">11<' in page
    assert 'id="figure-median">5.5<' in page
    assert 'id="figure-p90">11<' in page
    assert page.count('<img class="govuk-!-width-full" src="/reports/charts/') == 8
    assert page.count('<table class="govuk-table">') == 8
    assert "fewer than 5" in page
    for escalation_name in ("Fixed Child", "FIX-2026"):
        assert escalation_name not in page  # no identifiers


def test_the_dashboard_counts_a_repeat_escalation_linked_at_raise(world: World) -> None:
    """Raising about the same child as an earlier escalation links them (privacy/search.py);
    the dashboard counts the later one as a repeat, with its share, and in the download."""
    from escalate.escalations import services

    first = services.raise_escalation(
        by=world.teacher, details=world.details(case_references="LA-55501")
    )
    services.raise_escalation(
        by=world.teacher,
        details=world.details(case_references="LA-55501", link_to=(first.reference,)),
    )
    client = client_for(world.business_manager)
    page = client.get(reverse("reports:dashboard")).content.decode()
    assert "Repeat escalations (same child as an earlier one)" in page
    assert 'id="figure-repeat">1 (8% of those raised)<' in page  # 1 of 13
    filtered = client.get(reverse("reports:dashboard"), {"category": "planning"}).content.decode()
    assert 'id="figure-repeat">0 (0% of those raised)<' in filtered  # both are threshold
    download = client.post(reverse("reports:figures", args=["csv"]), {"reason": "Board"})
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert ["Summary", "Repeat escalations (same child as an earlier one)", "1"] in rows


def test_bad_filter_dates_show_the_error_summary_not_a_500(world: World) -> None:
    client = client_for(world.business_manager)
    response = client.get(
        reverse("reports:dashboard"),
        {"date_from_day": "31", "date_from_month": "2", "date_from_year": "2026", "agency": "x"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "Raised from must be a real date" in page
    assert "Select an agency from the list" in page
    assert 'value="31"' in page  # what was typed is kept
    reversed_dates = client.get(
        reverse("reports:dashboard"),
        {
            "date_from_day": "1",
            "date_from_month": "6",
            "date_from_year": "2026",
            "date_to_day": "1",
            "date_to_month": "1",
            "date_to_year": "2026",
        },
    )
    assert reversed_dates.status_code == 400
    assert "Raised to must be the same as or after raised from" in reversed_dates.content.decode()
    chart = client.get(reverse("reports:chart", args=["categories"]), {"date_to_year": "20x6"})
    assert chart.status_code == 400


def test_filters_apply_to_the_page(world: World) -> None:
    page = (
        client_for(world.business_manager)
        .get(reverse("reports:dashboard"), {"category": "planning"})
        .content.decode()
    )
    assert 'id="figure-total">4<' in page
    assert "/reports/charts/categories.svg?category=planning" in page


def test_charts_are_svg_drawn_by_matplotlib(world: World) -> None:
    response = client_for(world.business_manager).get(
        reverse("reports:chart", args=["raising_agency"])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert "<svg" in svg and "Matplotlib" in svg
    assert "2 with fewer than 5 not drawn" in svg
    unknown = client_for(world.business_manager).get(reverse("reports:chart", args=["nope"]))
    assert unknown.status_code == 404


def _dashboard_queries(person: Person) -> int:
    client = client_for(person)
    client.get(reverse("reports:dashboard"))  # warm the session and caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:dashboard"), {"category": "threshold"})
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_escalations() -> None:
    world = make_world(notifications=[], access_roles=["business_manager"])

    def add(count: int) -> None:
        for number in range(count):
            closed = timezone.now() - timedelta(days=number % 9)
            EscalationFactory(
                partnership=world.partnership,
                policy_version=world.policy,
                raiser_agency=[world.school, world.csc, world.health][number % 3],
                respondent_agency=world.csc,
                raised_at=closed - timedelta(days=20 + number),
                status="resolved" if number % 2 else "open",
                closed_at=closed if number % 2 else None,
                learning="Talk sooner." if number % 2 else "",
                learning_themes=[f"theme {number % 4}"] if number % 2 else [],
            )

    add(5)
    with_five = _dashboard_queries(world.business_manager)
    add(35)
    assert _dashboard_queries(world.business_manager) == with_five
    assert with_five <= 25  # 22 when this test was written


def test_figures_download_asks_for_a_reason_and_audits_it(world: World) -> None:
    client = client_for(world.business_manager)
    url = reverse("reports:figures", args=["csv"])
    form = client.get(url)
    assert form.status_code == 200
    assert "Why do you need this export?" in form.content.decode()
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 400
    assert "Enter why you need this export" in missing.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()

    response = client.post(url, {"reason": "Quarterly board meeting"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="escalation-figures.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["Summary", "Escalations raised", "11"] in rows
    assert ["Working days to resolution", "Median", "5.5"] in rows
    assert ["Escalations by raising agency", world.health.name, "fewer than 5"] in rows
    assert not any("Fixed Child" in cell for row in rows for cell in row)
    event = AuditEvent.objects.get(action="export_figures_csv")
    assert event.reason == "Quarterly board meeting"
    assert event.actor == world.business_manager


def test_a_name_that_looks_like_a_formula_is_written_as_text(world: World) -> None:
    world.school.name = "=HYPERLINK(1)"
    world.school.save()
    response = client_for(world.business_manager).post(
        reverse("reports:figures", args=["csv"]), {"reason": "Checking the export"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["Escalations by raising agency", "'=HYPERLINK(1)", "6"] in rows


def test_every_typed_name_is_neutralised_in_csv_and_xlsx(world: World) -> None:
    # The partnership's and agencies' names are typed by people too; so are filter values.
    world.school.partnership.name = "=cmd|' /C calc'!A0"
    world.school.partnership.save()
    world.school.name = "@SUM(1+1)"
    world.school.save()
    world.health.name = " +1-1"
    world.health.save()
    client = client_for(world.business_manager)
    url = reverse("reports:figures", args=["csv"]) + "?agency=" + str(world.school.pk)
    rows = list(
        csv.reader(
            io.StringIO(client.post(url, {"reason": "Checking"}).content.decode("utf-8-sig"))
        )
    )
    cells = [cell for row in rows for cell in row if cell]
    assert "'=cmd|' /C calc'!A0: escalation figures" in cells
    assert any(cell.startswith("Agency: '@SUM") or "@SUM(1+1)" in cell for cell in cells)
    assert not [cell for cell in cells if cell.lstrip(" ")[:1] in ("=", "+", "-", "@")]

    url = reverse("reports:figures", args=["xlsx"])
    book = load_workbook(io.BytesIO(client.post(url, {"reason": "Checking"}).content))
    written = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    texts = {cell.value for cell in written if isinstance(cell.value, str)}
    assert "=cmd|' /C calc'!A0: escalation figures" in texts  # text, as typed
    assert "@SUM(1+1)" in texts and " +1-1" in texts
    assert not [cell for cell in written if cell.data_type == "f"]  # never a formula


def test_xlsx_download_with_filters(world: World) -> None:
    client = client_for(world.business_manager)
    url = reverse("reports:figures", args=["xlsx"]) + "?agency=" + str(world.school.pk)
    response = client.post(url, {"reason": "Agency review"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary = [list(row) for row in book["Summary"].iter_rows(values_only=True)]
    assert ["Summary", "Escalations raised", "8"] in summary
    assert ["Summary", "Withdrawn", "fewer than 5"] in summary  # one agency: all small counts
    categories = [list(row) for row in book["Categories"].iter_rows(values_only=True)]
    assert ["Threshold decisions", 6] in categories
    assert ["Planning and review", "fewer than 5"] in categories
    event = AuditEvent.objects.get(action="export_figures_xlsx")
    assert world.school.name in event.object_id


def test_board_report_pdf_has_the_charts_tables_and_themes(world: World) -> None:
    client = client_for(world.business_manager)
    url = reverse("reports:board_report")
    bad = client.post(url, {"year": "20x6", "period": "", "reason": ""})
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Year must be a number, like 2026" in page
    assert "Select the period the report covers" in page
    response = client.post(url, {"year": "2026", "period": "q1", "reason": "Board meeting"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Quarterly report, January to March 2026" in text
    assert "Escalations by category" in text
    assert "communication" in text and "thresholds" in text
    assert "Fixed Child" not in text
    assert AuditEvent.objects.get(action="export_board_report_pdf").reason == "Board meeting"


def test_learning_and_briefing_pages(world: World) -> None:
    client = client_for(world.business_manager)
    page = client.get(reverse("reports:learning"), {"theme": "thresholds"}).content.decode()
    assert "Use the threshold document together." in page
    assert "Record the reasons for every decision." not in page
    briefing = client.get(reverse("reports:briefing", args=["2026-q1"])).content.decode()
    assert "7 minute briefing" in briefing
    assert "January to March 2026" in briefing
    assert client.get(reverse("reports:briefing", args=["2026-q5"])).status_code == 404


def test_the_dashboard_is_in_the_navigation_only_for_partnership_roles(world: World) -> None:
    assert 'href="/reports/"' in client_for(world.business_manager).get("/").content.decode()
    assert 'href="/reports/"' not in client_for(world.teacher).get("/").content.decode()


def test_an_unknown_format_is_404(world: World) -> None:
    client = client_for(world.business_manager)
    assert client.get("/reports/figures.exe").status_code == 404
    assert client.get("/reports/escalations/FIX-2026-0001/record.exe").status_code == 404


def test_the_briefings_what_you_should_do_comes_from_the_policy_with_a_shipped_default() -> None:
    """Issue 17, point 6: the 7 minute briefing's advice is the policy's, else the default."""
    from escalate.escalations.tests.factories import policy_document
    from escalate.policies.schema_forms import DEFAULT_WHAT_YOU_SHOULD_DO

    document = policy_document()
    document["briefing"] = {"what_you_should_do": ["Ring the Testshire duty desk first."]}
    own = make_world(document)
    url = reverse("reports:briefing", args=["2026-q1"])
    page = client_for(own.business_manager).get(url).content.decode()
    assert "Ring the Testshire duty desk first." in page
    assert DEFAULT_WHAT_YOU_SHOULD_DO[0] not in page
    shipped = client_for(make_world().business_manager).get(url).content.decode()
    for advice in DEFAULT_WHAT_YOU_SHOULD_DO:
        assert advice.replace("'", "&#x27;") in shipped
