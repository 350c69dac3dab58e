"""The access matrix's rows for the JSON API under /api/v1/ (bearer tokens, JSON answers).

Joined to access_matrix.MATRIX when escalate.api is installed. Every role signs in with a token
holding every scope (access_world.api_bearer_token), so these rows test who may reach what, not
scopes (escalate/api/tests does). Bodies are valid JSON for every operation, so a refusal is the
access rule's doing. The API answers like the pages: 404 for an escalation, action or agency the
person may not see, 403 for reports without a partnership role, 422 for what the rules refuse
(for example the respondent's side withdrawing), 405 JSON for a method an address does not take,
401 JSON without a usable token. The platform superuser belongs to no partnership, so the API
does not accept their token (401).
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

from django.utils import timezone

from escalate.web.tests.access_matrix import (
    PARTICIPANTS,
    REPORTERS,
    SEES_ESCALATION,
    Expect,
    Kwargs,
    Redirect,
    Row,
    escalation,
    everyone,
    no_kwargs,
    only,
)
from escalate.web.tests.access_world import AccessWorld

RAISER_SIDE = ("raiser", "raiser_manager")
RESPONDENT_SIDE = ("respondent", "respondent_manager")


def api_body(world: AccessWorld) -> dict[str, Any]:
    """A JSON body every API operation would accept (each reads only its own fields)."""
    today = timezone.localdate()
    a = world.a
    return {
        "expected_version": a.escalation.version,
        "held_on": today.isoformat(),
        "with_whom": "The social worker",
        "method": "phone",
        "summary": "We talked.",
        "outcome": "Not agreed.",
        "message": "Please explain.",
        "rationale": "Our reasons.",
        "reason": "Still not agreed.",
        "owner_id": world.person("raiser").pk,
        "description": "Call the family.",
        "due_on": (today + timedelta(days=7)).isoformat(),
        "decision": "A strategy meeting.",
        "decided_by": "Both managers",
        "learning": "Talk earlier.",
        "note": "Done.",
        "respondent_agency_id": a.world.csc.pk,
        "respondent_person_id": a.world.social_worker.pk,
        "subject_name": "Sam Example",
        "disputed": "The decision.",
        "risk": "The risk.",
        "outcome_wanted": "A meeting.",
        "categories": ["threshold"],
        "member_ids": [world.person("senior_manager").pk, world.person("panel_member").pk],
        "members_present_ids": [world.person("senior_manager").pk],
        "grounds": "recurred",
        "part": "respondent",
        "person_id": world.person("raiser").pk,
        "next_step": "stay",
        "agency_id": a.world.csc.pk,
        "view": "My view.",
        "correction": "The date was wrong.",
    }


def api(name: str, *, get: Expect, post: Expect, kwargs: Kwargs = no_kwargs) -> Row:
    return Row(f"api:v1:{name}", get=get, post=post, kwargs=kwargs, body=api_body, auth="bearer")


def tokened(expect: Expect) -> Expect:
    """The superuser's token is refused: they belong to no partnership."""
    return expect.but(["superuser"], 401)


# A method the address does not take: 405 JSON for everyone, before any token check.
NOT_ALLOWED = everyone(405).but(["anonymous"], 405)


def on_escalation(ok: tuple[str, ...], status: int = 200) -> Expect:
    """An operation on A's escalation: `ok` succeed, other viewers are refused by the rules."""
    return tokened(only(SEES_ESCALATION, 422, others=404).but(ok, status))


LISTS = tokened(everyone(200))
# Raising: anyone with an agency in a partnership; not about yourself (the respondent), and
# only about an agency of your own partnership (B's business manager names A's agency).
RAISE = tokened(everyone(201).but(["respondent", "other_partnership"], 422))
A_DIRECTORY = tokened(everyone(200).but(["other_partnership"], 404))


def _raisers_token(world: AccessWorld) -> dict[str, Any]:
    models = importlib.import_module("escalate.api.models")
    token = models.ApiToken.objects.filter(person=world.person("raiser")).first()
    return {"token_id": token.pk}


API_ROWS: list[Row] = [
    # The schema is public; django-ninja answers it whatever the method.
    api(
        "openapi-json",
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(200).but(["anonymous"], 200),
    ),
    api("list_escalations", get=LISTS, post=RAISE),
    api("raise_escalation", get=LISTS, post=RAISE),  # the same address, POST
    api(
        "read_escalation",
        kwargs=escalation,
        get=tokened(only(SEES_ESCALATION, 200, others=404)),
        post=NOT_ALLOWED,
    ),
    api(
        "record_discussion",
        kwargs=escalation,
        get=NOT_ALLOWED,
        post=on_escalation(PARTICIPANTS),
    ),
    api("request_rationale", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(RAISER_SIDE)),
    api("give_rationale", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(RESPONDENT_SIDE)),
    api(
        "escalate_to_next_stage",
        kwargs=escalation,
        get=NOT_ALLOWED,
        post=on_escalation(PARTICIPANTS),
    ),
    api("pause_escalation", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(PARTICIPANTS)),
    # Not paused: nobody can resume it.
    api("resume_escalation", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api("withdraw_escalation", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(RAISER_SIDE)),
    # Only the raiser's side closes it; the side being challenged proposes (issue 15).
    api("resolve_escalation", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(RAISER_SIDE)),
    api(
        "propose_resolution",
        kwargs=escalation,
        get=NOT_ALLOWED,
        post=on_escalation(PARTICIPANTS),
    ),
    # No proposal is waiting, and A's escalation is not resolved.
    api("accept_resolution", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api("decline_resolution", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api("reopen_escalation", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    # A manager at the stage, on either side, brings its due date forward (issue 15, item 6);
    # the body's due date, a week on, is later than A's stage is due, so it is refused for the
    # managers too (test_timescales shows them succeeding).
    api("change_timescale", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    # Nobody in A's escalation has left or is away, so no part can be reassigned (issue 15,
    # item 8; test_urgent_and_people shows the business unit and line managers doing it).
    api("reassign_part", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    # A's stage has one tier of management, so nobody takes it up a tier (issue 15, item 4;
    # test_tiers shows the managers at a stage with more tiers doing it).
    api("move_up_tier", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api(
        "escalation_actions",
        kwargs=escalation,
        get=tokened(only(SEES_ESCALATION, 200, others=404)),
        post=on_escalation(PARTICIPANTS, 201),
    ),
    api(  # the same address, POST
        "add_action",
        kwargs=escalation,
        get=tokened(only(SEES_ESCALATION, 200, others=404)),
        post=on_escalation(PARTICIPANTS, 201),
    ),
    # A's escalation is at stage 2, not the panel stage, so no panel can be convened and no
    # representation or panel decision recorded; nobody who can see it is an IRO or CP chair.
    api("convene_panel", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api("record_representation", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api("record_panel_decision", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api("add_view", kwargs=escalation, get=NOT_ALLOWED, post=on_escalation(())),
    api(
        "correct_entry",
        kwargs=lambda w: {**escalation(w), "entry_id": w.a.entry.pk},
        get=NOT_ALLOWED,
        # Only the entry's author (the raiser) corrects it.
        post=on_escalation(("raiser",)),
    ),
    api("my_actions", get=LISTS, post=NOT_ALLOWED),
    # The record for the child's file as JSON: whoever may see the escalation, with a reason.
    api(
        "escalation_record",
        kwargs=escalation,
        get=NOT_ALLOWED,
        post=tokened(only(SEES_ESCALATION, 200, others=404)),
    ),
    api(
        "complete_action",
        kwargs=lambda w: {"action_id": w.a.action.pk},
        get=NOT_ALLOWED,
        # Its owner (who also agreed it) marks it done.
        post=on_escalation(("raiser",)),
    ),
    api("list_agencies", get=LISTS, post=NOT_ALLOWED),
    api(
        "agency_contacts",
        kwargs=lambda w: {"agency_id": w.a.agency.pk},
        get=A_DIRECTORY,
        post=NOT_ALLOWED,
    ),
    api(
        "agency_people",
        kwargs=lambda w: {"agency_id": w.a.agency.pk},
        get=A_DIRECTORY,
        post=NOT_ALLOWED,
    ),
    api("policy", get=LISTS, post=NOT_ALLOWED),
    api("dashboard", get=tokened(only(REPORTERS, 200, others=403)), post=NOT_ALLOWED),
    # Nothing at the root or any other address under /api/v1/: a JSON 404, token or not.
    api(
        "api-root",
        get=everyone(404).but(["anonymous"], 404),
        post=everyone(404).but(["anonymous"], 404),
    ),
    Row(
        "api:not_found",
        kwargs=lambda w: {"rest": "nothing-here"},
        get=everyone(404).but(["anonymous"], 404),
        post=everyone(404).but(["anonymous"], 404),
        auth="bearer",
    ),
    # The pages for a person's tokens and the API's documentation: signed-in pages.
    Row("api:tokens", get=everyone(200), post=everyone(400)),
    Row(
        "api:revoke_token",
        kwargs=_raisers_token,
        get=only(["raiser"], 200, others=404),
        post=only(["raiser"], Redirect("/api/tokens/"), others=404),
    ),
    # Deliberately public, like openapi-json above (docs/api.md, "Who may read the contract").
    Row(
        "api:docs",
        get=everyone(200).but(["anonymous"], 200),
        post=everyone(405).but(["anonymous"], 405),
    ),
]
