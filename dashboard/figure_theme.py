"""The one plotly template of every chart (plan page, territory sheet): DSFR type and greys, French separators.

Data colours stay with each chart: Okabe–Ito (plan_figures) and bleu France / orange (sheet_charts) are
colour-blind safe, and DSFR's illustrative colours are not all distinguishable for every reader, so the
template sets the frame only: Marianne, text #161616 (DSFR « texte par défaut »), grid #dddddd, axes #929292.
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from . import palette

NAME = "acces_soins"
TEXT, GRID, AXIS = palette.TEXT, palette.GRID, palette.AXIS
SEPARATORS = ",\u202f"  # decimal comma, narrow no-break space for thousands
MAX_TICKS = 5           # readable on a 390 px phone as on a wall screen

# A copy of plotly's own template, not validated again (_validate=False): the validated copy cost 0,28 s at every
# import — every app process, worker and CLI — for the same object (tests/test_house_rules.py compares them).
TEMPLATE = go.layout.Template(pio.templates["simple_white"].to_plotly_json(), _validate=False)
TEMPLATE.layout.update(
    font=dict(family="Marianne, Arial, sans-serif", size=13, color=TEXT),
    separators=SEPARATORS,
    paper_bgcolor=palette.WHITE, plot_bgcolor=palette.WHITE,
    xaxis=dict(linecolor=AXIS, tickcolor=AXIS, gridcolor=GRID, automargin=True),
    yaxis=dict(linecolor=AXIS, tickcolor=AXIS, gridcolor=GRID, showgrid=True, automargin=True),
    hoverlabel=dict(font=dict(family="Marianne, Arial, sans-serif")),
)
pio.templates[NAME] = TEMPLATE


def thin(values: list, most: int = MAX_TICKS) -> list:
    """At most ``most`` evenly spaced values, the last one kept (the latest quarter or year is the one read)."""
    if len(values) <= most:
        return list(values)
    step = -(-len(values) // most)
    return list(values)[::-1][::step][::-1]
