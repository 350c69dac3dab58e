"""Bulk import of people: errors per row, all or nothing, idempotent, refused files."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from escalate.audit.models import AuditEvent
from escalate.directory import importing
from escalate.directory.models import Person, Role
from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db


def manager_of_new_partnership() -> Person:
    agency = AgencyFactory(name="Riverside Primary School")
    AgencyFactory(name="Children's Social Care", partnership=agency.partnership)
    manager: Person = PersonFactory(agency=agency, roles=[Role.BUSINESS_MANAGER], level=3)
    return manager


def people_rows(count: int, *, bad: dict[int, dict[str, str]] | None = None) -> list[list[str]]:
    rows = [list(importing.COLUMNS)]
    for n in range(count):
        row = {
            "email": f"person{n}@riverside.example.org",
            "full_name": f"Person {n}",
            "agency": "Riverside Primary School" if n % 2 else "Children's Social Care",
            "job_title": "Teacher",
            "phone": "+44 1234 567890",
            "level": "1" if n else "3",
            "line_manager_email": "" if n == 0 else "person0@riverside.example.org",
            "roles": "dsl" if n == 1 else "",
            "senior_officer": "no",
        }
        row.update((bad or {}).get(n, {}))
        rows.append([row[column] for column in importing.COLUMNS])
    return rows


def as_csv(rows: list[list[str]]) -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile("people.csv", out.getvalue().encode(), content_type="text/csv")


def as_xlsx(rows: list[list[object]]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("people.xlsx", out.getvalue())


def upload(client: Client, file: SimpleUploadedFile) -> str:
    return client.post("/directory/people/import/", {"file": file, "invite": "on"}).content.decode()


def test_bad_rows_are_named_and_nothing_is_imported_until_every_row_is_right(
    client: Client,
) -> None:
    manager = manager_of_new_partnership()
    client.force_login(manager)
    bad = {
        3: {"agency": "Hogwarts"},
        5: {"email": "not-an-email"},
        7: {"line_manager_email": "ghost@riverside.example.org"},
    }
    text = upload(client, as_csv(people_rows(10, bad=bad)))
    assert "Nothing has been imported: 3 rows need fixing" in text
    assert "unknown agency &#x27;Hogwarts&#x27;" in text
    assert "expected an email address" in text
    assert "line manager ghost@riverside.example.org not found" in text
    assert Person.objects.count() == 1
    assert client.post("/directory/people/import/confirm/").status_code == 302
    assert Person.objects.count() == 1

    text = upload(client, as_csv(people_rows(10)))
    assert "Check before importing" in text and "Import 10 people" in text
    response = client.post("/directory/people/import/confirm/")
    assert response.status_code == 302 and response["Location"] == "/directory/people/"
    assert Person.objects.count() == 11
    lead = Person.objects.get(email="person0@riverside.example.org")
    assert Person.objects.get(email="person4@riverside.example.org").line_manager == lead
    assert Person.objects.get(email="person1@riverside.example.org").has_role(
        Role.DESIGNATED_SAFEGUARDING_LEAD
    )
    assert Notification.objects.filter(event="account_invited").count() == 10
    assert AuditEvent.objects.filter(action="people_imported").count() == 1


def test_reimporting_changes_nothing_and_a_changed_file_updates_only_what_changed() -> None:
    manager = manager_of_new_partnership()
    partnership = manager.partnership
    assert partnership is not None
    rows = importing.read_people_file(as_csv(people_rows(6)), name="p.csv", size=100)
    importing.apply_import(by=manager, partnership=partnership, rows=rows)
    audit_rows = AuditEvent.objects.count()
    again = importing.plan_import(partnership=partnership, rows=rows)
    assert (again.adds, again.changes, again.unchanged) == (0, 0, 6)
    importing.apply_import(by=manager, partnership=partnership, rows=rows)
    assert AuditEvent.objects.count() == audit_rows

    changed = people_rows(6, bad={2: {"job_title": "Deputy head"}})
    rows = importing.read_people_file(as_csv(changed), name="p.csv", size=100)
    result = importing.apply_import(by=manager, partnership=partnership, rows=rows)
    assert (len(result.added), result.changed, result.unchanged) == (0, 1, 5)
    assert Person.objects.get(email="person2@riverside.example.org").job_title == "Deputy head"
    assert AuditEvent.objects.filter(action="person_changed").count() == 1


def test_a_circular_management_line_is_refused() -> None:
    manager = manager_of_new_partnership()
    assert manager.partnership is not None
    rows = people_rows(3, bad={0: {"line_manager_email": "person2@riverside.example.org"}})
    parsed = importing.read_people_file(as_csv(rows), name="p.csv", size=100)
    plan = importing.plan_import(partnership=manager.partnership, rows=parsed)
    assert any("circular management line" in str(error) for error in plan.errors)
    assert all(error.column == "line_manager_email" for error in plan.errors)


def test_managers_can_be_swapped_in_one_file() -> None:
    manager = manager_of_new_partnership()
    partnership = manager.partnership
    assert partnership is not None
    first = importing.read_people_file(as_csv(people_rows(3)), name="p.csv", size=1)
    importing.apply_import(by=manager, partnership=partnership, rows=first)
    swapped = people_rows(
        3,
        bad={
            0: {"line_manager_email": "person1@riverside.example.org"},
            1: {"line_manager_email": ""},
        },
    )
    rows = importing.read_people_file(as_csv(swapped), name="p.csv", size=1)
    importing.apply_import(by=manager, partnership=partnership, rows=rows)
    lead = Person.objects.get(email="person0@riverside.example.org")
    assert lead.line_manager is not None and lead.line_manager.email.startswith("person1")


def test_xlsx_is_read_and_a_formula_is_refused() -> None:
    rows: list[list[object]] = [list(r) for r in people_rows(2)]
    assert len(importing.read_people_file(as_xlsx(rows), name="p.xlsx", size=1)) == 2
    rows[2][1] = '=HYPERLINK("http://evil.example.org","x")'
    with pytest.raises(importing.ImportRefused, match="formula"):
        importing.read_people_file(as_xlsx(rows), name="p.xlsx", size=1)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.pdf", b"%PDF-1.7", "must be a CSV or an XLSX"),
        ("people.xlsx", b"email,full_name\n", "not an XLSX workbook"),
        ("people.csv", b"\xff\xfe\x00bad", "UTF-8"),
        ("people.csv", b"name,phone\nA,1\n", "email, full_name, agency is missing"),
        ("people.csv", b"email,full_name,agency\n=1+1,A,B\n", "starts like a formula"),
        ("people.csv", b"email,full_name,agency\n@SUM(A1),A,B\n", "starts like a formula"),
        ("people.csv", b"", "empty"),
    ],
)
def test_unreadable_files_are_refused_clearly(name: str, content: bytes, message: str) -> None:
    with pytest.raises(importing.ImportRefused, match=message):
        importing.read_people_file(io.BytesIO(content), name=name, size=len(content))


def test_a_file_too_large_is_refused_on_the_page(client: Client) -> None:
    client.force_login(manager_of_new_partnership())
    big = SimpleUploadedFile("people.csv", b"x" * (importing.MAX_BYTES + 1))
    text = upload(client, big)
    assert "The file must be smaller than 2MB" in text


def test_the_template_downloads_and_imports_cleanly(client: Client) -> None:
    manager = manager_of_new_partnership()
    client.force_login(manager)
    csv_template = client.get("/directory/people/import/template.csv")
    assert csv_template["Content-Disposition"].endswith('people-template.csv"')
    xlsx = client.get("/directory/people/import/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    rows = importing.read_people_file(
        io.BytesIO(csv_template.content), name="t.csv", size=len(csv_template.content)
    )
    assert rows[0]["email"] == "sam.example@school.example.org"
    assert client.get("/directory/people/import/template.pdf").status_code == 404


def test_an_email_of_another_partnership_is_refused() -> None:
    manager = manager_of_new_partnership()
    assert manager.partnership is not None
    PersonFactory(email="person1@riverside.example.org")
    rows = importing.read_people_file(as_csv(people_rows(2)), name="p.csv", size=1)
    plan = importing.plan_import(partnership=manager.partnership, rows=rows)
    assert [str(error) for error in plan.errors] == [
        "Row 3, column email: person1@riverside.example.org has an account elsewhere"
    ]


def test_a_csv_cell_longer_than_the_csv_reader_allows_is_refused_not_a_crash() -> None:
    content = b"email,full_name,agency\na@b.example.org," + b"x" * 200_000 + b",Agency\n"
    with pytest.raises(importing.ImportRefused, match="could not be read as a CSV"):
        importing.read_people_file(io.BytesIO(content), name="p.csv", size=len(content))


def test_a_workbook_whose_sheet_is_broken_is_refused_not_a_crash() -> None:
    good = as_xlsx([list(r) for r in people_rows(2)]).read()
    broken = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(broken, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut off mid-element
            target.writestr(info, data)
    content = broken.getvalue()
    with pytest.raises(importing.ImportRefused, match="could not be opened as an XLSX"):
        importing.read_people_file(io.BytesIO(content), name="p.xlsx", size=len(content))


def test_a_sheet_declaring_16384_columns_is_read_quickly() -> None:
    # Read-only openpyxl pads every row to the sheet's widest column: unbounded, 4,000 rows
    # with one cell in column XFD took 47 seconds from a 60KB file.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in people_rows(2000):
        sheet.append(row)
    sheet["XFD1"] = "far away"
    out = io.BytesIO()
    book.save(out)
    started = time.monotonic()
    rows = importing.read_people_file(io.BytesIO(out.getvalue()), name="p.xlsx", size=1)
    assert len(rows) == 2000 and rows[1]["email"] == "person1@riverside.example.org"
    assert time.monotonic() - started < 10


def test_a_sheet_with_too_many_rows_counting_blank_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows: list[list[object]] = [list(r) for r in people_rows(1)]
    rows += [[]] * 10 + [list(r) for r in people_rows(2)[2:]]
    with pytest.raises(importing.ImportRefused, match="blank rows count"):
        importing.read_people_file(as_xlsx(rows), name="p.xlsx", size=1)


@pytest.mark.parametrize("value", ["Sam\nExample", "Sam\rExample", "Sam\x07Example", "Sam\tX"])
def test_a_cell_with_a_line_break_or_control_character_is_a_row_error(value: str) -> None:
    manager = manager_of_new_partnership()
    assert manager.partnership is not None
    rows = importing.read_people_file(
        as_csv(people_rows(3, bad={1: {"full_name": value}})), name="p.csv", size=1
    )
    plan = importing.plan_import(partnership=manager.partnership, rows=rows)
    assert [str(error) for error in plan.errors] == [
        "Row 3, column full_name: expected text on one line, without tabs or control characters"
    ]
