"""Bulk import of people from a CSV or XLSX file: read, check every row, then apply all or none.

`read_people_file` turns an upload into rows (refusing a file that is too large, not CSV/XLSX,
or has a formula in a cell); `plan_import` checks every row against the partnership (one error
per row, naming the row, the column and what is expected); `apply_import` writes a valid plan
through the same `save_person` service as the person page, in one transaction. An unchanged
row writes nothing, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from escalate.audit.services import record_audit
from escalate.directory.models import Agency, Level, Partnership, Person, Role
from escalate.directory.services import PersonDetails, circular_line, save_person

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# Columns read from each row. A workbook can declare 16,384 columns, which read-only openpyxl
# fills in cell by cell for every row (a 60KB file took 47 seconds); the template has 9.
MAX_COLUMNS = 50
# Line breaks, tabs and other control characters have no place in a directory field.
CONTROL_CHARACTERS = frozenset(chr(code) for code in (*range(32), 127))
COLUMNS = (
    "email",
    "full_name",
    "agency",
    "job_title",
    "phone",
    "level",
    "line_manager_email",
    "roles",
    "senior_officer",
)
REQUIRED = ("email", "full_name", "agency")
EXAMPLE = (
    "sam.example@school.example.org",
    "Sam Example",
    "Riverside Primary School",
    "Class teacher",
    "01234 567890",
    "1",
    "dee.lead@school.example.org",
    "",
    "no",
)
ROLE_CODES = {value: value for value in Role.values} | {
    str(label).lower(): value for value, label in Role.choices
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


class ImportRefused(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportPlan:
    rows: list[dict[str, str]]
    errors: list[RowError] = field(default_factory=list)
    adds: int = 0
    changes: int = 0
    unchanged: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _looks_like_formula(value: str) -> bool:
    text = value.lstrip(" \t\r\n")
    if not text:
        return False
    if text[0] in "=@" or value[:1] in "\t\r":
        return True
    # "+44 1234" and "-" alone are fine; "+SUM(...)" or "-1+A1" are not.
    return text[0] in "+-" and len(text) > 1 and not text[1:].replace(" ", "").isdigit()


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("The file must be a CSV saved as UTF-8, or an XLSX workbook.") from None
    if "\x00" in text:
        raise ImportRefused("The file must be a CSV or an XLSX workbook.")
    try:
        return [row[:MAX_COLUMNS] for row in csv.reader(io.StringIO(text))]
    except csv.Error:  # e.g. a field longer than the csv module's limit (128KB)
        raise ImportRefused(
            "The file could not be read as a CSV: a cell is too long or its quotes do not match."
        ) from None


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A zip bomb is refused before openpyxl expands anything.
            if sum(info.file_size for info in archive.infolist()) > 50 * MAX_BYTES:
                raise ImportRefused("The workbook is too large once opened.")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except ImportRefused:
        raise
    except Exception:
        raise ImportRefused("The file could not be opened as an XLSX workbook.") from None
    try:
        return _xlsx_rows(book)
    except ImportRefused:
        raise
    except Exception:  # a sheet whose XML or cell values openpyxl cannot read
        raise ImportRefused("The file could not be opened as an XLSX workbook.") from None
    finally:
        book.close()


def _xlsx_rows(book: Any) -> list[list[str]]:
    if not book.worksheets:
        raise ImportRefused("The workbook has no sheet of people.")
    sheet = book.worksheets[0]
    rows: list[list[str]] = []
    # Blank rows count towards this bound, so a sheet of a million empty rows is not walked.
    last_row = 2 * MAX_ROWS + 1
    cells_by_row = sheet.iter_rows(max_row=last_row + 1, max_col=MAX_COLUMNS)
    for number, cells in enumerate(cells_by_row, start=1):
        if number > last_row:
            raise ImportRefused(
                f"The sheet has more than {last_row} rows (blank rows count). Remove the empty "
                "rows, or split the file."
            )
        values: list[str] = []
        for cell in cells:
            if getattr(cell, "data_type", "") == "f":
                column = getattr(cell, "column_letter", "?")
                raise ImportRefused(
                    f"Row {number}, column {column} has a formula. Paste values only, then "
                    "upload again."
                )
            value = cell.value
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            values.append("" if value is None else str(value))
        rows.append(values)
    return rows


def read_people_file(upload: IO[bytes], *, name: str, size: int) -> list[dict[str, str]]:
    """The file's rows as {column: value}, header row first. ImportRefused for the whole file."""
    if size > MAX_BYTES:
        raise ImportRefused(f"The file must be smaller than {MAX_BYTES // (1024 * 1024)}MB.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"The file must be smaller than {MAX_BYTES // (1024 * 1024)}MB.")
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        if not data.startswith(b"PK\x03\x04"):
            raise ImportRefused("The file is called .xlsx but is not an XLSX workbook.")
        table = _read_xlsx(data)
    elif lowered.endswith(".csv"):
        table = _read_csv(data)
    else:
        raise ImportRefused("The file must be a CSV or an XLSX workbook.")
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise ImportRefused("The file is empty.")
    header = [cell.strip().lower().replace(" ", "_") for cell in table[0]]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportRefused(
            f"The first row must name the columns; {', '.join(missing)} is missing. "
            "Download the template to see them."
        )
    if len(table) - 1 > MAX_ROWS:
        raise ImportRefused(f"The file can have at most {MAX_ROWS} people.")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        row = {"_row": str(number)}
        for index, column in enumerate(header):
            if column in COLUMNS:
                value = cells[index] if index < len(cells) else ""
                if _looks_like_formula(value):
                    raise ImportRefused(
                        f"Row {number}, column {column} starts like a formula ({value[:20]!r}). "
                        "Remove it, then upload again."
                    )
                row[column] = value.strip()
        rows.append(row)
    return rows


def _parse_row(
    row: dict[str, str], agencies: dict[str, Agency]
) -> tuple[dict[str, object], RowError | None]:
    number = int(row["_row"])

    def error(column: str, message: str) -> tuple[dict[str, object], RowError]:
        return {}, RowError(number, column, message)

    for column in COLUMNS:
        if CONTROL_CHARACTERS.intersection(row.get(column, "")):
            return error(column, "expected text on one line, without tabs or control characters")
    email = row.get("email", "").lower()
    try:
        validate_email(email)
    except ValidationError:
        return error("email", f"expected an email address like name@example.org, not {email!r}")
    if not row.get("full_name"):
        return error("full_name", "expected the person's full name")
    if len(row["full_name"]) > 150:
        return error("full_name", "expected at most 150 characters")
    agency = agencies.get(row.get("agency", "").lower())
    if agency is None:
        return error(
            "agency",
            f"unknown agency {row.get('agency', '')!r}: expected the name of an agency of the "
            "partnership (add it in the directory first)",
        )
    level_text = row.get("level", "") or "1"
    if level_text not in {str(level) for level in Level.values}:
        return error("level", f"expected a level from 1 to 4, not {level_text!r}")
    roles: set[str] = set()
    for part in row.get("roles", "").replace(",", ";").split(";"):
        part = part.strip().lower()
        if not part:
            continue
        if part not in ROLE_CODES:
            return error(
                "roles", f"unknown role {part!r}: expected roles such as dsl; line_manager"
            )
        roles.add(ROLE_CODES[part])
    roles.discard(Role.PRACTITIONER)
    senior = row.get("senior_officer", "").lower()
    if senior not in YES | NO:
        return error("senior_officer", f"expected yes or no, not {senior!r}")
    manager_email = row.get("line_manager_email", "").lower()
    if manager_email == email:
        return error("line_manager_email", "a person cannot be their own line manager")
    for column in ("job_title", "phone"):
        if len(row.get(column, "")) > (150 if column == "job_title" else 40):
            return error(column, "expected a shorter value")
    return {
        "email": email,
        "full_name": row["full_name"],
        "agency": agency,
        "job_title": row.get("job_title", ""),
        "phone": row.get("phone", ""),
        "level": int(level_text),
        "line_manager_email": manager_email,
        "roles": frozenset(roles),
        "is_senior_officer": senior in YES,
    }, None


def _cycle_from(email: str, managers: dict[str, str]) -> bool:
    seen = {email}
    current = managers.get(email, "")
    while current:
        if current in seen:
            return current == email
        seen.add(current)
        current = managers.get(current, "")
    return False


def plan_import(*, partnership: Partnership, rows: Sequence[dict[str, str]]) -> ImportPlan:
    """Check every row; count what would be added, changed and left alone."""
    plan = ImportPlan(rows=list(rows))
    agencies = {a.name.lower(): a for a in Agency.objects.filter(partnership=partnership)}
    existing = {
        p.email: p
        for p in Person.objects.filter(partnership=partnership).select_related("line_manager")
    }
    taken_elsewhere = set(
        Person.objects.exclude(partnership=partnership)
        .filter(email__in=[row.get("email", "").lower() for row in rows])
        .values_list("email", flat=True)
    )
    parsed: dict[str, dict[str, object]] = {}
    for row in rows:
        values, problem = _parse_row(row, agencies)
        email = str(values.get("email", ""))
        if problem is None and email in parsed:
            problem = RowError(int(row["_row"]), "email", f"{email} is on an earlier row too")
        if problem is None and email in taken_elsewhere:
            problem = RowError(int(row["_row"]), "email", f"{email} has an account elsewhere")
        if problem is not None:
            plan.errors.append(problem)
            continue
        values["_row"] = int(row["_row"])
        parsed[email] = values
    # Line managers: someone in the file or already in the partnership, with no loop.
    managers = {
        email: (person.line_manager.email if person.line_manager else "")
        for email, person in existing.items()
    }
    managers |= {email: str(values["line_manager_email"]) for email, values in parsed.items()}
    for email, values in parsed.items():
        manager = str(values["line_manager_email"])
        number = int(str(values["_row"]))
        if manager and manager not in parsed and manager not in existing:
            plan.errors.append(
                RowError(
                    number,
                    "line_manager_email",
                    f"line manager {manager} not found: expected someone in this file or "
                    "already in the partnership",
                )
            )
        elif manager and _cycle_from(email, managers):
            plan.errors.append(
                RowError(
                    number,
                    "line_manager_email",
                    f"circular management line: {manager} is managed, through others, by {email}",
                )
            )
    plan.errors.sort(key=lambda e: e.row)
    if plan.errors:
        return plan
    for email, values in parsed.items():
        person = existing.get(email)
        if person is None:
            plan.adds += 1
        elif _differs(person, values):
            plan.changes += 1
        else:
            plan.unchanged += 1
    return plan


def _differs(person: Person, values: dict[str, object]) -> bool:
    manager_email = person.line_manager.email if person.line_manager else ""
    agency = values["agency"]
    assert isinstance(agency, Agency)
    return (
        person.full_name != values["full_name"]
        or person.agency_id != agency.pk
        or person.job_title != values["job_title"]
        or person.phone != values["phone"]
        or person.level != values["level"]
        or manager_email != values["line_manager_email"]
        or person.is_senior_officer != values["is_senior_officer"]
        or person.role_set != values["roles"]
    )


@dataclass(frozen=True)
class ImportResult:
    added: list[Person]
    changed: int
    unchanged: int


@transaction.atomic
def apply_import(
    *, by: Person, partnership: Partnership, rows: Sequence[dict[str, str]]
) -> ImportResult:
    """Check `rows` again and write them all, or raise ValueError and write nothing.

    People are saved first with the line managers that already exist, then the line managers
    who are new in the file; each save is `save_person` (audited per person). One more audit
    row records the import's totals.
    """
    plan = plan_import(partnership=partnership, rows=rows)
    if not plan.is_valid:
        raise ValueError("; ".join(str(error) for error in plan.errors))
    agencies = {a.name.lower(): a for a in Agency.objects.filter(partnership=partnership)}
    parsed = [_parse_row(row, agencies)[0] for row in rows]
    people = {p.email: p for p in Person.objects.filter(partnership=partnership)}
    added: list[Person] = []
    pending: list[dict[str, object]] = []
    for values in parsed:
        person = people.get(str(values["email"]))
        manager_email = str(values["line_manager_email"])
        manager = people.get(manager_email) if manager_email else None
        if manager_email and (
            manager is None or (person is not None and circular_line(person, manager))
        ):
            # New in this file, or only valid once the rest of the file is in place.
            pending.append(values)
            manager = person.line_manager if person is not None else None
        saved, _ = save_person(
            by=by, partnership=partnership, person=person, details=_details(values, manager)
        )
        people[saved.email] = saved
        if person is None:
            added.append(saved)
    for values in pending:
        save_person(
            by=by,
            partnership=partnership,
            person=people[str(values["email"])],
            details=_details(values, people[str(values["line_manager_email"])]),
        )
    if plan.adds or plan.changes:
        record_audit(
            actor=by,
            action="people_imported",
            partnership=partnership,
            changes={"added": (0, plan.adds), "changed": (0, plan.changes)},
        )
    return ImportResult(added=added, changed=plan.changes, unchanged=plan.unchanged)


def _details(values: dict[str, object], manager: Person | None) -> PersonDetails:
    agency = values["agency"]
    roles = values["roles"]
    assert isinstance(agency, Agency) and isinstance(roles, frozenset)
    return PersonDetails(
        email=str(values["email"]),
        full_name=str(values["full_name"]),
        agency=agency,
        job_title=str(values["job_title"]),
        phone=str(values["phone"]),
        level=int(str(values["level"])),
        line_manager=manager,
        roles=roles,
        is_senior_officer=bool(values["is_senior_officer"]),
    )


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE)
    return out.getvalue()


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "People"
    sheet.append(list(COLUMNS))
    sheet.append(list(EXAMPLE))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
