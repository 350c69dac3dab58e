"""A readable account of what a new policy version changes: stages, timescales, notifications."""

from __future__ import annotations

import difflib

import yaml

from escalate.policies import labels
from escalate.policies.loader import canonical_document
from escalate.policies.schema import NotificationRule, PolicySpec


def _rule_text(rule: NotificationRule) -> str:
    recipients = labels.join_words([labels.RECIPIENTS[r] for r in rule.notify])
    stages = f" at {', '.join(rule.stages)}" if rule.stages else ""
    return f"on {rule.on.value}{stages}: {recipients}"


def policy_changes(current: PolicySpec | None, new: PolicySpec) -> list[str]:
    """One sentence per change a person would care about; empty when nothing changed."""
    if current is None:
        return [f"The first policy: {len(new.stages)} stages, {len(new.notifications)} rules."]
    changes: list[str] = []
    if current.name != new.name:
        changes.append(f"Name: “{current.name}” becomes “{new.name}”.")
    old_stages = {stage.key: stage for stage in current.stages}
    new_stages = {stage.key: stage for stage in new.stages}
    for key, stage in new_stages.items():
        if key not in old_stages:
            changes.append(f"Stage added: {stage.name} ({labels.timescale_text(stage.timescale)}).")
            continue
        before = old_stages[key]
        if before.name != stage.name:
            changes.append(f"Stage renamed: {before.name} becomes {stage.name}.")
        old_time = labels.timescale_text(before.timescale)
        new_time = labels.timescale_text(stage.timescale)
        if old_time != new_time:
            changes.append(f"{stage.name}: timescale {old_time} becomes {new_time}.")
        if before.model_dump(mode="json") != stage.model_dump(mode="json") and (
            before.name == stage.name and old_time == new_time
        ):
            changes.append(f"{stage.name}: who acts, guidance or records change.")
    for key, stage in old_stages.items():
        if key not in new_stages:
            changes.append(f"Stage removed: {stage.name}.")
    if [s.key for s in current.stages] != [s.key for s in new.stages] and set(old_stages) == set(
        new_stages
    ):
        changes.append("The stages are in a different order.")
    old_rules = {_rule_text(rule) for rule in current.notifications}
    new_rules = {_rule_text(rule) for rule in new.notifications}
    changes += [f"Notification added: {rule}." for rule in sorted(new_rules - old_rules)]
    changes += [f"Notification removed: {rule}." for rule in sorted(old_rules - new_rules)]
    known = {"name", "stages", "notifications"}
    old_doc, new_doc = canonical_document(current), canonical_document(new)
    for section in sorted(set(old_doc) | set(new_doc)):
        if section not in known and old_doc.get(section) != new_doc.get(section):
            changes.append(f"The {section.replace('_', ' ')} section changes.")
    return changes


def text_diff(current: PolicySpec | None, new: PolicySpec) -> str:
    """A unified diff of the two versions' canonical YAML (comments and layout do not count)."""
    before = (
        yaml.safe_dump(canonical_document(current), sort_keys=False, allow_unicode=True)
        if current is not None
        else ""
    )
    after = yaml.safe_dump(canonical_document(new), sort_keys=False, allow_unicode=True)
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            "current version",
            "new version",
        )
    )
