"""The quarter's pack (« dossier de séance »): the committee's slides as PPTX (native, editable charts) and PDF.

``python -m dashboard.pack --quarter 2023Q4 --out DIR`` writes both files; the plan page's button runs the same
code as a background job. :func:`assemble` gathers the content (every figure through :mod:`dashboard.plan`,
:mod:`dashboard.queries`, :mod:`dashboard.milestones`, :mod:`dashboard.alerts`; every text through
:mod:`dashboard.fmt`); :func:`pptx_bytes` and :func:`pdf_bytes` draw the same slides, in the same boxes:

cover (quarter, data version, date) · « Ce trimestre » · one slide per plan indicator (value, changes, global
and annual rates, computed status and appraisal with its synthesis, trajectory chart — observed, required path,
projection — and the contribution of each département) · alerts · sources, provenance and definitions.

Slides are 16:9, in large type for projection, colours from the Okabe-Ito palette (colour-blind safe) and lines
told apart by their dash too. Demo values are marked on every slide that shows one. See docs/pack.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import alerts as alerts_mod
from . import appraisal, exports, fmt, periods, plan, queries, texts, trajectory, units
from .schema import STATUS_LABELS
from .store import Store
from .trajectory import Thresholds

# Okabe-Ito (colour-blind safe) and the app's blue for titles
BLUE, ORANGE, VERMILLION, GREEN, DARK, GREY = "0072B2", "E69F00", "D55E00", "009E73", "1A1A1A", "595959"
TITLE_BLUE = "000091"
DEMO_BG, DEMO_FG = "FDE9F6", "6E445A"
CLASH = "▲"     # marks a strong disagreement (a glyph of the PDF's DejaVu subset, unlike ⚠)
WIDTH, HEIGHT = 13.333, 7.5     # inches, 16:9


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


TITLE = Box(0.5, 0.3, 12.3, 1.0)
FOOTER = Box(0.5, 7.0, 12.3, 0.4)
BODY = Box(0.5, 1.4, 12.3, 5.5)
TEXT = Box(0.5, 1.4, 5.2, 5.5)
CHART_FULL = Box(5.9, 1.4, 6.9, 5.5)
CHART_TOP = Box(5.9, 1.4, 6.9, 3.0)
CHART_BOTTOM = Box(5.9, 4.45, 6.9, 2.5)


# ---------------------------------------------------------------------------------------------
# content


def _dense(table: pd.DataFrame, a: trajectory.Assessment) -> pd.DataFrame:
    """The trajectory chart's table (plan.trajectory_table) on every quarter, the projection starting at the
    latest value so that its line joins the observed one."""
    if table.empty:
        return table
    span = periods.span(table["trimestre"].iloc[0], table["trimestre"].iloc[-1])
    out = table.set_index("trimestre").reindex(span)
    if "projection" in out.columns and a.latest_period in out.index:
        out.loc[a.latest_period, "projection"] = out.loc[a.latest_period, "valeur"]
    out["statut"] = out["statut"].where(out["statut"].notna(), None)
    return out


def _chart(data: Store, c: plan.Card) -> dict | None:
    a = c.assessment
    t = _dense(plan.trajectory_table(data, c.indicator, c.territory, a, c.unit), a)
    if t.empty:
        return None
    observed = "Valeurs" + (" (démo : vides)" if c.assessed_on_demo else "")
    series = [(observed, t["valeur"].tolist(), BLUE, "solid")]
    if "trajectoire_requise" in t.columns:
        series.append(("Trajectoire requise", t["trajectoire_requise"].tolist(), DARK, "dash"))
    if "projection" in t.columns:
        series.append(("Projection (rythme récent)", t["projection"].tolist(), VERMILLION, "sysDot"))
    clean = [(n, [None if v is None or pd.isna(v) else float(v) for v in vals], col, dash)
             for n, vals, col, dash in series]
    demo = [s == STATUS_LABELS["demo"] for s in t["statut"]]
    return {"categories": [periods.label(q) for q in t.index], "series": clean, "demo_points": demo,
            "decimals": fmt.decimals(c.unit), "unit": c.unit}


def _breakdown(b: pd.DataFrame, unit: str, since: str, quarter: str) -> dict | None:
    t = b.dropna(subset=["contribution"])
    if t.empty or not t["contribution"].any():
        return None     # no département moved: nothing to compare
    t = t.iloc[::-1]     # largest at the top of a horizontal bar chart
    demo = bool((t["statut"] == "demo").any())
    return {"title": f"Contribution des départements, du {fmt.quarter(since)} au {fmt.quarter(quarter)}"
                     + (" (points de % régionaux)" if units.of(unit).is_share else "") + (" — valeurs démo" if demo else ""),
            "categories": t["nom"].tolist(), "values": [float(v) for v in t["contribution"]],
            "labels": [fmt.delta(v, unit) for v in t["contribution"]], "decimals": fmt.decimals(unit)}


def _appraisal_lines(c: plan.Card, ap: appraisal.Appraisal | None) -> list[tuple[str, str]]:
    if ap is None:
        return [("Appréciation", "aucune appréciation saisie pour ce trimestre")]
    lines = [("Appréciation", f"{ap.label} ({ap.byline})")]
    clash = appraisal.disagreement(ap.level, c.status)
    if clash:
        lines.append((f"{CLASH} Désaccord", clash))
    if ap.synthesis:
        lines.append(("Synthèse", ap.synthesis))
    return lines


def indicator_slide(data: Store, c: plan.Card, quarter: str, ap: appraisal.Appraisal | None) -> dict:
    """One plan indicator: its facts as (label, text) lines, its charts, whether it shows demo values."""
    value = c.value_text + (" (démo)" if c.provenance == "demo" else "")
    if c.period and c.period != quarter:
        value += f" (valeur du {fmt.quarter(c.period)})"
    lines = [("Valeur au " + fmt.quarter(quarter), value),
             ("Évolution", c.change_text("previous")),
             ("Sur un an", c.change_text("year")),
             ("Cible", c.target_text)]
    if c.progress is not None:
        lines.append(("Avancement", c.progress_text.removeprefix("avancement ")))
    if c.annual is not None:
        lines.append(("Avancement annuel", c.annual_text.removeprefix("avancement annuel ")))
    lines.append(("Statut calculé", c.status_text + (" (sur valeurs de démonstration)" if c.assessed_on_demo else "")))
    if c.target_value is not None:
        lines += _appraisal_lines(c, ap)
    b = None
    if c.target_value is not None or c.value is not None:
        since = plan.breakdown_since(c.assessment, quarter)
        deps = plan.breakdown(data, c.indicator, c.unit, c.territory, quarter, since)
        b = _breakdown(deps, c.unit, since, quarter)
        reported = plan.reported_text(deps, quarter)
        if reported:
            lines.append(("Départements", reported))
    chart = _chart(data, c)
    return {"indicator": c.indicator, "title": c.label, "lines": lines, "chart": chart, "breakdown": b,
            "demo": c.provenance == "demo" or c.assessed_on_demo or bool(b and "démo" in b["title"])}


def assemble(data: Store, region: str, quarter: str, thresholds: Thresholds | None = None,
             appraisals: dict | None = None, generated_at: dt.datetime | None = None, progress=lambda _t: None
             ) -> dict:
    """Everything the pack shows, as plain data (both renderers draw it)."""
    generated_at = generated_at or dt.datetime.now()
    if appraisals is None:
        appraisals = appraisal.appraisals_for(quarter)
    progress("Indicateurs du plan…")
    thresholds = thresholds or data.thresholds
    cards = plan.cards(data, region, quarter, thresholds)
    slides = [indicator_slide(data, c, quarter, appraisals.get((c.indicator, region))) for c in cards]
    progress("Alertes…")
    found = alerts_mod.alerts_for(data, region, quarter, thresholds, appraisals)
    sources = []
    for c in cards:
        sources.append((c.short_label, f"{c.definition} Source : {c.catalogue_source}."
                        + (f" Valeur affichée : {c.provenance_text}, {c.value_source}." if c.value_source else "")))
    counts = data.observations["status"].value_counts().to_dict()
    return {
        "region": region, "region_name": queries.name_of(data, region, region), "quarter": quarter,
        "quarter_label": fmt.quarter(quarter), "version": data.version, "built_at": fmt.short_date(data.built_at),
        "generated_at": generated_at, "summary": plan.summary(cards, quarter), "slides": slides,
        "alerts": alerts_mod.lines(found), "appraisals_enabled": appraisal.enabled(),
        "sources": sources, "has_demo": any(c.provenance == "demo" or c.assessed_on_demo for c in cards),
        "provenance": ", ".join(f"{counts.get(k, 0)} {STATUS_LABELS[k]}{'s' if counts.get(k, 0) > 1 else ''}"
                                for k in ("observed", "estimated", "demo")),
        "definitions": definitions(thresholds),
    }


def definitions(thresholds: Thresholds) -> list[tuple[str, str]]:
    return [
        ("Avancement", "taux d'avancement publié par l'État : 100 × (valeur − valeur de référence) / (cible − "
                       f"valeur de référence), borné à 0–100 % ; référence : {fmt.quarter(queries.BASELINE_QUARTER)}."),
        ("Avancement annuel", "même formule, de la valeur à la fin de l'année précédente au jalon de l'année (jalon "
                              "du catalogue ; à défaut la cible si elle échoit dans l'année, sinon la trajectoire "
                              "linéaire vers la cible à la fin de l'année, signalée comme telle)."),
        ("Statut calculé", f"{texts.threshold_rule(thresholds)} (trajectoire linéaire vers la cible)."),
        ("Appréciation", "jugement de l'équipe (objectif sécurisé, atteignable, appuis nécessaires, compromis), "
                         "montré à côté du statut calculé, jamais à sa place ; « Désaccord » quand les deux "
                         "s'opposent nettement (marque ▲)."),
    ]


LIST_SIZE = 16      # pt, the lines of a list slide (alerts, sources): the smallest body size but one (15–18 pt)


def list_paragraphs(items: list[tuple[str, str]]) -> list[tuple[str, int, bool, str]]:
    """A list slide's body, « heading : text » (the heading in bold): what both renderers draw and what
    :func:`_list_pages` measures, so that a page is split where the drawing would overflow."""
    return [(f"{h} : {t}", LIST_SIZE, False, DARK) for h, t in items]


def _list_pages(title: str, items: list[tuple[str, str]], fits) -> list[tuple[str, list[tuple[str, str]]]]:
    """Split (heading, text) items over as many slides as needed, each holding what ``fits(paragraphs)`` says
    its body box holds. The PDF's own text measure decides (:func:`_pdf_fits`): PowerPoint shrinks an
    overfull box but the PDF cuts it, and a line cut at a page break would be in one file and not the other."""
    pages, page = [], []
    for item in items:
        if page and not fits(list_paragraphs(page + [item])):
            pages.append(page)
            page = []
        page.append(item)       # an item longer than a whole page stays alone on its page (cut with « … »)
    pages.append(page)
    return [(title if i == 0 else f"{title} (suite)", p) for i, p in enumerate(pages)]


def pages(pack: dict) -> list[dict]:
    """The slides in order, each a dict with ``kind`` (cover, bullets, indicator, list) — what both renderers
    iterate over, so that the PPTX and the PDF have the same slides. Alerts come after the plan's indicators,
    one line per kind and indicator (:func:`dashboard.alerts.lines`), most severe first."""
    out = [{"kind": "cover", "title": f"Dossier de séance — {pack['quarter_label']}"},
           {"kind": "bullets", "title": "Ce trimestre", "items": pack["summary"], "demo": pack["has_demo"]}]
    out += [{"kind": "indicator", **s} for s in pack["slides"]]
    alert_items = [(line.title, line.text) for line in pack["alerts"]]
    if not alert_items:
        alert_items = [("Aucune alerte", f"rien à signaler au {pack['quarter_label']}")]
    if not pack["appraisals_enabled"]:
        alert_items.append(("Appréciations", "saisie non branchée : pas d'alerte « appréciation manquante »"))
    doc = _pdf_document()
    doc.add_page()      # a scratch page: fpdf2 measures text on the current page's font

    def fits(paragraphs):
        return _pdf_text(doc, BODY, paragraphs, bold_prefix=True, measure_only=True)

    out += [{"kind": "list", "title": t, "items": p} for t, p in _list_pages("Alertes", alert_items, fits)]
    src = pack["sources"] + [("Provenance", f"valeurs du stock : {pack['provenance']} ; les valeurs « démo » sont "
                                            "illustratives et ne doivent pas être lues comme des faits.")]
    out += [{"kind": "list", "title": t, "items": p} for t, p in
            _list_pages("Sources, provenance et définitions", src + pack["definitions"], fits)]
    return out


def footer(pack: dict, slide: dict) -> str:
    text = (f"{pack['region_name']} — dossier de séance du {pack['quarter_label']} — données : version "
            f"{pack['version']} — généré le {fmt.short_date(pack['generated_at'])}")
    return text + (" — contient des valeurs de démonstration" if slide.get("demo") else "")


def fact_paragraphs(page: dict) -> list[tuple[str, int, bool, str]]:
    """The indicator slide's text column: figures at 17 pt, the appraisal and its synthesis at 15 pt."""
    keys = [h for h, _t in page["lines"]]
    first = keys.index("Appréciation") if "Appréciation" in keys else len(keys)
    return [(f"{h} : {t}", 15 if i >= first else 17, False, DARK) for i, (h, t) in enumerate(page["lines"])]


def cover_lines(pack: dict) -> list[str]:
    return [pack["region_name"], f"Situation au {fmt.quarter_end(pack['quarter'])} ({pack['quarter_label']})",
            f"Données : version {pack['version']}, construite le {pack['built_at']}",
            f"Document généré le {fmt.date(pack['generated_at'].date())}"]


# ---------------------------------------------------------------------------------------------
# PPTX (python-pptx)


def draw(pack: dict, page: dict, text, demo, line_chart, bar_chart) -> None:
    """Lay out one page on a surface (the PPTX slide or the PDF page): the same boxes, type sizes and content for
    both, through four drawing functions ``text(box, paragraphs, bold_prefix)``, ``demo(box)``,
    ``line_chart(box, chart)``, ``bar_chart(box, breakdown)``."""
    text(TITLE, [(page["title"], 30 if page["kind"] != "cover" else 40, True, TITLE_BLUE)], False)
    if page["kind"] == "cover":
        text(Box(0.5, 2.2, 12.3, 3.5), [(t, 24 if i == 0 else 20, i == 0, DARK)
                                        for i, t in enumerate(cover_lines(pack))], False)
        if pack["has_demo"]:
            demo(Box(0.5, 5.8, 12.3, 0.9))
    elif page["kind"] == "bullets":
        text(BODY, [("• " + t, 18, False, DARK) for t in page["items"]], False)
    elif page["kind"] == "list":
        text(BODY, list_paragraphs(page["items"]), True)
    else:
        text(TEXT, fact_paragraphs(page), True)
        if page["chart"]:
            line_chart(CHART_TOP if page["breakdown"] else CHART_FULL, page["chart"])
        if page["breakdown"]:
            bar_chart(CHART_BOTTOM, page["breakdown"])
    text(FOOTER, [(footer(pack, page), 11, False, GREY)], False)


def pptx_bytes(pack: dict) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(WIDTH), Inches(HEIGHT)
    prs.core_properties.title = f"Dossier de séance {pack['region_name']} – {pack['quarter_label']}"
    prs.core_properties.language = "fr-FR"
    blank = prs.slide_layouts[6]
    for page in pages(pack):
        slide = prs.slides.add_slide(blank)
        draw(pack, page,
             text=lambda box, paragraphs, bold_prefix, slide=slide: _pptx_text(slide, box, paragraphs, bold_prefix),
             demo=lambda box, slide=slide: _pptx_demo(slide, box),
             line_chart=lambda box, chart, slide=slide: _pptx_line_chart(slide, box, chart),
             bar_chart=lambda box, b, slide=slide: _pptx_bar_chart(slide, box, b))
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _rgb(hex_: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_)


def _pptx_text(slide, box: Box, paragraphs, bold_prefix: bool = False):
    """paragraphs: [(text, size pt, bold, colour)]; ``bold_prefix``: the text up to « : » in bold."""
    from pptx.util import Inches, Pt

    from pptx.enum.text import MSO_AUTO_SIZE

    tf = slide.shapes.add_textbox(Inches(box.x), Inches(box.y), Inches(box.w), Inches(box.h)).text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE      # PowerPoint shrinks a long synthesis to fit
    for i, (text, size, bold, colour) in enumerate(paragraphs):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.space_after = Pt(size * 0.35)
        parts = text.split(" : ", 1) if bold_prefix and " : " in text else [text]
        for j, part in enumerate(parts):
            run = p.add_run()
            run.text = part + (" : " if j == 0 and len(parts) == 2 else "")
            run.font.size, run.font.bold = Pt(size), bold or (len(parts) == 2 and j == 0)
            run.font.color.rgb = _rgb(VERMILLION if part.startswith(CLASH) else colour)
    return tf


def _pptx_demo(slide, box: Box):
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches, Pt

    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(box.x), Inches(box.y), Inches(box.w), Inches(box.h))
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(DEMO_BG)
    shape.line.fill.background()
    tf = shape.text_frame
    tf.word_wrap = True
    run = tf.paragraphs[0].add_run()
    run.text = DEMO_TEXT
    run.font.size, run.font.bold = Pt(16), True
    run.font.color.rgb = _rgb(DEMO_FG)


DEMO_TEXT = ("Données de démonstration : ce dossier contient des valeurs illustratives, marquées « démo ». "
             "Elles ne doivent pas être lues comme des faits.")


def _number_format(decimals: int, signed: bool = False) -> str:
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f"+{body};-{body};0" if signed else body


def _pptx_line_chart(slide, box: Box, chart: dict):
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.util import Inches, Pt

    cd = CategoryChartData(number_format=_number_format(chart["decimals"]))
    cd.categories = [exports.neutral(c) for c in chart["categories"]]   # the embedded workbook: no formula
    for name, values, _c, _d in chart["series"]:
        cd.add_series(exports.neutral(name), values)
    gf = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Inches(box.x), Inches(box.y), Inches(box.w),
                                Inches(box.h), cd)
    ch = gf.chart
    ch.font.size = Pt(12)
    ch.has_legend = True
    ch.legend.position = XL_LEGEND_POSITION.BOTTOM
    ch.legend.include_in_layout = False
    dashes = {"solid": MSO_LINE_DASH_STYLE.SOLID, "dash": MSO_LINE_DASH_STYLE.DASH,
              "sysDot": MSO_LINE_DASH_STYLE.ROUND_DOT}
    for series, (_name, _values, colour, dash) in zip(ch.plots[0].series, chart["series"]):
        series.smooth = False
        series.format.line.color.rgb = _rgb(colour)
        series.format.line.width = Pt(2.5)
        series.format.line.dash_style = dashes[dash]
        series.marker.style = XL_MARKER_STYLE.CIRCLE if dash == "solid" else XL_MARKER_STYLE.NONE
        if dash == "solid":
            series.marker.size = 7
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = _rgb(colour)
            series.marker.format.line.color.rgb = _rgb(colour)
            for i, demo in enumerate(chart["demo_points"]):
                if demo:      # demo values: hollow markers, as on the page
                    point = series.points[i]
                    point.marker.style = XL_MARKER_STYLE.CIRCLE
                    point.marker.format.fill.solid()
                    point.marker.format.fill.fore_color.rgb = _rgb("FFFFFF")
    axis = ch.category_axis
    axis.tick_labels.font.size = Pt(12)
    skip = max(1, len(chart["categories"]) // 6)
    # show one quarter label in ``skip`` (python-pptx has no API for it: the c:tickLblSkip element)
    from pptx.oxml.ns import qn
    from lxml import etree
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        el = etree.SubElement(axis._element, qn(tag))
        el.set("val", str(skip))
    ch.value_axis.tick_labels.font.size = Pt(12)
    ch.value_axis.has_major_gridlines = True
    ch.value_axis.major_gridlines.format.line.color.rgb = _rgb("D9D9D9")


def _pptx_bar_chart(slide, box: Box, b: dict):
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
    from pptx.util import Inches, Pt

    cd = CategoryChartData(number_format=_number_format(b["decimals"], signed=True))
    cd.categories = [exports.neutral(c) for c in b["categories"]]
    cd.add_series("Contribution", b["values"])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(box.x), Inches(box.y), Inches(box.w),
                                Inches(box.h), cd)
    ch = gf.chart
    ch.has_legend = False
    ch.has_title = True
    ch.chart_title.text_frame.text = b["title"]
    ch.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(13)
    ch.font.size = Pt(11)
    plot = ch.plots[0]
    plot.gap_width = 40
    plot.has_data_labels = True
    plot.data_labels.number_format = _number_format(b["decimals"], signed=True)
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    series = plot.series[0]
    series.invert_if_negative = False
    for i, v in enumerate(b["values"]):
        fill = series.points[i].format.fill
        fill.solid()
        fill.fore_color.rgb = _rgb(BLUE if v >= 0 else VERMILLION)
    ch.value_axis.has_major_gridlines = False
    ch.value_axis.visible = False


# ---------------------------------------------------------------------------------------------
# PDF (fpdf2, the fonts of dashboard.pdf)


def _pdf_document():
    """A landscape 16:9 fpdf2 document with the DejaVu subset of :mod:`dashboard.pdf` (also used to measure)."""
    from fpdf import FPDF

    from .pdf import BOLD, REGULAR

    doc = FPDF(orientation="L", unit="in", format=(HEIGHT, WIDTH))
    doc.add_font("DejaVu", "", str(REGULAR))
    doc.add_font("DejaVu", "B", str(BOLD))
    doc.set_auto_page_break(False)
    doc.set_margins(0, 0, 0)
    return doc


def pdf_bytes(pack: dict) -> bytes:
    doc = _pdf_document()
    doc.set_title(f"Dossier de séance {pack['region_name']} – {pack['quarter_label']}")
    doc.set_lang("fr")
    for page in pages(pack):
        doc.add_page()
        doc.start_section(_pdf_safe(page["title"]))
        draw(pack, page,
             text=lambda box, paragraphs, bold_prefix: _pdf_text(doc, box, paragraphs, bold_prefix),
             demo=lambda box: _pdf_demo(doc, box),
             line_chart=lambda box, chart: _pdf_line_chart(doc, box, chart),
             bar_chart=lambda box, b: _pdf_bar_chart(doc, box, b))
    return bytes(doc.output())


def _pdf_demo(doc, box: Box):
    doc.set_fill_color(*_hex(DEMO_BG))
    doc.rect(box.x, box.y, box.w, box.h, style="F")
    _pdf_text(doc, Box(box.x + 0.1, box.y + 0.1, box.w - 0.2, box.h), [(DEMO_TEXT, 16, True, DEMO_FG)])


def _hex(h: str) -> tuple[int, int, int]:
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _pdf_safe(text: str) -> str:
    from .pdf import _t

    return _t(text)


def _pdf_text(doc, box: Box, paragraphs, bold_prefix: bool = False, measure_only: bool = False) -> bool:
    """Paragraphs in a box, top-down (same arguments as :func:`_pptx_text`); what does not fit in the box is cut
    at a line, ending with « … » (the PPTX shrinks its text instead). Returns whether everything fits;
    ``measure_only`` draws nothing (the list slides are split with it, see :func:`_list_pages`)."""
    y, bottom, whole = box.y, box.y + box.h, True
    for text, size, bold, colour in paragraphs:
        line_h = size / 72 * 1.2
        room = int((bottom - y) // line_h)
        if room < 1:
            return False
        colour = VERMILLION if text.startswith(CLASH) else colour
        markdown = bold_prefix and " : " in text
        if markdown:
            head, rest = text.split(" : ", 1)
            text = f"**{head} :** {rest.replace('**', '')}"
        doc.set_font("DejaVu", "B" if bold and not markdown else "", size)
        text = _pdf_safe(text)
        lines = doc.multi_cell(box.w, line_h, text, markdown=markdown, align="L", dry_run=True, output="LINES")
        if len(lines) > room:
            whole = False
            if measure_only:
                return False
            text = " ".join(lines[:room]).rstrip()
            text = text[:max(len(text) - 2, 0)].rstrip() + " …"
            while len(doc.multi_cell(box.w, line_h, text, markdown=markdown, align="L", dry_run=True,
                                     output="LINES")) > room:
                text = text[:-3].rstrip() + " …"
        if measure_only:
            y += len(lines) * line_h
        else:
            doc.set_xy(box.x, y)
            doc.set_text_color(*_hex(colour))
            doc.multi_cell(box.w, line_h, text, markdown=markdown, align="L", new_x="LMARGIN", new_y="NEXT")
            y = doc.get_y()
        y += size / 72 * 0.35
    return whole


def _pdf_line_chart(doc, box: Box, chart: dict):
    values = [v for _n, vals, _c, _d in chart["series"] for v in vals if v is not None]
    if not values:
        return
    from .pdf import axis_steps          # the sheet's tick rule: labels show each tick exactly

    ticks, places = axis_steps(max(values), chart["unit"], bottom=min(values))
    lo, hi = ticks[0], ticks[-1]
    left, right, top, bottom = box.x + 0.8, box.x + box.w - 0.1, box.y + 0.1, box.y + box.h - 0.95
    n = len(chart["categories"])

    def px(i):
        return left + (right - left) * (i / max(n - 1, 1))

    def py(v):
        return bottom - (bottom - top) * ((v - lo) / ((hi - lo) or 1))

    doc.set_font("DejaVu", "", 12)
    doc.set_text_color(*_hex(GREY))
    doc.set_line_width(0.01)
    doc.set_draw_color(217, 217, 217)
    for t in ticks:
        doc.line(left, py(t), right, py(t))
        doc.set_xy(box.x, py(t) - 0.1)
        doc.cell(0.75, 0.2, _pdf_safe(fmt.number(t, places)), align="R")
    skip = max(1, n // 6)
    for i in range(0, n, skip):
        doc.set_xy(px(i) - 0.5, bottom + 0.05)
        doc.cell(1.0, 0.22, chart["categories"][i], align="C")
    patterns = {"solid": None, "dash": (0.08, 0.05), "sysDot": (0.02, 0.04)}
    for name, vals, colour, dash in chart["series"]:
        doc.set_draw_color(*_hex(colour))
        doc.set_line_width(2.5 / 72)
        with doc.local_context():
            if patterns[dash]:
                doc.set_dash_pattern(dash=patterns[dash][0], gap=patterns[dash][1])
            run = []
            for i, v in enumerate(vals + [None]):
                if v is None:
                    if len(run) > 1:
                        doc.polyline(run)
                    run = []
                else:
                    run.append((px(i), py(v)))
        if dash == "solid":
            for i, v in enumerate(vals):
                if v is not None:
                    demo = chart["demo_points"][i]
                    doc.set_fill_color(*((255, 255, 255) if demo else _hex(colour)))
                    doc.circle(x=px(i), y=py(v), radius=0.045, style="FD")
    # legend
    x = box.x + 0.3
    y = box.y + box.h - 0.45
    doc.set_font("DejaVu", "", 11)
    for name, _vals, colour, dash in chart["series"]:
        doc.set_draw_color(*_hex(colour))
        doc.set_line_width(2.5 / 72)
        with doc.local_context():
            if patterns[dash]:
                doc.set_dash_pattern(dash=patterns[dash][0], gap=patterns[dash][1])
            doc.line(x, y + 0.1, x + 0.4, y + 0.1)
        doc.set_xy(x + 0.45, y)
        doc.set_text_color(*_hex(DARK))
        label = _pdf_safe(name)
        doc.cell(doc.get_string_width(label) + 0.1, 0.2, label)
        x += 0.6 + doc.get_string_width(label)


def _pdf_bar_chart(doc, box: Box, b: dict):
    doc.set_xy(box.x, box.y)
    doc.set_font("DejaVu", "B", 13)
    doc.set_text_color(*_hex(DARK))
    doc.cell(box.w, 0.25, _pdf_safe(b["title"]), align="C")
    n = len(b["values"])
    top = box.y + 0.35
    row = (box.h - 0.4) / max(n, 1)
    label_w, value_w = 1.9, 0.8
    zero_min = min(0.0, min(b["values"]))
    zero_max = max(0.0, max(b["values"])) or 1.0
    span = (zero_max - zero_min) or 1.0
    width = box.w - label_w - 2 * value_w
    x0 = box.x + label_w + value_w + width * (-zero_min / span)
    doc.set_font("DejaVu", "", min(11, row * 72 * 0.8))
    for i, (name, v, text) in enumerate(zip(reversed(b["categories"]), reversed(b["values"]), reversed(b["labels"]))):
        y = top + i * row
        doc.set_text_color(*_hex(DARK))
        doc.set_xy(box.x, y)
        doc.cell(label_w, row, _pdf_safe(name), align="R")
        w = width * (abs(v) / span)
        doc.set_fill_color(*_hex(BLUE if v >= 0 else VERMILLION))
        doc.rect(x0 if v >= 0 else x0 - w, y + row * 0.15, max(w, 0.005), row * 0.7, style="F")
        doc.set_xy(x0 + w + 0.05 if v >= 0 else x0 - w - value_w - 0.05, y)
        doc.cell(value_w, row, _pdf_safe(text), align="L" if v >= 0 else "R")


# ---------------------------------------------------------------------------------------------
# files, job, CLI


def filenames(region: str, quarter: str) -> tuple[str, str]:
    base = f"dossier-seance-{region}-{quarter}"
    return f"{base}.pptx", f"{base}.pdf"


def build(data: Store, region: str, quarter: str, thresholds: Thresholds | None = None,
          progress=lambda _t: None) -> tuple[bytes, bytes]:
    """(PPTX, PDF) of a quarter's pack."""
    pack = assemble(data, region, quarter, thresholds, progress=progress)
    progress("Diapositives PowerPoint…")
    pptx = pptx_bytes(pack)
    progress("PDF…")
    return pptx, pdf_bytes(pack)


def main(argv: list[str] | None = None) -> int:
    from . import settings, store

    parser = argparse.ArgumentParser(prog="python -m dashboard.pack",
                                     description="Dossier de séance du trimestre (PPTX et PDF).")
    parser.add_argument("--quarter", help="trimestre (2023Q4) ; par défaut le plus récent où un indicateur du plan a une valeur observée")
    parser.add_argument("--out", required=True, help="dossier où écrire les deux fichiers")
    parser.add_argument("--data", help="dossier du stock publié (par défaut celui de la configuration)")
    args = parser.parse_args(argv)
    conf = settings.current()
    from .saisie import appraisals as entered   # the CLI decides where appraisals come from

    entered.configure(conf)
    try:
        data = store.open_store(Path(args.data) if args.data else conf.data_dir)
    except store.StoreUnavailable as exc:
        data, why = None, str(exc)
    else:
        why = "aucune version publiée"
    if data is None:
        print(f"dossier de séance impossible : {why}", file=sys.stderr)
        return 2
    state = plan.resolve_state(data, conf.region)
    quarter = args.quarter or state.quarter
    if not args.quarter:
        print(texts.default_quarter(quarter), file=sys.stderr)
    if quarter not in state.quarters:
        print(f"--quarter : trimestre attendu parmi {state.quarters[0]} … {state.quarters[-1]} (AAAAQn), reçu "
              f"{quarter!r}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    pptx, pdf = build(data, conf.region, quarter, data.thresholds,
                      progress=lambda t: print(t, file=sys.stderr))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = filenames(conf.region, quarter)
    for name, content in zip(names, (pptx, pdf)):
        (out / name).write_bytes(content)
        print(out / name)
    print(f"Dossier de séance écrit en {time.perf_counter() - start:.1f} s.".replace(".", ",", 1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
