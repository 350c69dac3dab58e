"""One vocabulary: the roles a policy may name are the directory's roles, by the same names."""

from __future__ import annotations

from escalate.directory.models import Role
from escalate.escalations import models as escalation_models
from escalate.escalations import workflow
from escalate.policies.schema import PartnershipRole
from escalate.vocabulary import POLICY_ROLES, Part, Status


def test_the_policy_schemas_role_names_are_the_directorys() -> None:
    assert {role.value for role in PartnershipRole} == {role.value for role in POLICY_ROLES}
    assert {role.value for role in PartnershipRole} <= set(Role.values)


def test_the_models_and_the_core_use_the_one_vocabulary() -> None:
    assert escalation_models.Part is Part
    assert escalation_models.Status is Status
    assert frozenset(Status.values) == workflow.STATUSES
    assert set(Part.values) >= workflow.RAISER_SIDE | workflow.RESPONDENT_SIDE
    field = escalation_models.Participant._meta.get_field("part")
    assert list(field.choices) == Part.choices  # type: ignore[arg-type]
