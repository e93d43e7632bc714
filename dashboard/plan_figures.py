"""Charts of the « Suivi du plan » page, as pure functions returning plotly figures.

Colours: Okabe–Ito palette (colour-blind safe); every meaning also carries a shape or a dash
(marker symbols for provenance, dashes for trajectory and projection) and is named in the legend.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from . import fmt, palette, periods, texts, trajectory, units
from .figure_theme import NAME as TEMPLATE, SEPARATORS, thin
from .schema import STATUS_LABELS
from .trajectory import Assessment

BLUE, ORANGE, SKY, GREEN, VERMILLION, PURPLE, GREY = palette.OKABE_ITO
PROVENANCE_MARKERS = {
    "observed": dict(symbol="circle", color=BLUE, size=9),
    "estimated": dict(symbol="circle-open", color=BLUE, size=10, line=dict(width=2)),
    "demo": dict(symbol="diamond-open", color=PURPLE, size=11, line=dict(width=2)),
}
STATUS_COLOURS = {trajectory.ON_TRACK: BLUE, trajectory.WATCH: ORANGE, trajectory.LATE: VERMILLION}


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=16)),
        separators=SEPARATORS,
        template=TEMPLATE,
        margin=dict(l=60, r=20, t=60, b=50),
        legend=dict(orientation="h", yanchor="top", y=-0.15, x=0),
        hovermode="x unified",
        yaxis_title=y_title,
    )
    return fig


@dataclass(frozen=True)
class Credit:
    """What a chart must say by itself once saved as an image: where, when, from which sources, which data."""

    place: str                    # the territory's name
    quarter: str | None           # the quarter shown (« T4 2023 »)
    sources: tuple[str, ...]      # the sources of the values drawn
    version: str                  # the store version
    built_at: str = ""

    @classmethod
    def of(cls, data, code: str, quarter: str | None, sources) -> "Credit":
        """A chart's credit from the store: the territory's name, its version and build date."""
        from . import queries

        named = tuple(dict.fromkeys(str(x) for x in sources if isinstance(x, str) and x))
        return cls(queries.name_of(data, code, code), quarter, named, data.version, data.built_at)


SOURCE_WRAP = 120            # characters per source line at 10 px (plotly does not wrap text): a wide chart


def sign(fig: go.Figure, credit: Credit | None, title: str | None = None, wrap: int = SOURCE_WRAP) -> go.Figure:
    """The one title block of every chart (plan page, territory sheet): the title, « territory — quarter »,
    « Source : … » and « Données : version … ». It is the figure's title, so plotly's PNG download keeps it
    (a saved image says what, where, when and from what); at the top, it never collides with a legend set
    below the plot."""
    if credit is None:
        return fig
    head = title or (fig.layout.title.text if fig.layout.title and fig.layout.title.text else "")
    where = credit.place + (f" — {fmt.quarter(credit.quarter)}" if credit.quarter else "")
    lines = textwrap.wrap("Source : " + (" ; ".join(credit.sources) or "–"), wrap)
    lines += textwrap.wrap(f"Données : version {credit.version}"
                           + (f", construite le {fmt.short_date(credit.built_at)}" if credit.built_at else "")
                           + " — tableau de bord Accès aux soins", wrap)
    size = (fig.layout.title.font.size if fig.layout.title and fig.layout.title.font.size else 16)
    block = (f"{head}<br>" if head else "") + f"<span style='font-size:{size - 3}px'>{where}</span><br>" + \
        f"<span style='font-size:10px;color:{GREY}'>" + "<br>".join(lines) + "</span>"
    # plotly gives every line of a title the title font's line height, whatever the span's size
    height = round(size * 1.3 * ((2 if head else 1) + len(lines))) + size
    old_top = fig.layout.margin.t or 0
    fig.update_layout(title=dict(text=block, x=0, xanchor="left", xref="container", y=1, yanchor="top",
                                 yref="container", pad=dict(t=size, l=8), font=dict(size=size)),
                      margin=dict(t=height + 10))
    if fig.layout.height:
        fig.update_layout(height=fig.layout.height + height + 10 - old_top)     # the plot keeps its size
    return fig


def _unit_title(unit: str) -> str:
    return units.of(unit).axis


def trajectory_figure(df: pd.DataFrame, a: Assessment, label: str, unit: str = "nombre",
                      as_of: str | None = None, credit: Credit | None = None) -> go.Figure:
    """Series (markers by provenance), target, required trajectory from the baseline and projection at the
    recent pace with its uncertainty band. ``df``: the indicator's observations (see plan.series)."""
    dec = fmt.decimals(unit)
    fig = go.Figure()
    limit = periods.index(a.latest_period) if a.latest_period else None
    shown = df if limit is None else df[df["period"].map(periods.index) <= limit]
    x_of = periods.label
    if not shown.empty:
        fig.add_trace(go.Scatter(
            x=shown["period"].map(x_of), y=shown["value"], mode="lines", name="valeur",
            line=dict(color=BLUE, width=2), showlegend=False, hoverinfo="skip"))
        for status, marker in PROVENANCE_MARKERS.items():
            part = shown[shown["status"] == status]
            if part.empty:
                continue
            fig.add_trace(go.Scatter(
                x=part["period"].map(x_of), y=part["value"], mode="markers", marker=marker,
                name=f"valeur {STATUS_LABELS[status]}",
                customdata=part["source"].fillna(""),
                hovertemplate=f"%{{y:,.{dec}f}} ({STATUS_LABELS[status]})<br>%{{customdata}}<extra></extra>"))
    if a.required_pace is not None and a.baseline_period and a.target_period:
        path = trajectory.expected_path(a.baseline_period, a.baseline_value, a.target_period, a.target_value)
        fig.add_trace(go.Scatter(
            x=[x_of(q) for q, _ in path], y=[v for _, v in path], mode="lines", name="trajectoire requise",
            line=dict(color=GREY, dash="dash", width=2),
            hovertemplate=f"trajectoire requise : %{{y:,.{dec}f}}<extra></extra>"))
    if a.target_period and a.target_value is not None:
        fig.add_trace(go.Scatter(
            x=[x_of(a.target_period)], y=[a.target_value], mode="markers+text", name="cible",
            marker=dict(symbol="star", size=16, color=ORANGE, line=dict(color=palette.INK_DARK, width=1)),
            text=[f"cible {fmt.value(a.target_value, unit, 0 if float(a.target_value).is_integer() else None)}"],
            textposition="top left", cliponaxis=False,          # the label may rise above the plot area
            hovertemplate=f"cible : %{{y:,.{dec}f}}<extra></extra>"))
    until = None
    if a.target_period and a.projected_period and not a.target_met:
        # stop where the target is reached, or at the target quarter if later
        until = min(a.target_period, a.projected_period, key=periods.index)
    proj = trajectory.projection_path(a, until=until, unit=unit)   # a share stays within 0..100
    if len(proj) > 1:
        xs = [x_of(p.period) for p in proj]
        fig.add_trace(go.Scatter(x=xs, y=[p.high for p in proj], mode="lines", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=xs, y=[p.low for p in proj], mode="lines", line=dict(width=0), fill="tonexty",
            fillcolor="rgba(213, 94, 0, 0.15)", name="incertitude de la projection", hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=xs, y=[p.value for p in proj], mode="lines", name="projection au rythme récent",
            line=dict(color=VERMILLION, dash="dot", width=2),
            hovertemplate=f"projection : %{{y:,.{dec}f}}<extra></extra>"))
    all_q = set(shown["period"]) if not shown.empty else set()
    for p in proj:
        all_q.add(p.period)
    if a.baseline_period:
        all_q.add(a.baseline_period)
    if a.target_period:
        all_q.add(a.target_period)
    if all_q:
        lo, hi = min(map(periods.index, all_q)), max(map(periods.index, all_q))
        cats = [periods.label(periods.from_index(i)) for i in range(lo, hi + 1)]
        # ticks at the series' quarters (« T4 2023 »), one per year at most, thinned for narrow screens
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=cats, tickangle=0,
                         tickmode="array", tickvals=thin([c for c in cats if c.startswith("T4")] or cats))
    fig.update_yaxes(tickformat=f",.{dec}f", rangemode="normal" if units.of(unit).is_share else "tozero")
    title = label + (f" — au {fmt.quarter(as_of)}" if as_of else "")
    return sign(_layout(fig, title, _unit_title(unit)), credit)


def breakdown_figure(table: pd.DataFrame, label: str, unit: str, since: str, as_of: str,
                     credit: Credit | None = None) -> go.Figure:
    """Sorted horizontal bars: each département's contribution to the regional change since ``since``."""
    dec = fmt.decimals(unit)
    t = table.dropna(subset=["contribution"]).iloc[::-1]  # largest at the top
    demo = bool((t["statut"] == "demo").any())
    colours = [BLUE if v >= 0 else VERMILLION for v in t["contribution"]]
    fig = go.Figure(go.Bar(
        x=t["contribution"], y=t["nom"] + " (" + t["territoire"].str[1:] + ")", orientation="h",
        marker=dict(color=colours, pattern=dict(shape=["" if v >= 0 else "/" for v in t["contribution"]])),
        text=[fmt.delta(v, unit) for v in t["contribution"]], textposition="outside", cliponaxis=False,
        hovertemplate=f"%{{y}} : %{{x:+,.{dec}f}}<extra></extra>", name="contribution"))
    fig.update_xaxes(tickformat=f",.{dec}f", zeroline=True, zerolinecolor=palette.INK_DARK)
    what = "points de % régionaux" if units.of(unit).is_share else _unit_title(unit)
    title = f"{label} : contribution des départements, du {fmt.quarter(since)} au {fmt.quarter(as_of)}"
    if demo:
        title += f"<br><sup>{texts.DEMO_VALUES}</sup>"
    fig = _layout(fig, title, "")
    fig.update_layout(xaxis_title=f"contribution à l'évolution régionale ({what})", showlegend=False,
                      hovermode="closest", height=max(320, 32 * len(t) + 120), margin=dict(l=180))
    return sign(fig, credit)
