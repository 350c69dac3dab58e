"""Schemathesis hooks for the live API run (loaded through SCHEMATHESIS_HOOKS).

Path parameters are sometimes swapped for real ids of both partnerships, so the generated
requests reach real records; the check `no_other_partnerships_data` fails any answer to
partnership A's token that shows partnership B's data or is not a 404 for B's record.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import schemathesis
from hypothesis import strategies as st

SEED: dict[str, Any] = json.loads(
    open(os.environ["ESCALATE_LIVE_SEED"], encoding="utf-8").read()  # noqa: SIM115
)
REFERENCE = re.compile(r"^[A-Za-z0-9-]{1,30}$")
REAL: dict[str, list[Any]] = {
    "reference": SEED["a_references"] + SEED["b_references"] + ["NONE-2026-0001"],
    "agency_id": SEED["a_agencies"] + SEED["b_agencies"],
    "action_id": SEED["a_actions"] or [1],
}
B_IDS: dict[str, set[str]] = {
    "reference": set(SEED["b_references"]),
    "agency_id": {str(pk) for pk in SEED["b_agencies"]},
}


def _valid(name: str, value: Any) -> bool:
    if name == "reference":
        return isinstance(value, str) and bool(REFERENCE.match(value))
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**63


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    # Only well-formed values are swapped, so negative cases stay negative.
    swaps = {
        name: st.one_of(st.just(value), st.sampled_from(REAL[name]))
        for name, value in (path_parameters or {}).items()
        if name in REAL and _valid(name, value)
    }
    if not swaps:
        return st.just(path_parameters)
    return st.fixed_dictionaries(swaps).map(lambda chosen: {**path_parameters, **chosen})


def _tells_nothing(response: Any) -> bool:
    """An answer that is the same whether or not the record exists."""
    if response.status_code in (400, 404, 405, 429):
        return True
    if response.status_code != 422:
        return False
    try:
        return bool(json.loads(response.text)["error"]["code"] != "refused")
    except (ValueError, KeyError, TypeError):
        return False


@schemathesis.check
def no_other_partnerships_data(ctx: Any, response: Any, case: Any) -> bool | None:
    text = response.text or ""
    for marker in SEED["b_markers"]:
        if marker in text:
            raise AssertionError(f"Partnership B's data ({marker!r}) reached partnership A")
    for name, ids in B_IDS.items():
        value = (case.path_parameters or {}).get(name)
        if value is not None and str(value) in ids and not _tells_nothing(response):
            raise AssertionError(
                f"Partnership B's {name} {value} answered {response.status_code}: only a 404, "
                "or a refusal of the request itself (400, 405, 422 invalid), tells nothing"
            )
    return None
