"""Charts drawn by matplotlib as SVG, on the server. Each chart is shown beside its table."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from escalate.reports.selectors import Table

GOVUK_BLUE = "#1d70b8"
TEXT = "#0b0c0c"
TREND_TABLES = ("month", "quarter")
LABEL_WIDTH = 30  # characters of a bar's label per line
TITLE_WIDTH = 70  # characters; a 7-inch figure holds about 80 at 11pt


def chart_svg(table: Table) -> str:
    """The table as a bar chart (suppressed rows are left out and said so), as SVG."""
    buffer = io.StringIO()
    chart_figure(table).savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def chart_figure(table: Table) -> Figure:
    """The chart's figure, laid out so no two pieces of text overlap (test_chart_layout.py)."""
    rows = [row for row in table.rows if row.count is not None]
    left_out = len(table.rows) - len(rows)
    height = max(2.2, 0.45 * len(rows) + 1.2)
    # Constrained layout places the title, axis titles and tick labels so that none overlap.
    figure = Figure(figsize=(7.0, height), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    labels = [row.label for row in rows]
    values = [row.count or 0 for row in rows]
    if not rows:
        message = "Every count is fewer than 5" if left_out else "No escalations match"
        axes.text(0.5, 0.5, message, ha="center", va="center", color=TEXT)
        axes.set_axis_off()
    elif table.key in TREND_TABLES:
        axes.bar(range(len(values)), values, color=GOVUK_BLUE)
        axes.set_xticks(range(len(values)), labels, rotation=45, ha="right", fontsize=8)
        axes.set_ylabel("Escalations raised", color=TEXT)
    else:
        positions = list(range(len(values)))[::-1]
        axes.barh(positions, values, color=GOVUK_BLUE)
        # Long agency names wrap, so the bars keep most of the width (on a phone too).
        wrapped = [textwrap.fill(label, LABEL_WIDTH) for label in labels]
        axes.set_yticks(positions, wrapped, fontsize=9)
        axes.set_xlabel("Escalations", color=TEXT)
        for position, value in zip(positions, values, strict=True):
            axes.text(value, position, f" {value}", va="center", fontsize=8, color=TEXT)
        # Room after the longest bar for its number.
        axes.set_xlim(0, max(values) * 1.15 + 1)
    if rows:
        axes.spines[["top", "right"]].set_visible(False)
        axis = axes.yaxis if table.key in TREND_TABLES else axes.xaxis
        # Few, whole-number ticks: many of them overlapped on a short chart.
        axis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    # The title starts at the left edge of the figure, not of the axes: long agency names push the
    # axes right, and a title aligned with them ran off the image.
    lines = textwrap.wrap(table.title, TITLE_WIDTH)
    if left_out:
        lines.append(f"({left_out} with fewer than 5 not drawn)")
    figure.suptitle("\n".join(lines), x=0.01, ha="left", fontsize=11, color=TEXT)
    return figure
