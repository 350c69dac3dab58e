"""The policy's flowchart, drawn as SVG from the same data as the step-by-step page."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

from escalate.policies.labels import CONDITIONS, RECIPIENTS, join_words, timescale_text
from escalate.policies.schema import Event, PolicySpec

WIDTH = 760
MAIN_X, MAIN_W = 20, 430
SIDE_X, SIDE_W = 490, 250
LINE = 20
PAD = 12
GAP = 44
CHARS_MAIN = 48
CHARS_SIDE = 27
BLACK, BLUE, GREY, RED, WHITE = "#0b0c0c", "#1d70b8", "#f3f2f1", "#d4351c", "#ffffff"


@dataclass
class Box:
    lines: list[tuple[str, bool]]  # (text, bold)

    @property
    def height(self) -> int:
        return PAD * 2 + LINE * len(self.lines)


def _wrap(text: str, width: int, *, bold: bool = False) -> list[tuple[str, bool]]:
    return [(line, bold) for line in textwrap.wrap(" ".join(text.split()), width)]


def _side_notes(spec: PolicySpec, stage_key: str) -> list[str]:
    notes = []
    for rule in spec.notifications:
        if rule.on != Event.STAGE_ENTERED or stage_key not in rule.stages or not rule.when_any:
            continue
        conditions = " or ".join(CONDITIONS[condition] for condition in rule.when_any)
        recipients = join_words([RECIPIENTS[recipient] for recipient in rule.notify])
        notes.append(f"If {conditions}: tell {recipients}.")
    if spec.panel is not None and spec.panel.stage == stage_key:
        notes.append(
            f"May convene a Resolution Panel: senior officers of at least "
            f"{spec.panel.min_agencies} agencies"
            + (
                ", including those in dispute."
                if spec.panel.must_include_disputing_agencies
                else "."
            )
        )
    if stage_key in spec.urgent.may_start_at:
        notes.append("If harm is immediate, you may start here (record why).")
    return notes


def _text(x: int, y: int, lines: list[tuple[str, bool]], colour: str = BLACK) -> str:
    parts = []
    for index, (line, bold) in enumerate(lines):
        weight = ' font-weight="bold"' if bold else ""
        parts.append(
            f'<text x="{x}" y="{y + PAD + LINE * index + 15}" fill="{colour}"{weight}>'
            f"{escape(line)}</text>"
        )
    return "".join(parts)


def _arrow(x: int, y1: int, y2: int, label: str = "") -> str:
    svg = (
        f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2 - 8}" stroke="{BLACK}" stroke-width="2"/>'
        f'<polygon points="{x - 6},{y2 - 10} {x + 6},{y2 - 10} {x},{y2}" fill="{BLACK}"/>'
    )
    if label:
        svg += f'<text x="{x + 10}" y="{(y1 + y2) // 2 + 5}" fill="{BLACK}">{escape(label)}</text>'
    return svg


def flowchart_description(spec: PolicySpec) -> str:
    """A one-paragraph text alternative for the flowchart."""
    steps = "; then ".join(
        f"{stage.name} ({timescale_text(stage.timescale)})" for stage in spec.stages
    )
    return (
        f"Flowchart of the {spec.short_name} escalation process. It starts when you disagree "
        f"with another agency's decision, action or inaction: {steps}. At every stage, if it "
        "is resolved, record the outcome and share it with the person who raised it."
    )


def flowchart_svg(spec: PolicySpec) -> str:
    """The whole flowchart as a standalone SVG document."""
    body: list[str] = []
    y = 20
    centre = MAIN_X + MAIN_W // 2

    start = Box(
        _wrap(
            "You consider that the decision, action or inaction of another agency does not "
            "adequately safeguard a child or adult.",
            CHARS_MAIN,
        )
    )
    body.append(
        f'<rect x="{MAIN_X}" y="{y}" width="{MAIN_W}" height="{start.height}" rx="8" '
        f'fill="{WHITE}" stroke="{BLACK}" stroke-width="2"/>'
    )
    body.append(_text(MAIN_X + PAD, y, start.lines))
    y += start.height

    for index, stage in enumerate(spec.stages):
        body.append(_arrow(centre, y, y + GAP, "Not resolved" if index else ""))
        y += GAP
        lines = _wrap(stage.name, CHARS_MAIN - 4, bold=True)
        lines += _wrap(stage.summary, CHARS_MAIN)
        default = " (default: the policy is silent)" if stage.timescale.is_default else ""
        lines += _wrap(f"Time: {timescale_text(stage.timescale)}{default}", CHARS_MAIN)
        box = Box(lines)
        notes = _side_notes(spec, stage.key)
        note_lines = [line for note in notes for line in _wrap(note, CHARS_SIDE)]
        note_box = Box(note_lines) if note_lines else None
        height = max(box.height, note_box.height if note_box else 0)
        body.append(
            f'<rect x="{MAIN_X}" y="{y}" width="{MAIN_W}" height="{height}" '
            f'fill="{GREY}" stroke="{BLUE}" stroke-width="3"/>'
        )
        body.append(_text(MAIN_X + PAD, y, lines))
        if note_box is not None:
            body.append(
                f'<line x1="{MAIN_X + MAIN_W}" y1="{y + height // 2}" x2="{SIDE_X}" '
                f'y2="{y + height // 2}" stroke="{BLACK}" stroke-width="2" '
                'stroke-dasharray="6 4"/>'
            )
            body.append(
                f'<rect x="{SIDE_X}" y="{y}" width="{SIDE_W}" height="{note_box.height}" '
                f'fill="{WHITE}" stroke="{BLACK}" stroke-width="2"/>'
            )
            body.append(_text(SIDE_X + PAD, y, note_lines))
        y += height

    body.append(_arrow(centre, y, y + GAP))
    y += GAP
    end = Box(
        _wrap(
            "Resolved: record the outcome in writing and share it with the person who raised "
            "the concern.",
            CHARS_MAIN,
            bold=True,
        )
    )
    body.append(
        f'<rect x="{MAIN_X}" y="{y}" width="{MAIN_W}" height="{end.height}" rx="8" '
        f'fill="{WHITE}" stroke="{BLACK}" stroke-width="2"/>'
    )
    body.append(_text(MAIN_X + PAD, y, end.lines))
    y += end.height + 20

    title = escape(f"{spec.short_name}: escalation flowchart")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" '
        f'viewBox="0 0 {WIDTH} {y}" role="img" aria-labelledby="title desc" '
        'font-family="arial, sans-serif" font-size="16">'
        f'<title id="title">{title}</title>'
        f'<desc id="desc">{escape(flowchart_description(spec))}</desc>'
        f'<rect width="{WIDTH}" height="{y}" fill="{WHITE}"/>' + "".join(body) + "</svg>\n"
    )
