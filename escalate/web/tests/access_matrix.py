"""THE access matrix: for every URL of the project, what each role gets for GET and POST.

One row per URL name. A row says, for each method, the outcome for every role (ROLES in
access_world.py): a status code, or `Redirect(path)` (a 302 whose Location starts with path).
`everyone(x)` is the same outcome for every signed-in role; `.but(roles, y)` lists exceptions.
Anonymous visitors are sent to sign in (or, under /api/v1/, answered 401 JSON) unless a row
says otherwise with `.but(["anonymous"], ...)`. An API row says `auth="bearer"`: each role then
sends a bearer token of its own (access_world.api_bearer_token) instead of a session cookie.

The URL arguments come from partnership A of the access world; `other_partnership` is a person
of partnership B, so for A's objects they must get exactly what a stranger gets.

test_access_matrix.py fails if a URL pattern of the project has no row here, so a new page
cannot ship without saying who may reach it. Django's administration pages are covered by one
rule (ADMIN_PREFIX) and checked on the sample rows at the end.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Literal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from escalate.web.tests.access_world import PDF_BYTES, ROLES, AccessWorld


@dataclass(frozen=True)
class Redirect:
    """A 302 to a path starting with `to`."""

    to: str

    def __str__(self) -> str:
        return f"302 to {self.to}"


Outcome = int | Redirect

SIGN_IN = Redirect("/sign-in/?next=")
ADMIN_SIGN_IN = Redirect("/admin/login/?next=")
# The JSON API (token only): anonymous requests are answered 401 with a JSON body. Its pages
# for managing tokens and its documentation are ordinary pages (sign in first).
API_PREFIX = "/api/v1/"
ADMIN_PREFIX = "admin/"
API_UNAUTHORISED = 401


@dataclass(frozen=True)
class Expect:
    """The outcome for every role: `default`, except the roles listed in `exceptions`."""

    default: Outcome
    exceptions: Mapping[str, Outcome] = field(default_factory=lambda: MappingProxyType({}))

    def but(self, roles: Iterable[str], outcome: Outcome) -> Expect:
        roles = list(roles)
        unknown = [role for role in roles if role not in ROLES]
        assert not unknown, f"unknown roles {unknown}"
        return Expect(
            self.default, MappingProxyType({**self.exceptions, **dict.fromkeys(roles, outcome)})
        )

    def for_role(self, role: str, path: str) -> Outcome:
        if role in self.exceptions:
            return self.exceptions[role]
        if role == "anonymous":
            return API_UNAUTHORISED if path.startswith(API_PREFIX) else SIGN_IN
        return self.default


def everyone(outcome: Outcome) -> Expect:
    """The same for every signed-in role (anonymous: sign in, unless excepted)."""
    return Expect(outcome)


def only(roles: Iterable[str], outcome: Outcome, *, others: Outcome) -> Expect:
    return Expect(others).but(roles, outcome)


# --- who is who in partnership A ----------------------------------------------------------

# Participants of A's escalation (at stage 2: both sides' line managers) and the role the
# policy grants (access_roles: business_manager).
PARTICIPANTS: tuple[str, ...] = ("raiser", "respondent", "raiser_manager", "respondent_manager")
SEES_ESCALATION: tuple[str, ...] = (*PARTICIPANTS, "business_manager")
# reports.selectors.REPORT_ROLES plus the policy's access_roles; other_partnership is B's
# business manager, who sees B's figures (test_isolation.py checks they are only B's).
REPORTERS: tuple[str, ...] = (
    "business_manager",
    "partnership_chair",
    "auditor",
    "other_partnership",
)
STAFF: tuple[str, ...] = ("administrator", "superuser")
# The business managers of A and of B (each manages only their own partnership's forms).
BUSINESS_UNITS: tuple[str, ...] = ("business_manager", "other_partnership")
# directory.permissions.DIRECTORY_ROLES: A's business unit; other_partnership manages B's.
DIRECTORY: tuple[str, ...] = ("business_manager", "administrator")
DIRECTORY_ANY: tuple[str, ...] = (*DIRECTORY, "other_partnership")
NO_PARTNERSHIP: tuple[str, ...] = ("superuser",)
# Who may resolve A's escalation now (the core's answer), and who sees it but may not.
DECIDES: tuple[str, ...] = ("raiser", "raiser_manager")
SEES_NOT_DECIDES: tuple[str, ...] = tuple(r for r in SEES_ESCALATION if r not in DECIDES)


# --- URL arguments and bodies --------------------------------------------------------------

Kwargs = Callable[[AccessWorld], dict[str, Any]]
Body = Callable[[AccessWorld], dict[str, Any]]


def no_kwargs(world: AccessWorld) -> dict[str, Any]:
    return {}


def escalation(world: AccessWorld) -> dict[str, Any]:
    return {"reference": world.a.escalation.reference}


def form_body(world: AccessWorld) -> dict[str, Any]:
    """A body every form on the site would accept, so a refusal is the access rule's doing."""
    today = timezone.localdate()
    due = today + timedelta(days=7)
    return {
        "expected_version": world.a.escalation.version,
        "reason": "For the child's file.",
        "rationale": "Our reasons.",
        "message": "Please explain.",
        "note": "Done.",
        "view": "My view.",
        "correction": "The date was wrong.",
        "description": "Call the family.",
        "owner": world.person("raiser").pk,
        "due_on_day": due.day,
        "due_on_month": due.month,
        "due_on_year": due.year,
        "held_on_day": today.day,
        "held_on_month": today.month,
        "held_on_year": today.year,
        "with_whom": "The social worker",
        "method": "phone",
        "summary": "We talked.",
        "outcome": "Not agreed.",
        "decision": "Agreed to a strategy meeting.",
        "decided_by": "Both managers",
        "learning": "Talk earlier.",
        "year": today.year,
        "period": "year",
        "immediate_harm": "no",
        "iro": "not-known",
        "cp_chair": "not-known",
    }


def evidence_body(world: AccessWorld) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("more.pdf", PDF_BYTES, content_type="application/pdf")}


def agency_body(world: AccessWorld) -> dict[str, Any]:
    return {"respondent_agency": world.a.agency.pk}


def wrong_password_body(world: AccessWorld) -> dict[str, Any]:
    return {
        "old_password": "not-the-password",
        "new_password1": "another-long-passphrase-2026",
        "new_password2": "another-long-passphrase-2026",
    }


def sign_in_body(world: AccessWorld) -> dict[str, Any]:
    return {"username": "nobody@testshire.example.org", "password": "not-the-password"}


def code_body(world: AccessWorld) -> dict[str, Any]:
    return {"code": "000000"}


@dataclass(frozen=True)
class Row:
    name: str  # the URL's name with its namespace, e.g. "escalations:detail"
    get: Expect
    post: Expect
    kwargs: Kwargs = no_kwargs
    body: Body = form_body
    label: str = ""  # tells apart two rows for one URL name (different arguments)
    auth: Literal["session", "bearer"] = "session"  # "bearer": the API's token, no session

    @property
    def key(self) -> str:
        return f"{self.name} [{self.label}]" if self.label else self.name


NOT_ALLOWED = everyone(405)

MATRIX: list[Row] = [
    # --- pages that are not about any one escalation -------------------------------------
    Row("home", get=everyone(200), post=NOT_ALLOWED),
    Row(
        "login",
        # Signed-in people are sent home; the sign-in form is for anonymous visitors.
        get=everyone(Redirect("/")).but(["anonymous"], 200),
        post=everyone(Redirect("/")).but(["anonymous"], 200),
        body=sign_in_body,
    ),
    Row("logout", get=NOT_ALLOWED, post=everyone(Redirect("/sign-in/"))),
    Row(
        "health",
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(405).but(["anonymous"], 405),
    ),
    # Load-balancer probes: answered to anyone, before the host check (escalate/operations).
    Row(
        "health_live",
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(405).but(["anonymous"], 405),
    ),
    Row(
        "health_ready",
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(405).but(["anonymous"], 405),
    ),
    # Metrics answer only the scraper's bearer token (tested in operations/tests); 404 otherwise.
    Row(
        "metrics",
        get=everyone(404).but(["anonymous"], 404),
        post=everyone(405).but(["anonymous"], 405),
    ),
    Row(
        "operations:status",
        get=everyone(404).but(["superuser"], 200),
        post=everyone(405),
    ),
    # The legal pages: open to everyone; only a business manager changes their wording.
    Row(
        "privacy:page",
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(405).but(["anonymous"], 405),
        kwargs=lambda w: {"kind": "privacy"},
    ),
    Row(
        "privacy:edit",
        # other_partnership is B's business manager: B's own page, not A's.
        get=everyone(403).but(["business_manager", "other_partnership"], 200),
        post=everyone(403)
        .but(["business_manager", "other_partnership"], Redirect("/legal/cookies/"))
        .but(NO_PARTNERSHIP, 403),
        kwargs=lambda w: {"kind": "cookies"},
        body=lambda w: {"body": "The partnership's own cookies text."},
    ),
    Row(
        "subjects:search",
        # The business unit and designated safeguarding leads; B's business manager searches
        # B's escalations only (test_subject_search checks A's are never found).
        get=everyone(403).but(["business_manager", "raiser_manager", "other_partnership"], 200),
        post=everyone(403).but(["business_manager", "raiser_manager", "other_partnership"], 200),
        body=lambda w: {"name": "Sam", "reason": "subject_access"},
    ),
    Row(
        "subjects:professional_search",
        # The business unit only; B's business manager finds B's directory only.
        get=everyone(403).but(["business_manager", "other_partnership"], 200),
        post=NOT_ALLOWED,
    ),
    Row(
        "subjects:professional",
        # A's practitioner: a person of B's directory is "not found" to B's business manager.
        get=everyone(403).but(["business_manager"], 200).but(["other_partnership"], 404),
        post=everyone(403).but(["business_manager"], 200).but(["other_partnership"], 404),
        kwargs=lambda w: {"person_id": w.person("practitioner").pk},
        body=lambda w: {"reason": "subject_access"},
    ),
    Row(
        "retention:review",
        get=everyone(403).but(["business_manager", "other_partnership"], 200),
        post=NOT_ALLOWED,
    ),
    Row(
        "retention:decide",
        # B's business manager reviews B's records: A's escalation is "not found" to them.
        get=everyone(403).but(["business_manager"], 200).but(["other_partnership"], 404),
        post=everyone(403)
        .but(["business_manager"], Redirect("/retention/"))
        .but(["other_partnership"], 404),
        kwargs=escalation,
        body=lambda w: {"action": "hold", "hold-reason": "A practice review is under way."},
    ),
    Row("policies:policy", get=everyone(200), post=NOT_ALLOWED),
    Row("policies:flowchart", get=everyone(200).but(NO_PARTNERSHIP, 404), post=NOT_ALLOWED),
    Row(
        "mfa_set_up",
        get=everyone(Redirect("/account/two-factor/?next=")),
        post=everyone(Redirect("/account/two-factor/?next=")),
    ),
    Row("mfa_verify", get=everyone(Redirect("/")), post=everyone(Redirect("/")), body=code_body),
    Row("change_password", get=everyone(200), post=everyone(200), body=wrong_password_body),
    Row("audit:events", get=only(["auditor"], 200, others=403), post=NOT_ALLOWED),
    # --- notifications and calendars --------------------------------------------------------
    Row("notifications:inbox", get=everyone(200), post=NOT_ALLOWED),
    Row(
        "notifications:mark_read",
        kwargs=lambda w: {"notification_id": w.a.notification.pk},
        get=NOT_ALLOWED,
        post=only(["respondent"], Redirect("/notifications/"), others=404),
    ),
    # Opening an escalation from the list marks its notices read: only the person told.
    Row(
        "notifications:open_escalation",
        kwargs=lambda w: {"notification_id": w.a.notification.pk},
        get=NOT_ALLOWED,
        post=only(["respondent"], Redirect("/escalations/"), others=404),
    ),
    Row("notifications:mark_all_read", get=NOT_ALLOWED, post=everyone(Redirect("/notifications/"))),
    # Everyone sees how they get emails; an empty choice is an error on the page.
    Row("notifications:settings", get=everyone(200), post=everyone(200)),
    # The business unit sees notices that could not be delivered and sends them again.
    Row(
        "notifications:failed",
        get=only(["business_manager", "other_partnership"], 200, others=403),
        post=NOT_ALLOWED,
    ),
    Row(
        "notifications:send_failed_again",
        kwargs=lambda w: {"notification_id": w.a.failed_notice.pk},
        get=NOT_ALLOWED,
        post=only(["business_manager"], Redirect("/notifications/failed/"), others=403).but(
            ["other_partnership"], 404
        ),
    ),
    Row(
        "calendar:settings",
        get=everyone(200),
        post=everyone(200),  # the new address, shown once (only its hash is kept)
    ),
    Row("calendar:download", get=everyone(200), post=NOT_ALLOWED),
    Row(
        "notifications:notify_receipt",
        # GOV.UK Notify cannot sign in: the bearer token it was given is the credential (a
        # session is not), and none is configured here.
        get=everyone(405).but(["anonymous"], 405),
        post=everyone(401).but(["anonymous"], 401),
    ),
    Row(
        "calendar:feed",
        # Calendar apps cannot sign in: the private, revocable token is the credential.
        kwargs=lambda w: {"token": w.a.calendar_token.secret},
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(405).but(["anonymous"], 405),
    ),
    # --- lists and the raise journey ------------------------------------------------------
    Row("escalations:queue", get=everyone(200), post=NOT_ALLOWED),
    Row("escalations:my_actions", get=everyone(200), post=NOT_ALLOWED),
    Row("escalations:raise_start", get=everyone(200), post=NOT_ALLOWED),
    Row(
        "escalations:raise_continue",
        get=everyone(Redirect("/escalations/raise/")).but(NO_PARTNERSHIP, 200),
        post=NOT_ALLOWED,
    ),
    Row(
        "escalations:raise_discard",
        get=NOT_ALLOWED,
        post=everyone(Redirect("/escalations/raise/")),
    ),
    Row(
        "escalations:raise_emergency",
        get=everyone(Redirect("/escalations/raise/")).but(NO_PARTNERSHIP, 200),
        post=everyone(Redirect("/escalations/raise/")).but(NO_PARTNERSHIP, 200),
    ),
    Row(
        "escalations:raise_check",
        get=everyone(Redirect("/escalations/raise/")).but(NO_PARTNERSHIP, 200),
        post=everyone(Redirect("/escalations/raise/")).but(NO_PARTNERSHIP, 200),
    ),
    Row(
        "escalations:raise_step",
        kwargs=lambda w: {"slug": "agency"},
        get=everyone(200),
        # A's children's social care: accepted from A's people of other agencies; its own people
        # are not offered their own agency, and B's person must choose from their own list.
        post=everyone(Redirect("/escalations/raise/professional/")).but(
            [
                *NO_PARTNERSHIP,
                "other_partnership",
                "respondent",
                "respondent_manager",
                "iro",
                "cp_chair",
            ],
            200,
        ),
        body=agency_body,
    ),
    # --- one escalation: 404 for anyone who may not see it, as for one that does not exist --
    Row(
        "escalations:detail",
        kwargs=escalation,
        get=only(SEES_ESCALATION, 200, others=404),
        post=NOT_ALLOWED,
    ),
    Row(
        "escalations:raise_done",
        kwargs=escalation,
        get=only(SEES_ESCALATION, 200, others=404),
        post=NOT_ALLOWED,
    ),
    Row(
        "escalations:complete_action",
        kwargs=lambda w: {**escalation(w), "action_id": w.a.action.pk},
        get=only(SEES_ESCALATION, 200, others=404),
        # Its owner (who also agreed it) marks it done; other viewers are told why not.
        post=only(SEES_ESCALATION, 200, others=404).but(["raiser"], Redirect("/escalations/")),
    ),
    Row(
        "escalations:correct_entry",
        kwargs=lambda w: {**escalation(w), "entry_id": w.a.entry.pk},
        get=only(SEES_ESCALATION, 200, others=404),
        # Only the entry's author corrects it.
        post=only(SEES_ESCALATION, 200, others=404).but(["raiser"], Redirect("/escalations/")),
    ),
    Row(
        "escalations:reviewers",
        kwargs=escalation,
        # Only the business unit names the child's IRO and CP chair.
        get=only(SEES_ESCALATION, 403, others=404).but(["business_manager"], 200),
        post=only(SEES_ESCALATION, 403, others=404).but(
            ["business_manager"], Redirect("/escalations/")
        ),
    ),
    Row(
        "escalations:remove_link",
        kwargs=lambda w: {**escalation(w), "other": w.a.linked.reference},
        # Only someone who may see both, and removes links (the business unit): to anyone else
        # the link does not exist.
        get=only(["business_manager"], 200, others=404),
        post=only(["business_manager"], Redirect("/escalations/"), others=404),
    ),
    Row(
        "escalations:remove_link",
        label="another partnership's link",
        kwargs=lambda w: {"reference": w.b.escalation.reference, "other": w.b.linked.reference},
        # B's business unit removes B's link; nobody of A learns it exists.
        get=only(["other_partnership"], 200, others=404),
        post=only(["other_partnership"], Redirect("/escalations/"), others=404),
    ),
    Row(
        "escalations:stage_action",
        kwargs=lambda w: {**escalation(w), "action": "record-discussion"},
        get=only(SEES_ESCALATION, 200, others=404),
        # Participants record discussions; the business manager only reads.
        post=only(PARTICIPANTS, Redirect("/escalations/"), others=404).but(
            ["business_manager"], 200
        ),
    ),
    # A decision one thing per page (escalations/steps.py): only someone the core lets resolve
    # it now opens a page (at stage 2, the raiser's side); anyone else who sees the
    # escalation is told why not (403), and to everyone else it does not exist (404).
    *(
        Row(
            name,
            label=label,
            kwargs=lambda w, more=more: {**escalation(w), "action": "resolve", **more},
            get=only(DECIDES, get, others=404).but(SEES_NOT_DECIDES, 403),
            post=only(DECIDES, post, others=404).but(SEES_NOT_DECIDES, 403),
        )
        for name, label, more, get, post in (
            (
                "escalations:decision_step",
                "",
                {"page": "decision"},
                200,
                Redirect("/escalations/"),
            ),
            ("escalations:decision_actions", "", {}, 200, 200),
            ("escalations:decision_action_add", "", {}, 200, Redirect("/escalations/")),
            # No action added yet: action 1 is not found, even for the person deciding.
            ("escalations:decision_action", "", {"number": 1}, 404, 404),
            ("escalations:decision_action_remove", "", {"number": 1}, 404, 404),
            # Nothing answered yet: to the first page.
            (
                "escalations:decision_check",
                "",
                {},
                Redirect("/escalations/"),
                Redirect("/escalations/"),
            ),
        )
    ),
    Row(
        "evidence:list",
        kwargs=escalation,
        get=only(SEES_ESCALATION, 200, others=404),
        # Parties add evidence; the business manager only reads it (issue 19).
        post=only(SEES_ESCALATION, Redirect("/escalations/"), others=404).but(
            ["business_manager"], 403
        ),
        body=evidence_body,
    ),
    Row(
        "evidence:download",
        kwargs=lambda w: {**escalation(w), "attachment_id": w.a.attachment.pk},
        get=only(SEES_ESCALATION, 200, others=404),
        post=NOT_ALLOWED,
    ),
    Row(
        "reports:escalation_record",
        kwargs=lambda w: {**escalation(w), "file_format": "docx"},
        get=only(SEES_ESCALATION, 200, others=404),
        post=only(SEES_ESCALATION, 200, others=404),
    ),
    # The policy's forms for one escalation (the generated policy names an Escalation Form,
    # available from the start to anyone who may see the escalation).
    Row(
        "reports:escalation_form",
        kwargs=lambda w: {**escalation(w), "kind": "escalation_form"},
        get=only(SEES_ESCALATION, 200, others=404),
        post=only(SEES_ESCALATION, 200, others=404),
    ),
    # The business unit's page for its forms' templates (each its own partnership's); the POST
    # has no file, so it is refused with the form's errors.
    Row(
        "reports:form_templates",
        get=only(BUSINESS_UNITS, 200, others=403),
        post=only(BUSINESS_UNITS, 400, others=403),
    ),
    # A's own template (not yet previewed): B's business manager gets 404, like a missing one.
    # The preview is a POST (the first one makes the template usable, and each is audited).
    Row(
        "reports:form_template_preview",
        kwargs=lambda w: {"template_id": w.a.form_template.pk},
        get=NOT_ALLOWED,
        post=only(["business_manager"], 200, others=403).but(["other_partnership"], 404),
    ),
    # The confirmation page; until the preview is downloaded it says to download it first, and
    # the POST is refused with that message on the templates page.
    Row(
        "reports:form_template_use",
        kwargs=lambda w: {"template_id": w.a.form_template.pk},
        get=only(["business_manager"], 200, others=403).but(["other_partnership"], 404),
        post=only(["business_manager"], Redirect("/reports/forms/"), others=403).but(
            ["other_partnership"], 404
        ),
    ),
    # The chair's form as attached at the referral: A's escalation is at stage 2 of 4, so the
    # generated policy does not offer it to anyone yet (test_policy_forms covers stage 4).
    Row(
        "reports:escalation_attached_form",
        kwargs=lambda w: {**escalation(w), "kind": "board_chair_details"},
        get=everyone(404),
        post=everyone(404),
    ),
    # --- the partnership's reports: partnership roles only ---------------------------------
    Row("reports:dashboard", get=only(REPORTERS, 200, others=403), post=NOT_ALLOWED),
    Row(
        "reports:chart",
        kwargs=lambda w: {"key": "categories"},
        get=only(REPORTERS, 200, others=403),
        post=NOT_ALLOWED,
    ),
    Row(
        "reports:figures",
        kwargs=lambda w: {"file_format": "csv"},
        get=only(REPORTERS, 200, others=403),
        post=only(REPORTERS, 200, others=403),
    ),
    Row("reports:learning", get=only(REPORTERS, 200, others=403), post=NOT_ALLOWED),
    Row(
        "reports:briefing",
        kwargs=lambda w: {"quarter": "2026-q1"},
        get=only(REPORTERS, 200, others=403),
        post=NOT_ALLOWED,
    ),
    Row(
        "reports:board_report",
        get=only(REPORTERS, 200, others=403),
        # No year: the form answers 400 without making the PDF (slow), after the role check.
        post=only(REPORTERS, 400, others=403),
        body=lambda w: {"period": "year", "reason": "For the board."},
    ),
    # --- accounts: password links for anyone, partnerships for the platform administrator ---
    Row(
        "accounts:password_reset",
        get=everyone(200).but(["anonymous"], 200),
        # An address with no account: the same "check your email" page, nothing written.
        post=everyone(200).but(["anonymous"], 200),
        body=lambda w: {"email": "nobody@testshire.example.org"},
    ),
    Row(
        "accounts:set_password",
        kwargs=lambda w: {"token": "not-a-link-anyone-was-sent"},
        get=everyone(404).but(["anonymous"], 404),
        post=everyone(404).but(["anonymous"], 404),
    ),
    Row(
        "accounts:password_set",
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(405).but(["anonymous"], 405),
    ),
    # Sign-in through an identity provider: open to anyone. No provider has this id: 404.
    Row(
        "accounts:oidc_start",
        kwargs=lambda w: {"provider_id": 987654},
        get=everyone(404).but(["anonymous"], 404),
        post=everyone(405).but(["anonymous"], 405),
    ),
    # A return from a provider with no state: the "could not be signed in" page, never a 500.
    Row(
        "accounts:oidc_callback",
        get=everyone(400).but(["anonymous"], 400),
        post=everyone(405).but(["anonymous"], 405),
    ),
    Row("accounts:partnerships", get=only(NO_PARTNERSHIP, 200, others=403), post=NOT_ALLOWED),
    Row(
        "accounts:new_partnership",
        get=only(NO_PARTNERSHIP, 200, others=403),
        # The form body has no partnership fields: the form is shown again with its errors.
        post=only(NO_PARTNERSHIP, 200, others=403),
    ),
    # --- the directory: the business unit manages its own partnership's; contacts for all --
    Row("directory:contacts", get=everyone(200), post=NOT_ALLOWED),
    Row("directory:index", get=only(DIRECTORY_ANY, 200, others=403), post=NOT_ALLOWED),
    Row("directory:people", get=only(DIRECTORY_ANY, 200, others=403), post=NOT_ALLOWED),
    # The form body has none of these forms' fields: shown again with errors, nothing saved.
    *[
        Row(
            name,
            get=only(DIRECTORY_ANY, 200, others=403),
            post=only(DIRECTORY_ANY, 200, others=403),
        )
        for name in ("directory:agency_new", "directory:person_new")
    ],
    # No file in the body: the form asks for one. Nothing is waiting: back to the upload.
    # The policy editor: the body has no policy text, so the form asks for one.
    Row(
        "policies:edit",
        get=only(DIRECTORY_ANY, 200, others=403),
        post=only(DIRECTORY_ANY, 200, others=403),
    ),
    # The Chair's approval queue: the chair and the business unit of their own partnership.
    Row(
        "policies:approvals",
        get=only((*DIRECTORY_ANY, "partnership_chair"), 200, others=403),
        post=NOT_ALLOWED,
    ),
    # A version awaiting approval that is not the person's partnership's: the same 404 for all.
    Row(
        "policies:approval",
        kwargs=lambda w: {"pk": 987654},
        get=everyone(404),
        post=everyone(404),
    ),
    Row(
        "directory:import",
        get=only(DIRECTORY_ANY, 200, others=403),
        post=only(DIRECTORY_ANY, 200, others=403),
    ),
    Row(
        "directory:import_confirm",
        get=NOT_ALLOWED,
        post=only(DIRECTORY_ANY, Redirect("/directory/people/import/"), others=403),
    ),
    Row(
        "directory:import_template",
        kwargs=lambda w: {"file_format": "xlsx"},
        get=only(DIRECTORY_ANY, 200, others=403),
        post=NOT_ALLOWED,
    ),
    Row(
        "directory:agency",
        kwargs=lambda w: {"agency_id": w.a.agency.pk},
        get=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
        post=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
    ),
    Row(
        "directory:contact_new",
        kwargs=lambda w: {"agency_id": w.a.agency.pk},
        get=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
        post=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
    ),
    Row(
        "directory:contact",
        kwargs=lambda w: {"agency_id": w.a.agency.pk, "contact_id": w.a.contact.pk},
        get=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
        post=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
    ),
    Row(
        "directory:person",
        kwargs=lambda w: {"person_id": w.person("practitioner").pk},
        get=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
        post=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
    ),
    Row(
        "directory:person_access",
        kwargs=lambda w: {"person_id": w.person("practitioner").pk, "change": "deactivate"},
        get=only(DIRECTORY, 200, others=403).but(["other_partnership"], 404),
        # The body has a reason: A's business unit deactivates them.
        post=only(DIRECTORY, Redirect("/directory/people/"), others=403).but(
            ["other_partnership"], 404
        ),
    ),
    # --- administration: staff of the partnership (scoped) and platform superusers ----------
    # Every pattern under /admin/ is covered by this rule; these rows are its samples. Signed-in
    # people who are not staff get Django's admin sign-in page; anonymous visitors get the
    # service's sign-in (LoginRequiredMiddleware), except on the admin index, which Django marks
    # as needing no sign-in so that it can send them to its own.
    Row(
        "admin:index",
        get=only(STAFF, 200, others=ADMIN_SIGN_IN).but(["anonymous"], ADMIN_SIGN_IN),
        post=only(STAFF, 200, others=ADMIN_SIGN_IN).but(["anonymous"], ADMIN_SIGN_IN),
    ),
    Row(
        "admin:directory_person_changelist",
        get=only(STAFF, 200, others=ADMIN_SIGN_IN),
        post=only(STAFF, 200, others=ADMIN_SIGN_IN),
        body=lambda w: {},
    ),
    *[
        Row(
            f"admin:{model}_changelist",
            get=only(STAFF, 200, others=ADMIN_SIGN_IN),
            post=only(STAFF, 200, others=ADMIN_SIGN_IN),
            body=lambda w: {},
        )
        for model in (
            "directory_partnership",
            "directory_agency",
            "policies_policyversion",
            "notifications_notification",
        )
    ],
    # Platform tables: superusers only (a partnership administrator has no permission).
    *[
        Row(
            f"admin:{model}_changelist",
            get=only(["superuser"], 200, others=ADMIN_SIGN_IN).but(["administrator"], 403),
            post=only(["superuser"], 200, others=ADMIN_SIGN_IN).but(["administrator"], 403),
            body=lambda w: {},
        )
        for model in (
            "auth_group",
            "otp_totp_totpdevice",
            "axes_accessattempt",
            "django_tasks_database_dbtaskresult",
        )
    ],
    Row(
        "admin:notifications_notification_change",
        label="another partnership",
        kwargs=lambda w: {"object_id": w.b.notification.pk},
        get=only(STAFF, 200, others=ADMIN_SIGN_IN).but(["administrator"], Redirect("/admin/")),
        # Every field is read-only: saving changes nothing and goes back to the list.
        post=only(
            ["superuser"], Redirect("/admin/notifications/notification/"), others=ADMIN_SIGN_IN
        ).but(["administrator"], Redirect("/admin/")),
        body=lambda w: {},
    ),
    Row(
        "admin:directory_person_change",
        label="own partnership",
        kwargs=lambda w: {"object_id": w.person("practitioner").pk},
        get=only(STAFF, 200, others=ADMIN_SIGN_IN),
        post=only(STAFF, 200, others=ADMIN_SIGN_IN),
        body=lambda w: {},
    ),
    Row(
        "admin:directory_person_change",
        label="another partnership",
        kwargs=lambda w: {"object_id": w.b.world.outsider.pk},
        # Not in the administrator's partnership: "does not exist", back to the index.
        get=only(STAFF, 200, others=ADMIN_SIGN_IN).but(["administrator"], Redirect("/admin/")),
        post=only(STAFF, 200, others=ADMIN_SIGN_IN).but(["administrator"], Redirect("/admin/")),
        body=lambda w: {},
    ),
]


# The JSON API's rows live in access_matrix_api.py and join the table once the API is installed.
if importlib.util.find_spec("escalate.api.urls") is not None:
    from escalate.web.tests.access_matrix_api import API_ROWS

    MATRIX += API_ROWS
