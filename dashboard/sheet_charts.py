"""Figures of the territory sheet (pure: sheet data → plotly figure)."""
from __future__ import annotations

import plotly.graph_objects as go

from . import fmt, palette, periods, units
from .plan_figures import Credit, sign
from .figure_theme import NAME as TEMPLATE, SEPARATORS, thin
from .schema import STATUS_LABELS

LINE = palette.BLEU_FRANCE     # the territory
TARGET = palette.ORANGE        # the target (blue/orange stays distinct for colour-blind readers)
CARD_WRAP = 60         # characters per source line: a sheet's chart is a card, not the page's width
PAPER_WRAP = 36        # the print view's cards, three per row on A4 (a 205 px chart): no line cut at its edge
HEIGHT, PAPER_HEIGHT = 220, 190   # the plot's height (the title block adds its own)


def x_of(quarter: str) -> float:
    """A quarter on a continuous time axis (its middle): 2023Q4 -> 2023.875."""
    year, q = periods.parse(quarter)
    return year + (q - 1) / 4 + 0.125


def credit_of(sheet: dict, trend: dict) -> Credit:
    """The credit of a sheet's chart: the territory, the sheet's quarter, the sources of the values drawn."""
    return Credit(sheet["territory"]["name"], sheet["quarter"],
                  tuple(dict.fromkeys(x for x in trend["series"]["source"] if isinstance(x, str) and x)),
                  sheet["version"], sheet["built_at"])


def trend_figure(trend: dict, credit: Credit | None = None, paper: bool = False) -> go.Figure:
    """The trend of one indicator in a territory, with its target; ``credit`` adds the title block and the
    source line (:func:`dashboard.plan_figures.sign`). ``paper``: for the print view's narrower card, the block's
    lines wrap shorter and leave out the indicator's name (the card's heading says it, right above; a long name
    would be cut at the chart's edge), and the plot is a little lower."""
    series = trend["series"]
    unit = trend["unit"]
    xs = [x_of(p) for p in series["period"]]
    text = [f"{fmt.quarter(p)} : {fmt.value(v, unit)} ({STATUS_LABELS.get(s, s)})"
            for p, v, s in zip(series["period"], series["value"], series["status"])]
    symbols = ["circle-open" if s == "demo" else "circle" for s in series["status"]]
    fig = go.Figure(go.Scatter(x=xs, y=series["value"].tolist(), mode="lines+markers", name="Ce territoire",
                               line={"color": LINE, "width": 2}, marker={"size": 7, "symbol": symbols, "color": LINE},
                               hovertext=text, hoverinfo="text"))
    years = [int(x) for x in xs]
    target = trend.get("target")
    if target:
        tx = x_of(target["period"])
        fig.add_trace(go.Scatter(x=[xs[-1], tx], y=[float(series["value"].iloc[-1]), target["value"]],
                                 mode="lines+markers", name="Cible", line={"color": TARGET, "dash": "dash"},
                                 marker={"symbol": ["circle", "star"], "size": [1, 12], "color": TARGET},
                                 hovertext=["", f"Cible {fmt.quarter(target['period'])} : "
                                                f"{fmt.value(target['value'], unit, 0)}"], hoverinfo="text"))
        years.append(int(tx))
    first, last = min(years), max(years) + 1
    ticks = thin(list(range(first, last + 1)), 4)     # whole years, at most 4: readable in a 390 px card
    fig.update_layout(
        template=TEMPLATE, height=PAPER_HEIGHT if paper else HEIGHT, margin={"l": 50, "r": 10, "t": 10, "b": 30},
        showlegend=bool(target),
        legend={"orientation": "h", "y": -0.25, "x": 0}, separators=SEPARATORS, font={"size": 12},
        xaxis={"tickvals": ticks, "ticktext": [str(t) for t in ticks], "range": [first, last], "showgrid": False,
               "tickangle": 0},
        yaxis={"rangemode": "tozero", "ticksuffix": units.of(unit).suffix if units.of(unit).is_share else ""},
    )
    if credit is not None:
        fig.update_layout(title_font_size=13)      # a small card: a smaller title block
    return sign(fig, credit, None if paper else trend.get("short_label") or trend.get("label"),
                wrap=PAPER_WRAP if paper else CARD_WRAP)
