"""Chart text never collides: tick numbers, axis titles and the chart's title each keep apart."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from escalate.reports.charts import chart_figure
from escalate.reports.selectors import Row, Table

LONG_AGENCY = "Riverside Children's Social Care and Early Help Integrated Front Door Service"


def tables() -> list[Table]:
    months = [
        Row(f"{month} 2026", count)
        for month, count in zip(
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
            [5, 120, 7, 1450, 9, 33, 870, 12, 2000, 41, 65, 1333],
            strict=True,
        )
    ]
    return [
        Table(
            "month", "Escalations raised each month, by the month they were raised", "Month", months
        ),
        Table("month", "Escalations raised each month", "Month", months[:2]),
        Table("quarter", "Escalations raised each quarter", "Quarter", [Row("Q1 2026", 6)]),
        Table(
            "respondent_agency",
            "Escalations by the agency whose decision was disputed, over the whole period chosen",
            "Agency",
            [Row(LONG_AGENCY, 1234), Row("Police", 9), Row("Health", None)]
            + [Row(f"Agency {n}", n * 17) for n in range(12)],
            by_agency=True,
        ),
        Table("stage", "Escalations by the stage they reached", "Stage", [Row("Stage 1", 8)]),
    ]


def _drawn_texts(figure) -> list[tuple[str, Bbox]]:  # type: ignore[no-untyped-def]
    """Every piece of text matplotlib draws, with its box (ticks outside the axes are not)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    undrawn: set[int] = set()
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    undrawn.update({id(tick.label1), id(tick.label2)})
    found = []
    for text in figure.findobj(Text):
        if id(text) in undrawn or not text.get_visible() or not text.get_text().strip():
            continue
        found.append((text.get_text(), text.get_window_extent(renderer)))
    return found


@pytest.mark.parametrize("table", tables(), ids=lambda t: f"{t.key}-{len(t.rows)}")
def test_no_two_pieces_of_chart_text_overlap(table: Table) -> None:
    figure = chart_figure(table)
    texts = _drawn_texts(figure)
    width, height = figure.bbox.width, figure.bbox.height
    for text, box in texts:
        assert box.x0 >= -1 and box.y0 >= -1, f"{text!r} is cut off at the edge"
        assert box.x1 <= width + 1 and box.y1 <= height + 1, f"{text!r} runs off the image"
    for (first, a), (second, b) in itertools.combinations(texts, 2):
        overlap = Bbox.intersection(a, b)
        assert overlap is None or overlap.width < 1 or overlap.height < 1, (
            f"{first!r} and {second!r} overlap"
        )
