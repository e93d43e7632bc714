"""Static files are gzip-compressed once per URL and served identical to the uncompressed bytes."""
import gzip
import re
import urllib.request


def _get(url, encoding=None):
    req = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(req) as r:
        return r.headers, r.read()


def test_component_suites_are_gzipped_and_intact(live_server):
    _h, index = _get(live_server.url + "/")
    script = re.search(r'src="(/_dash-component-suites/[^"]+\.js[^"]*)"', index.decode()).group(1)
    plain_headers, plain = _get(live_server.url + script)
    assert "Content-Encoding" not in plain_headers
    for _ in range(2):                       # second time from the per-process cache
        headers, body = _get(live_server.url + script, "gzip, deflate, br")
        assert headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in headers["Vary"]
        assert gzip.decompress(body) == plain
        assert int(headers["Content-Length"]) == len(body) < len(plain)


def test_plotly_is_served_as_the_partial_bundle_only(live_server):
    """dcc.Graph asks for plotly.min.js: it gets the basic partial bundle (scatter, bar, pie) of the same plotly.js
    version as the installed plotly package, never the 4.8 MB full bundle, under any spelling of the URL."""
    from plotly.offline import get_plotlyjs_version

    from dashboard.server import PLOTLY_BUNDLE

    partial = PLOTLY_BUNDLE.read_bytes()
    assert f"plotly.js (basic - minified) v{get_plotlyjs_version()}\n".encode() in partial[:200]
    assert (PLOTLY_BUNDLE.parent / "LICENSE").exists()
    for path in ("/_dash-component-suites/plotly/package_data/plotly.min.js",
                 "/_dash-component-suites/plotly/package_data/plotly.v7_1_0m1234567890.min.js"):
        headers, body = _get(live_server.url + path, "gzip")
        assert headers["Content-Type"].startswith("application/javascript")
        assert gzip.decompress(body) == partial and len(body) < 450_000


def test_the_trace_types_used_are_in_the_partial_bundle():
    """A chart of a trace type the partial bundle lacks would draw nothing: every figure stays scatter or bar."""
    import ast

    from .helpers import ROOT

    used = set()
    for module in ("dashboard/plan_figures.py", "dashboard/sheet_charts.py"):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        used |= {node.attr for node in ast.walk(tree)
                 if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "go"
                 and node.attr[0].isupper() and node.attr not in {"Figure", "Layout"}}
    assert used and used <= {"Scatter", "Bar", "Pie"}, used
