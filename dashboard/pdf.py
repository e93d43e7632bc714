"""The territory sheet as an A4 PDF (pure: sheet dict → PDF bytes), drawn with fpdf2.

Same sections and the same figures as the page (``dashboard.sheet.assemble``); charts are drawn with fpdf2's own
primitives (no browser, no image library); the Unicode font is the DejaVu Sans subset committed in
assets/fonts/ (never a system font). Every page carries the data version, the date and the permalink.
See docs/territoire.md for why fpdf2.
"""
from __future__ import annotations

import base64
import datetime as dt
import math
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from . import appraisal, fmt, periods, units
from .schema import STATUS_LABELS
from .sheet import SECTIONS, SMALL_COUNT, change_text, progress_text, when_text

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans-subset.ttf", FONTS / "DejaVuSans-Bold-subset.ttf"
BLUE = (0, 0, 145)
ORANGE = (179, 64, 0)
GREY = (110, 110, 110)
LIGHT = (230, 230, 230)
ASSESSMENT_COLOURS = {"better": ((219, 232, 251), (0, 54, 111)), "worse": ((253, 231, 215), (122, 46, 0))}


@lru_cache(maxsize=1)
def _glyphs() -> frozenset:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(REGULAR)).getBestCmap())


def _t(text: object) -> str:
    """Text the embedded font can draw (any other character becomes « ? »)."""
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs or c in "\n" else "?" for c in str(text if text is not None else ""))


def _v(value: dict | None, unit: str) -> str:
    if value is None:
        return "–"
    mark = {"demo": " (démo)", "estimated": " (estimée)"}.get(value["status"], "")
    return fmt.value(value["value"], unit) + mark


def _date(value) -> str:
    return fmt.day(value, "pdf")     # the PDF medium's date format (dashboard/fmt.py)


class _Sheet(FPDF):
    footer_text = ""
    header_text = ""

    def header(self):
        if self.page_no() == 1:
            return
        self.set_font("DejaVu", "", 7.5)
        self.set_text_color(*GREY)
        self.cell(0, 5, _t(self.header_text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def footer(self):
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*GREY)
        self.cell(0, 4, _t(self.footer_text), new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 4, f"Page {self.page_no()}/{{nb}}", align="R")


def filename(sheet: dict) -> str:
    return f"fiche-territoire-{sheet['code']}-{sheet['quarter']}.pdf"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def render(sheet: dict, generated_at: dt.datetime | None = None, base_url: str = "") -> bytes:
    generated_at = generated_at or dt.datetime.now()
    t = sheet["territory"]
    pdf = _Sheet(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(REGULAR))
    pdf.add_font("DejaVu", "B", str(BOLD))
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(True, margin=16)
    permalink = (base_url.rstrip("/") + sheet["permalink"]) if base_url else sheet["permalink"]
    pdf.header_text = f"Fiche territoire — {t['name']} ({t['level_label']}) — {sheet['quarter_label']}"
    pdf.footer_text = (f"Données : version {sheet['version']} — PDF généré le {fmt.timestamp(generated_at, 'pdf')} — "
                       f"{permalink}")
    pdf.set_title(_t(f"Fiche territoire {t['name']} – {sheet['quarter_label']}"))
    pdf.set_author(f"{sheet['region_name']} – tableau de bord Accès aux soins")
    pdf.set_lang("fr")
    pdf.set_creation_date(generated_at.astimezone() if generated_at.tzinfo else generated_at.astimezone())
    pdf.add_page()
    _title(pdf, sheet, permalink, generated_at)
    _profile(pdf, sheet)
    _trends(pdf, sheet)
    _changes(pdf, sheet)
    _structures(pdf, sheet)
    _zoning(pdf, sheet)
    _initiatives(pdf, sheet)
    _provenance(pdf, sheet)
    return bytes(pdf.output())


# ---- blocks ------------------------------------------------------------------------------------

def _text(pdf, text, size=9, bold=False, colour=(22, 22, 22), h=None):
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, h or size * 0.5, _t(text), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf, title, new_page=False):
    if new_page or pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(3)
    pdf.start_section(_t(title))
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 20, pdf.get_y())
    pdf.ln(1.5)
    _text(pdf, title, 13, bold=True, colour=BLUE, h=7)
    pdf.ln(1)


def _title(pdf, sheet, permalink, generated_at):
    t = sheet["territory"]
    _text(pdf, "Fiche territoire — accès aux soins", 9, colour=GREY)
    _text(pdf, t["name"], 22, bold=True, colour=BLUE, h=11)
    parents = " › ".join(f"{p['name']} ({p['level_label'] if p['level'] == 'epci' else p['level_label'].lower()})" for p in sheet["parents"])
    pop = f"{fmt.number(t['population'])} habitants" if t["population"] else "population inconnue"
    _text(pdf, f"{t['level_label']} · code {sheet['code']} · {pop}", 10)
    if parents:
        _text(pdf, f"Appartient à : {parents}", 9)
    _text(pdf, f"Trimestre : {sheet['quarter_label']}. Données : version {sheet['version']}, construite le "
               f"{_date(sheet['built_at'])}. Document généré le {fmt.day(generated_at, 'pdf')}.", 8.5, colour=GREY)
    _text(pdf, f"Adresse permanente : {permalink}", 8.5, colour=GREY)
    for message in (sheet["quarter_message"], sheet.get("missing_communes")):
        if message:
            _text(pdf, message, 8.5, colour=ORANGE)
    if sheet["provenance"]["has_demo"]:
        pdf.ln(2)
        pdf.set_fill_color(254, 233, 246)
        pdf.set_font("DejaVu", "B", 8.5)
        pdf.set_text_color(110, 68, 90)
        pdf.multi_cell(0, 4.5, _t("Données de démonstration : cette fiche contient des valeurs illustratives, "
                                  "marquées « (démo) ». Elles ne doivent pas être lues comme des faits."),
                       fill=True, new_x="LMARGIN", new_y="NEXT")


def _table(pdf, headings, rows, widths, align=None, fills=None, size=7.5):
    pdf.set_fill_color(255, 255, 255)
    pdf.set_font("DejaVu", "", size)
    pdf.set_text_color(22, 22, 22)
    pdf.set_draw_color(*LIGHT)
    pdf.set_line_width(0.2)
    head = FontFace(emphasis="BOLD", fill_color=(238, 238, 246), color=BLUE)
    with pdf.table(col_widths=widths, text_align=align or "LEFT", line_height=size * 0.5, headings_style=head,
                   borders_layout="HORIZONTAL_LINES", padding=0.8, width=pdf.epw) as table:
        row = table.row()
        for h in headings:
            row.cell(_t(h))
        for i, values in enumerate(rows):
            row = table.row()
            for j, v in enumerate(values):
                style = None
                if fills and fills[i] and j == len(values) - 1:
                    bg, fg = fills[i]
                    style = FontFace(fill_color=bg, color=fg, emphasis="BOLD")
                row.cell(_t(v), style=style)
    pdf.ln(2)


def _profile(pdf, sheet):
    _heading(pdf, SECTIONS[0])
    comps = sheet["comparators"]
    bench = next((c["name"] for c in comps if sheet["profile"] and c["code"] == sheet["profile"][0]["benchmark"]), "")
    _text(pdf, f"Valeurs au {sheet['quarter_label']} (ou dernière valeur connue, trimestre entre parenthèses). "
               f"Comparaison avec {bench or 'la référence'} ; effectifs comparés pour 100 000 habitants ; effectif "
               f"inférieur à {SMALL_COUNT} non comparé. Le texte de la dernière colonne dit le sens de la comparaison.",
          7.5, colour=GREY)
    pdf.ln(1)
    rows, fills = [], []
    for r in sheet["profile"]:
        rows.append([r["short_label"] + when_text(r["own"], sheet["quarter"]), _v(r["own"], r["unit"]),
                     *[_v(r["comparators"][c["code"]], r["unit"]) + when_text(r["comparators"][c["code"]],
                                                                             sheet["quarter"]) for c in comps],
                     r["peers"]["label"] if r["peers"] else "–", r["assessment_label"]])
        fills.append(ASSESSMENT_COLOURS.get(r["assessment"]))
    n = len(comps)
    per = (pdf.epw - 44 - 22 - 34 - 28) / max(n, 1)
    widths = (44, 22, *([per] * n), 34, 28)
    _table(pdf, ["Indicateur", "Ce territoire", *[c["name"] for c in comps], "Position parmi ses pairs",
                 "Comparaison"], rows, widths, fills=fills, size=7)


def _trends(pdf, sheet):
    _heading(pdf, SECTIONS[1])          # sections flow: no page left nearly blank before the charts
    if not sheet["trends"]:
        _text(pdf, "Aucune série des indicateurs du plan n'est disponible à ce niveau territorial.")
        return
    w, h, gap = 88, 42, 4
    for i, tr in enumerate(sheet["trends"]):
        col = i % 2
        if col == 0:
            if pdf.get_y() + h + 30 > pdf.h - 16:
                pdf.add_page()
            top = pdf.get_y()
            below = top
        x = pdf.l_margin + col * (w + gap)
        pdf.set_xy(x, top)
        pdf.set_font("DejaVu", "B", 8.5)
        pdf.set_text_color(22, 22, 22)
        pdf.cell(w, 5, _t(tr["short_label"]))
        _chart(pdf, x, top + 5, w, h, tr)
        pdf.set_xy(x, top + 5 + h + 1)
        pdf.set_font("DejaVu", "", 6.5)
        pdf.set_text_color(60, 60, 60)
        values = _runs(tr)
        if tr["target"]:
            values += f" · cible {fmt.quarter(tr['target']['period'])} {fmt.target(tr['target']['value'], tr['unit'])}"
        pdf.multi_cell(w, 3, _t("Valeurs : " + values), new_x="LEFT", new_y="NEXT")
        text = progress_text(tr)
        if text:
            pdf.set_x(x)
            pdf.set_text_color(*BLUE)
            pdf.multi_cell(w, 3, _t(text), new_x="LEFT", new_y="NEXT")
        ap = tr.get("appraisal")
        if ap is not None:          # the team's appraisal, beside (never instead of) the computed status
            clash = appraisal.disagreement(ap.level, (tr.get("progress") or {}).get("status"))
            pdf.set_x(x)
            pdf.set_text_color(22, 22, 22)
            text = f"Appréciation de l'équipe : {ap.label} ({ap.byline})"
            text += f". ▲ Désaccord avec le statut calculé : {clash}" if clash else ""
            pdf.multi_cell(w, 3, _t(text + (f". {ap.synthesis}" if ap.synthesis else "")), new_x="LEFT", new_y="NEXT")
        below = max(below, pdf.get_y())
        if col == 1 or i == len(sheet["trends"]) - 1:
            pdf.set_xy(pdf.l_margin, below + 3)


def _chart(pdf, x, y, w, h, tr):
    series = tr["series"]
    unit = tr["unit"]
    pts = [(_x(p), float(v), s) for p, v, s in zip(series["period"], series["value"], series["status"])]
    target = tr.get("target")
    xs = [p[0] for p in pts] + ([_x(target["period"])] if target else [])
    ys = [p[1] for p in pts] + ([float(target["value"])] if target else [])
    x0, x1 = int(min(xs)), int(max(xs)) + 1
    ticks = axis_ticks(max(ys), unit)
    y1 = ticks[-1][0] * 1.05           # a little headroom above the top tick
    left, bottom = x + 12, y + h - 6
    width, height = w - 14, h - 10

    def px(v):
        return left + (v - x0) / (x1 - x0) * width

    def py(v):
        return bottom - v / y1 * height

    pdf.set_draw_color(*LIGHT)
    pdf.set_line_width(0.2)
    pdf.set_font("DejaVu", "", 6)
    pdf.set_text_color(*GREY)
    for val, label in ticks:
        pdf.line(left, py(val), left + width, py(val))
        pdf.set_xy(x, py(val) - 1.5)
        pdf.cell(11, 3, _t(label), align="R")
    step = max(1, (x1 - x0) // 5)
    for year in range(x0, x1 + 1, step):
        pdf.set_xy(px(year) - 5, bottom + 0.5)
        pdf.cell(10, 3, str(year), align="C")
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.5)
    if len(pts) > 1:
        pdf.polyline([(px(a), py(b)) for a, b, _s in pts])
    pdf.set_fill_color(*BLUE)
    for a, b, s in pts:
        pdf.circle(x=px(a), y=py(b), radius=0.8, style="D" if s == "demo" else "FD")
    if target:
        pdf.set_draw_color(*ORANGE)
        with pdf.local_context():
            pdf.set_dash_pattern(dash=1, gap=1)
            pdf.line(px(pts[-1][0]), py(pts[-1][1]), px(_x(target["period"])), py(float(target["value"])))
        pdf.set_fill_color(*ORANGE)
        pdf.circle(x=px(_x(target["period"])), y=py(float(target["value"])), radius=1.1, style="FD")
        pdf.set_text_color(*ORANGE)
        pdf.set_xy(px(_x(target["period"])) - 22, py(float(target["value"])) - 4)
        pdf.cell(22, 3, _t(f"cible {fmt.value(target['value'], unit, 0)}"), align="R")


def axis_steps(top: float, unit: str, most: int = 4, bottom: float = 0.0) -> tuple[list[float], int]:
    """The tick rule of every PDF value axis (the territory sheet's, the committee pack's): positions from
    ``bottom`` (rounded down to the step; 0 by default) to at least ``top``, at most ``most`` + 1 of them on a nice
    step (1, 2, 2,5 or 5 × 10^k), and the decimals that show each position exactly — a count axis only has whole
    numbers (no « 2 » at 1,5), a percentage or a rate shows the decimals its step needs."""
    if not (top and top > bottom):                 # no value, or a flat series: a little room above it
        top = bottom + (abs(bottom) / most or 1.0)
    raw = (top - bottom) / most
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)
    if fmt.decimals(unit) == 0 or units.of(unit).is_count:
        step = max(1.0, math.ceil(step))          # counts: whole numbers only
    places = next(d for d in range(0, 6) if abs(round(step, d) - step) < 1e-9)   # 0,25 → 2 ; 2,5 → 1 ; 5 → 0
    first = math.floor(bottom / step + 1e-9) * step
    count = math.ceil((top - first) / step - 1e-9)
    return [round(first + i * step, places) for i in range(count + 1)], places


def axis_ticks(top: float, unit: str, most: int = 4, bottom: float = 0.0) -> list[tuple[float, str]]:
    """:func:`axis_steps`, each position labelled with exactly its value and unit."""
    values, places = axis_steps(top, unit, most, bottom)
    return [(v, fmt.value(v, unit, places)) for v in values]


def _runs(tr: dict) -> str:
    """The series as text, runs of equal values merged: « T2 2017 à T1 2019 : 3 (démo) · T2 2019 : 4 … »."""
    runs: list[list] = []
    for p, v, st in zip(tr["series"]["period"], tr["series"]["value"], tr["series"]["status"]):
        if runs and runs[-1][2] == v and runs[-1][3] == st:
            runs[-1][1] = p
        else:
            runs.append([p, p, v, st])
    parts = []
    for first, last, v, st in runs:
        when = fmt.quarter(first) if first == last else f"{fmt.quarter(first)} à {fmt.quarter(last)}"
        mark = {"demo": " (démo)", "estimated": " (estimée)"}.get(st, "")
        parts.append(f"{when} : {fmt.value(v, tr['unit'])}{mark}")
    return " · ".join(parts)


def _x(quarter: str) -> float:
    year, q = periods.parse(quarter)
    return year + (q - 1) / 4 + 0.125


def _changes(pdf, sheet):
    _heading(pdf, SECTIONS[2])
    if not sheet["changes"]:
        _text(pdf, "Aucune valeur pour ce territoire à ce trimestre.")
        return

    rows = [[c["label"], _v(c["now"], c["unit"]) + when_text(c["now"], sheet["quarter"]),
             change_text(c["previous"], c["unit"]),
             change_text(c["year"], c["unit"])] for c in sheet["changes"]]
    _table(pdf, ["Indicateur", sheet["quarter_label"], "Depuis l'observation précédente",
                 f"Depuis le {fmt.quarter(sheet['year_before'])}"], rows, (80, 30, 35, 35))


def _structures(pdf, sheet):
    _heading(pdf, SECTIONS[3])
    frame = sheet["structures"]
    if sheet["structures_total"] == 0:
        _text(pdf, "Aucune structure chargée (répertoire FINESS non fourni).")
    elif not len(frame):
        _text(pdf, "Aucune structure (MSP, centre de santé, CPTS) enregistrée dans ce territoire.")
    else:
        rows = [[r.category_label, r.name, r.address or "", str(r.opening_date or "–")[:10], r.source]
                for r in frame.itertuples()]
        _table(pdf, ["Catégorie", "Nom", "Adresse", "Ouverture", "Source"], rows, (25, 50, 50, 20, 35))


def _zoning(pdf, sheet):
    _heading(pdf, SECTIONS[4])
    comps = sheet["comparators"]
    rows = [[z["label"], _v(z["own"], z["unit"]) if z["available"] else "non disponible à ce niveau",
             *[_v(z["comparators"][c["code"]], z["unit"]) for c in comps]] for z in sheet["zoning"]]
    rest = 180 - 70
    per = rest / (len(comps) + 1)
    _table(pdf, ["Indicateur", sheet["territory"]["name"], *[c["name"] for c in comps]], rows,
           (70, *([per] * (len(comps) + 1))))


def _initiatives(pdf, sheet):
    _heading(pdf, SECTIONS[5])
    if not sheet["initiatives"]:
        _text(pdf, "Aucune initiative locale enregistrée pour ce territoire ni ses territoires englobants.")
        return
    for i in sheet["initiatives"]:
        _text(pdf, i["title"], 9.5, bold=True)
        _text(pdf, f"{i['territory_name']} ({i['where_label']}) — {i['year']}", 7.5, colour=GREY)
        _text(pdf, i["text"], 8.5)
        _text(pdf, f"Source : {i['source']}", 7.5, colour=GREY)
        pdf.ln(1.5)


def _provenance(pdf, sheet):
    _heading(pdf, SECTIONS[6])
    counts = sheet["provenance"]["counts"]
    _text(pdf, "Valeurs de cette fiche : " + ", ".join(
        f"{counts.get(k, 0)} {STATUS_LABELS[k]}{'s' if counts.get(k, 0) > 1 else ''}"
        for k in ("observed", "estimated", "demo")) + ".", 8.5)
    pdf.ln(1)
    rows = [[STATUS_LABELS.get(s["status"], s["status"]), s["source"], s["periods_label"]]
            for s in sheet["provenance"]["sources"]]
    if rows:
        _table(pdf, ["Statut", "Source", "Trimestres"], rows, (20, 125, 35))
    _text(pdf, f"Données : version {sheet['version']}, construite le {_date(sheet['built_at'])}.", 7.5, colour=GREY)
