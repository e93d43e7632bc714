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
