"""Static subtrees rendered as one Dash component.

Dash 4's renderer dispatches a store action for every component it mounts, and every dispatch runs the selector of
every component on the page: replacing 660 components of a 1 300-component page cost about 900 ms of JavaScript on
a quarter change of the plan page. A table, a card's text or a list of alerts has no callback inside it, so it is
sent as its HTML in one :class:`StaticHtml` (drawn by ``assets/static_html.js``): one component instead of
hundreds, the same elements in the page (ids, classes, ``scope``, captions: print, axe and the tests see no
difference).

:func:`freeze` takes a tree of ``dash.html`` components (the layouts keep building them as everywhere else) and
returns it frozen; :func:`to_html` is the serialiser, escaping every text and attribute value. A component that is
not plain HTML (a ``dcc`` control, a pattern-matching id) has a callback or a behaviour and cannot be frozen: a
TypeError says which.
"""
from __future__ import annotations

import re
from html import escape

from dash.development.base_component import Component, _explicitize_args

VOID = frozenset({"area", "br", "col", "hr", "img", "input", "wbr"})
ATTRIBUTES = {"className": "class", "htmlFor": "for", "colSpan": "colspan", "rowSpan": "rowspan",
              "tabIndex": "tabindex", "accessKey": "accesskey", "dateTime": "datetime"}
NOT_RENDERED = frozenset({"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key", "setProps"})


class StaticHtml(Component):
    """HTML made on the server (by :func:`freeze`, escaped), drawn as it is: no component, no callback inside.

    Keyword arguments:
    - html (string): the markup.
    - id (string; optional), className (string; optional): of the wrapper (``display: contents``)."""
    _children_props: list[str] = []
    _base_nodes: list[str] = []
    _namespace = "acces_soins"
    _type = "StaticHtml"

    @_explicitize_args
    def __init__(self, html: str = "", id: str | None = None, className: str | None = None, **kwargs):
        self._prop_names = ["html", "id", "className"]
        self._valid_wildcard_attributes: list[str] = []
        self.available_properties = ["html", "id", "className"]
        self.available_wildcard_properties: list[str] = []
        explicit = kwargs.pop("_explicit_args")           # the arguments given (Dash sends only those)
        given = {"html": html, "id": id, "className": className}
        super().__init__(**{k: v for k, v in given.items() if k in explicit})


def _style(style: dict) -> str:
    return "; ".join(f"{re.sub('([A-Z])', lambda m: '-' + m.group(1).lower(), k)}: {v}" for k, v in style.items())


def _attribute(name: str, value) -> str:
    if value is None or value is False:
        return ""
    name = ATTRIBUTES.get(name, name)
    if value is True:
        return f" {name}"
    if isinstance(value, dict):
        if name != "style":
            raise TypeError(f"attribut {name} : une valeur simple est attendue (un id de motif n'est pas statique)")
        value = _style(value)
    return f' {name}="{escape(str(value), quote=True)}"'


def to_html(node) -> str:
    """The HTML of a tree of ``dash.html`` components, strings and numbers (None and False: nothing)."""
    if node is None or node is False:
        return ""
    if isinstance(node, (list, tuple)):
        return "".join(to_html(child) for child in node)
    if isinstance(node, StaticHtml):
        return node.html
    if isinstance(node, (str, int, float)):
        return escape(str(node), quote=False)
    if not isinstance(node, Component) or node._namespace != "dash_html_components":
        raise TypeError(f"{type(node).__name__} n'est pas du HTML statique : il ne peut pas être figé")
    tag = node._type.lower()
    props = node.to_plotly_json()["props"]
    attributes = "".join(_attribute(k, v) for k, v in props.items() if k not in NOT_RENDERED)
    if tag in VOID:
        return f"<{tag}{attributes}>"
    return f"<{tag}{attributes}>{to_html(props.get('children'))}</{tag}>"


def freeze(node) -> StaticHtml:
    """``node`` (a tree of ``dash.html`` components) as one component."""
    return StaticHtml(html=to_html(node))
