"""Frozen subtrees (layouts/static_html.py): the same elements as the components, every text and attribute escaped,
and nothing with a behaviour frozen."""
from __future__ import annotations

import pytest
from dash import dcc, html

from layouts.static_html import StaticHtml, freeze, to_html

from .helpers import text_of, thaw, walk


def test_a_table_is_written_with_its_attributes():
    tree = html.Div(html.Table([html.Caption("MSP"), html.Thead(html.Tr(html.Th("Valeur", scope="col",
                                                                                  className="num"))),
                                html.Tbody(html.Tr([html.Td("1 234,5", colSpan=2), html.Td(None)]))],
                               id="t", **{"aria-describedby": "n"}), className="fr-table", hidden=False)
    assert to_html(tree) == ('<div class="fr-table"><table id="t" aria-describedby="n"><caption>MSP</caption>'
                             '<thead><tr><th class="num" scope="col">Valeur</th></tr></thead><tbody><tr>'
                             '<td colspan="2">1 234,5</td><td></td></tr></tbody></table></div>')


def test_text_and_attributes_are_escaped():
    evil = '<img src=x onerror=alert(1)> & "'
    markup = to_html(html.P(evil, title=evil, style={"backgroundColor": "red"}))
    assert "<img" not in markup and "onerror=alert(1)&gt;" in markup
    assert 'title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;"' in markup
    assert 'style="background-color: red"' in markup
    assert text_of(freeze(html.P(evil))) == evil


def test_thawed_is_the_tree_that_was_frozen():
    tree = html.Article([html.P(["Valeur : ", html.Strong("667"), html.Br(), "observée"], className="v"),
                         html.Details([html.Summary("Définition"), html.P("Nombre de MSP")])])
    (back,) = thaw(to_html(tree))
    assert to_html(back) == to_html(tree)
    assert [type(c).__name__ for c in walk(freeze(tree))][:4] == ["StaticHtml", "Article", "P", "Strong"]


@pytest.mark.parametrize("node", [dcc.Link("x", href="/"), html.Button("x", id={"type": "card", "index": 1})])
def test_a_component_with_a_behaviour_is_not_frozen(node):
    with pytest.raises(TypeError):
        freeze(html.Div(node))


def test_a_frozen_part_inside_another_is_kept_as_it_is():
    inner = freeze(html.Span("a < b"))
    assert isinstance(inner, StaticHtml) and to_html(html.P(inner)) == "<p><span>a &lt; b</span></p>"
