"""Columns of the processed store's tables: the contract between pipeline and app.

Every reader in ``dashboard.pipeline.readers`` returns frames with (a subset of)
these columns; ``publish`` checks them before a version is written.
"""
from __future__ import annotations

STATUSES = ("observed", "estimated", "demo")
STATUS_LABELS = {"observed": "observée", "estimated": "estimée", "demo": "démo"}

TABLES: dict[str, list[str]] = {
    # code (FR, R84, D15, E…, C…), level (see territory.LEVELS), name, parent codes, population
    "territories": ["code", "level", "name", "region", "departement", "epci", "commune", "population"],
    # the catalogue; levels is a "|"-joined list of levels; entry: entered on the « Saisie » page
    "indicators": [
        "id", "label", "short_label", "unit", "polarity", "levels", "frequency", "definition",
        "source", "public", "plan", "order", "theme", "entry",
        # plausibility (dashboard.pipeline.plausibility): published so that the « Saisie » page checks entries
        # with the very rules of the build
        "min", "max", "bounds_note", "jump_factor", "scale_factor",
    ],
    # targets per indicator and territory (the catalogue's, then the baromètre's indic_vc)
    # (date: the source's ISO day of the target, e.g. 2024-12-01; empty for the catalogue's)
    "targets": ["indicator", "territory", "period", "value", "source", "date"],
    # yearly milestones on the way to a target (the catalogue's ``milestones`` inside a target)
    "milestones": ["indicator", "territory", "period", "value", "source"],
    # values; period is a quarter "2023Q4"; status observed|estimated|demo; date: ISO day of the situation
    # when the source dates it (baromètre metric_enforce_date: 2023-11-01 and 2023-12-01 are both 2023Q4),
    # else empty (the quarter's end is then the date shown) (+ OPTIONAL_COLUMNS)
    "observations": ["indicator", "territory", "period", "value", "status", "source", "note", "date"],
    # the baseline of a series as the source states it (baromètre indic_vi, dated by its own row): the
    # taux d'avancement starts from it (dashboard.queries.baseline_of); none: the plan's baseline quarter
    "baselines": ["indicator", "territory", "period", "date", "value", "source"],
    # points: FINESS structures (category 603 MSP, 124 CDS, 604 CPTS)
    "structures": [
        "id", "category", "category_label", "name", "address", "commune", "opening_date", "lon", "lat", "source",
    ],
    "initiatives": ["territory", "title", "text", "year", "source"],
    # dated memberships of communes: kind "cpts" (group = CPTS id, stage signée|en projet) or "zonage"
    # (group = ZIP|ZAC|ZV|HZ); valid_from/valid_to are ISO dates ("" = not in force yet / still in force)
    "perimeters": ["kind", "group", "name", "stage", "commune", "valid_from", "valid_to", "source"],
    # the plan tracking computed by the build (dashboard.tracking): one row per plan indicator × territory ×
    # quarter, the record as JSON; ``tracking_public`` is the same computed on the public values only
    "tracking": ["indicator", "territory", "quarter", "status", "progress", "value", "record"],
    "tracking_public": ["indicator", "territory", "quarter", "status", "progress", "value", "record"],
}

KEY = ["indicator", "territory", "period"]

#: Tables a version published before they existed lacks: loaded empty rather than refusing the version.
OPTIONAL_TABLES = ("milestones", "perimeters", "baselines", "tracking", "tracking_public")

#: Columns the build adds to a table (readers need not give them; a version written before them lacks them):
#: release = publication date or millésime of the file a value came from; previous_value / previous_release =
#: the value it revised, if any (dashboard.pipeline.revisions).
OPTIONAL_COLUMNS = {"observations": ["release", "previous_value", "previous_release"]}
