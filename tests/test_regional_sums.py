"""A region's count from its départements once every one has reported (dashboard.pipeline.totals)."""
import pandas as pd

from dashboard.pipeline import totals

TERRITORIES = pd.DataFrame({"code": ["R84", "D01", "D03", "D07", "R53", "D22"],
                            "level": ["region", "departement", "departement", "departement", "region", "departement"],
                            "region": ["", "R84", "R84", "R84", "", "R53"]})
INDICATORS = pd.DataFrame({"id": ["msp_count", "cpts_coverage_pct", "commune_only"],
                           "unit": ["nombre", "%", "nombre"],
                           "levels": ["region|departement", "region|departement", "commune|departement"]})
COLUMNS = ["indicator", "territory", "period", "value", "status", "source", "note", "date", "release"]


def obs(rows):
    return pd.DataFrame([dict(zip(COLUMNS, r + ("", "", "", "r1")[len(r) - 5:])) for r in rows], columns=COLUMNS)


def rows(frame, territory, period, indicator="msp_count"):
    return frame[(frame["territory"] == territory) & (frame["period"] == period) & (frame["indicator"] == indicator)]


def test_every_departement_reported_gives_the_region_their_sum_named_as_such():
    base = obs([("msp_count", d, "2026Q3", v, "observed") for d, v in (("D01", 10), ("D03", 5), ("D07", 7))])
    out, report = totals.regional_sums(base, INDICATORS, TERRITORIES)
    r = rows(out, "R84", "2026Q3")
    assert r["value"].tolist() == [22.0] and r["status"].tolist() == ["observed"]
    assert r["source"].tolist() == ["somme des 3 départements"]
    assert len(report) == 1 and "msp_count" in report[0]
    assert rows(out, "R53", "2026Q3").empty           # no value of Bretagne's département: no sum


def test_a_partial_quarter_a_regional_figure_a_share_or_a_demo_part_gives_no_sum():
    partial = obs([("msp_count", d, "2026Q3", 3, "observed") for d in ("D01", "D03")])
    assert rows(totals.regional_sums(partial, INDICATORS, TERRITORIES)[0], "R84", "2026Q3").empty
    own = obs([("msp_count", d, "2026Q3", 3, "observed") for d in ("D01", "D03", "D07")]
              + [("msp_count", "R84", "2026Q3", 10, "observed")])
    kept = rows(totals.regional_sums(own, INDICATORS, TERRITORIES)[0], "R84", "2026Q3")
    assert kept["value"].tolist() == [10.0]           # the region's own figure is never replaced
    share = obs([("cpts_coverage_pct", d, "2026Q3", 50, "observed") for d in ("D01", "D03", "D07")])
    assert rows(totals.regional_sums(share, INDICATORS, TERRITORIES)[0], "R84", "2026Q3", "cpts_coverage_pct").empty
    undeclared = obs([("commune_only", d, "2026Q3", 1, "observed") for d in ("D01", "D03", "D07")])
    assert rows(totals.regional_sums(undeclared, INDICATORS, TERRITORIES)[0], "R84", "2026Q3", "commune_only").empty
    demo = obs([("msp_count", "D01", "2026Q3", 1, "demo")] + [("msp_count", d, "2026Q3", 1, "observed")
                                                               for d in ("D03", "D07")])
    assert rows(totals.regional_sums(demo, INDICATORS, TERRITORIES)[0], "R84", "2026Q3").empty


def test_an_estimated_part_makes_the_sum_estimated():
    mixed = obs([("msp_count", "D01", "2026Q3", 1, "estimated")] + [("msp_count", d, "2026Q3", 2, "observed")
                                                                    for d in ("D03", "D07")])
    r = rows(totals.regional_sums(mixed, INDICATORS, TERRITORIES)[0], "R84", "2026Q3")
    assert r["status"].tolist() == ["estimated"] and r["value"].tolist() == [5.0]


def test_frames_without_optional_columns_are_summed_too():
    bare = obs([("msp_count", d, "2026Q3", 1, "observed") for d in ("D01", "D03", "D07")]).drop(columns=["date", "release"])
    out, _ = totals.regional_sums(bare, INDICATORS, TERRITORIES)
    assert rows(out, "R84", "2026Q3")["value"].tolist() == [3.0]
