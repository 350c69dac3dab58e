"""Reading a policy file (YAML) into a validated `PolicySpec`, with errors people can act on.

Every problem becomes one `PolicyFileError` whose message names the file, the line where it is
known, the field path (`stages[2].timescale.working_days`) and what is expected. YAML is read
with YAML 1.2 booleans (only true/false), so a rule's `on:` key stays the string "on", and a key
given twice in one mapping is an error rather than silently keeping the last.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from escalate.policies.schema import PolicyReferenceError, PolicySpec

MAX_FILE_BYTES = 512 * 1024


class PolicyFileError(Exception):
    """A policy file that cannot be used, and exactly why."""

    def __init__(self, file: str, message: str, *, path: str = "", line: int | None = None) -> None:
        self.file = file
        self.path = path
        self.line = line
        self.problem = message
        where = file if line is None else f"{file}, line {line}"
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")


class _PolicyYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no duplicate keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is given twice in one mapping (first on line {seen[key]}); "
                    "expected each key once",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


# Only true/false are booleans (YAML 1.2): "on", "off", "yes", "no" stay strings.
_PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PolicyYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _format_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _parse_path(path: str) -> list[int | str]:
    parts: list[int | str] = []
    for chunk in path.replace("]", "").split("."):
        name, *indexes = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(index) for index in indexes)
    return parts


def _line_of(root: Node | None, loc: list[int | str]) -> int | None:
    """The 1-based line of the node at `loc` (or of its nearest existing parent)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        child: Node | None = None
        if isinstance(node, MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == part:
                    child = value_node
                    break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _model_at(loc: list[int | str]) -> type[BaseModel] | None:
    """The pydantic model that holds the field at `loc` (for listing the allowed fields)."""
    model: Any = PolicySpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """list[X] -> X, X | None -> X."""
    if get_origin(annotation) is not None:
        for arg in get_args(annotation):
            if arg is not type(None):
                return _unwrap(arg)
    return annotation


_MISSING_EXPECTED = {
    "timescale": "a timescale: working_days: N (0 means the same working day) or hours: N",
    "stages": "a list of stages, at least one",
    "categories": "a list of categories, at least one",
    "urgent": "the urgent rule: guidance, and may_start_at (a list of stage keys)",
    "conduct_signpost": "the signpost to the LADO/ADO or whistleblowing",
}


def _describe(error: Any) -> str:
    kind = error["type"]
    loc = list(error["loc"])
    field = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if kind == "missing":
        expected = _MISSING_EXPECTED.get(field, "a value")
        return f"missing; expected {expected}"
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = ", ".join(model.model_fields) if model is not None else ""
        return f"unknown field {field!r}; expected one of: {allowed}"
    if kind == "enum":
        return f"got {error['input']!r}; {error['msg'].replace('Input should be', 'expected')}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"got {error['input']!r}; {error['msg'].replace('Input should be', 'expected')}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict | list):
        return f"{message} (got {error['input']!r})"
    return message


def parse_policy_text(text: str, *, source_name: str) -> PolicySpec:
    """Validate the YAML `text` of a policy file; `source_name` names it in every error."""
    try:
        root = yaml.compose(text, Loader=_PolicyYamlLoader)  # type: ignore[arg-type]
        data = yaml.load(text, Loader=_PolicyYamlLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or str(error)
        if "expected" not in problem:
            problem += "; expected well-formed YAML (check indentation, quotes and brackets)"
        raise PolicyFileError(source_name, f"not valid YAML: {problem}", line=line) from None
    except yaml.YAMLError as error:
        raise PolicyFileError(source_name, f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise PolicyFileError(
            source_name,
            "expected a YAML mapping with name, stages, categories, urgent, ... at the top level",
            line=1,
        )
    try:
        return PolicySpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, PolicyReferenceError):
            path = cause.path
            message = str(cause)
        else:
            path = _format_path(tuple(first["loc"]))
            message = _describe(first)
        extra = len(exc.errors()) - 1
        if extra:
            message += f" (and {extra} more problem{'s' if extra > 1 else ''})"
        line = _line_of(root, _parse_path(path)) if path else None
        raise PolicyFileError(source_name, message, path=path or "(top level)", line=line) from None


def parse_policy_file(path: str | Path) -> PolicySpec:
    """Read and validate the policy file at `path`; raises `PolicyFileError` naming the file."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise PolicyFileError(str(path), f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise PolicyFileError(str(path), f"is larger than {MAX_FILE_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyFileError(str(path), "is not UTF-8 text; expected a UTF-8 YAML file") from None
    return parse_policy_text(text, source_name=file.name)


def canonical_document(spec: PolicySpec) -> dict[str, Any]:
    """The spec as plain JSON data: what is stored, and what the checksum is taken over."""
    document: dict[str, Any] = spec.model_dump(mode="json")
    return document


def checksum_of(spec: PolicySpec) -> str:
    """SHA-256 of the canonical document: comments and layout in the file do not change it."""
    canonical = json.dumps(
        canonical_document(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


__all__ = [
    "PolicyFileError",
    "canonical_document",
    "checksum_of",
    "parse_policy_file",
    "parse_policy_text",
]
