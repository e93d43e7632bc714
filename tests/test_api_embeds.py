"""Embeds, oEmbed and chart images (docs/api.md): an embed renders alone in another site's iframe, says its
source and links back; oEmbed answers for it; the chart downloads as PNG and SVG with its title and source."""
from __future__ import annotations

import http.server
import json
import shutil
import threading

import pytest

from .helpers import free_port, walk

EMBED = "/integrer/graphique/msp_count?territoire=R84&trimestre=2023Q4"


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def test_each_embed_has_its_source_a_link_back_no_navigation_and_an_oembed_link(client):
    for url in (EMBED, "/integrer/plan/msp_count?territoire=R84&trimestre=2023Q4",
                "/integrer/carte/msp_count?trimestre=2023Q4&niveau=departement"):
        r = client.get(url)
        page = r.get_data(as_text=True)
        assert r.status_code == 200, url
        assert "Source : " in page and "IND-311" in page, url
        assert "Voir sur le tableau de bord" in page and "<nav" not in page, url
        assert 'type="application/json+oembed"' in page or "type='application/json+oembed'" in page, url
    assert "383" in client.get("/integrer/plan/msp_count?territoire=R84&trimestre=2023Q4").get_data(as_text=True)
    carte = client.get("/integrer/carte/msp_count?trimestre=2023Q4").get_data(as_text=True)
    assert "<svg" in carte and "Cantal" in carte


@pytest.mark.parametrize("url", ["/integrer/graphique/inconnu", "/integrer/autre/msp_count",
                                 "/integrer/carte/msp_count?niveau=commune", "/integrer/plan/msp_count?territoire=D99",
                                 "/integrer/plan/msp_count?trimestre=2023T4"])
def test_wrong_embeds_are_404s(client, url):
    assert client.get(url).status_code == 404


def test_oembed_answers_for_the_msp_chart_and_its_plan_page(client):
    body = json.loads(client.get("/oembed?url=http://localhost" + EMBED.replace("&", "%26")).get_data())
    assert body["version"] == "1.0" and body["type"] == "rich" and "<iframe" in body["html"]
    assert "/integrer/graphique/msp_count" in body["html"] and body["width"] > 0 and body["height"] > 0
    small = json.loads(client.get("/oembed?maxwidth=300&url=http://localhost/?indicateur=msp_count").get_data())
    assert small["width"] == 300 and "/integrer/graphique/msp_count" in small["html"]
    assert client.get("/oembed?url=https://ailleurs.example/integrer/graphique/msp_count").status_code == 404
    assert client.get("/oembed?url=http://localhost" + EMBED + "&format=xml").status_code == 501
    assert client.get("/oembed").status_code == 400


def test_plan_page_offers_the_iframe_code_and_its_oembed_link(client):
    page = client.get("/?indicateur=msp_count&trimestre=2023Q4").get_data(as_text=True)
    assert "application/json+oembed" in page
    from dashboard import settings, store
    from layouts import plan as plan_page

    conf = settings.current()
    parts = plan_page.detail_section(store.get(), conf, "R84", "2023Q4", "msp_count")
    found = [c for part in parts if part is not None for c in walk(part) if getattr(c, "id", None) == "plan-embed-code"]
    assert len(found) == 1
    code = found[0].value
    assert code.startswith("<iframe") and "/integrer/graphique/msp_count?territoire=R84&amp;trimestre=2023Q4" in code
    assert client.get(code.split('src="')[1].split('"')[0].replace("&amp;", "&")).status_code == 200
    links = [c.href for part in parts if part is not None for c in walk(part) if getattr(c, "download", None) == ""]
    assert any(h.startswith("/integrer/graphique/msp_count.svg?") for h in links)


@pytest.mark.slow   # a whole build of the raw folder, or processes started: seconds
@pytest.mark.skipif(not shutil.which("chromium"), reason="kaleido dessine les images avec Chromium : absent")
def test_chart_downloads_as_png_and_svg_with_title_and_source(client):
    png = client.get("/integrer/graphique/msp_count.png?territoire=R84&trimestre=2023Q4")
    assert png.status_code == 200 and png.get_data()[:8] == b"\x89PNG\r\n\x1a\n" and len(png.get_data()) > 20_000
    svg = client.get("/integrer/graphique/msp_count.svg?territoire=R84&trimestre=2023Q4")
    text = svg.get_data(as_text=True)
    assert svg.mimetype == "image/svg+xml" and "<svg" in text
    assert "Maisons de santé" in text and "Source" in text and "IND-311" in text and "version" in text


# ---- in a browser: the embed alone in an iframe of a page of another origin ---------------------------------

@pytest.fixture(scope="module")
def other_site(public_server):
    """A page on another origin (another loopback port) framing the embed."""
    body = (f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Un autre site</title></head>"
            f"<body><h1>Lettre d'information</h1><iframe id='cadre' src='{public_server.url}{EMBED}' width='760' "
            f"height='560' title='MSP'></iframe></body></html>").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.mark.browser
def test_msp_chart_embed_renders_alone_in_an_iframe_of_another_origin(page, other_site, public_server):
    assert other_site.split(":")[2] != public_server.url.split(":")[2]          # two origins
    page.goto(other_site)
    frame = page.frame_locator("#cadre")
    frame.locator("#integrer-graphique .main-svg").first.wait_for(state="visible", timeout=20000)
    assert frame.locator(".gtitle").first.text_content().startswith("Maisons de santé")
    assert "IND-311" in frame.locator("footer .source").inner_text()
    assert frame.locator("nav, header").count() == 0
    assert frame.locator("a", has_text="Voir sur le tableau de bord").count() == 1


@pytest.mark.browser
def test_api_docs_page_shows_every_operation_without_console_errors(page, live_server):
    page.goto(live_server.url + "/api")
    page.locator(".opblock-summary-path").first.wait_for(state="visible", timeout=20000)
    paths = page.locator(".opblock-summary-path").all_text_contents()
    assert any(p.strip() == "/api/v1/valeurs" for p in paths) and any("avancement" in p for p in paths)
