"""What a page shows can be typed back (issue 20): every text ``fmt`` writes for a number — « 1 234,5 » with its
narrow no-break space, « −0,42 », « +23 », « 16,9 % » — reads back to the shown value through the one number
reader, as the pipeline's readers and the saisie grid call it."""
from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from dashboard import fmt, units
from dashboard.pipeline.readers import _common, csvutil


UNITS = sorted(units.UNITS)          # every unit of the registry
values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


def _grid_number():
    from callbacks.saisie import _number     # the saisie grid's reading of a typed cell
    return _number


@pytest.fixture(scope="module")
def readers(app):
    """Every reader a number goes through: the one parser, the pipeline's (decimal comma), the saisie grid."""
    return [fmt.parse_number, _common.parse_number, lambda t: csvutil.parse_number(t, True), _grid_number()]


@hsettings(max_examples=300, deadline=None)
@given(value=values, unit=st.sampled_from(UNITS))
def test_a_value_with_its_unit_reads_back(readers, value, unit):
    text = fmt.value(value, unit)
    shown = float(f"{value:.{fmt.decimals(unit)}f}")
    for read in readers:
        assert read(text) == shown, (text, read)


@hsettings(max_examples=300, deadline=None)
@given(value=values, decimals=st.integers(min_value=0, max_value=3))
def test_numbers_signs_and_percentages_read_back(readers, value, decimals):
    shown = float(f"{value:.{decimals}f}")
    for text in (fmt.number(value, decimals), fmt.signed(value, decimals), fmt.percent(value, decimals)):
        for read in readers:
            assert read(text) == shown, (text, read)


def test_the_page_texts_themselves():
    assert fmt.number(1234.5, 1) == "1\u202f234,5" and fmt.parse_number("1\u202f234,5") == 1234.5
    assert fmt.parse_number("−0,42") == -0.42 and fmt.parse_number("±0") == 0
    assert fmt.parse_number("16,9\u202f%") == 16.9 and fmt.parse_number("1 234") == 1234
    assert fmt.parse_number("") is None


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "-inf", "1_000", "%", "12 €", "1,2,3", "–"])
def test_anything_else_is_refused(readers, text):
    for read in readers:
        with pytest.raises(ValueError):
            read(text)


def test_a_comma_file_still_refuses_a_decimal_comma():
    """In a comma-separated file « 1,234 » could be 1.234 or 1 234: refused, as before."""
    with pytest.raises(ValueError):
        csvutil.parse_number("1,5", False)
