/* Carte: clientside functions of the map (dash-leaflet GeoJSON style / onEachFeature / points).
 *
 * The geometry is loaded once from /geometrie/<level>.pbf (geobuf); the server only sends the view
 * {values: "code|class|text|status;…", colors, palette, status_words, suffix, ...} (dashboard/mapping.pack_values),
 * unpacked here once per new string, from the page's dcc.Store `carte-view`; `repaint` restyles the drawn shapes
 * in place. The choropleth GeoJSON has no hideout: a new hideout would make dash-leaflet remove and re-create
 * every shape (about 3 s at 35 000 communes), where setStyle on each takes a fraction of it.
 * Everything here reads the hideout, so changing indicator or quarter never refetches shapes.
 * This file only draws: numbers arrive formatted (dashboard/fmt.py), status words and every colour arrive with
 * the view or the layer's hideout (dashboard/palette.py); nothing here re-formats a figure or re-derives a rule.
 */
window.carte = window.carte || {};
(function () {
    "use strict";
    const SVGNS = "http://www.w3.org/2000/svg";

    function escapeHtml(text) {
        return String(text == null ? "" : text).replace(/[&<>"']/g,
            c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
    }

    // Hatch patterns live in one hidden <svg>; Leaflet's SVG paths reference them with fill="url(#id)".
    function defs() {
        let svg = document.getElementById("carte-patterns");
        if (!svg) {
            svg = document.createElementNS(SVGNS, "svg");
            svg.setAttribute("id", "carte-patterns");
            svg.setAttribute("aria-hidden", "true");
            svg.setAttribute("focusable", "false");
            svg.setAttribute("width", "0");
            svg.setAttribute("height", "0");
            svg.style.position = "absolute";
            svg.appendChild(document.createElementNS(SVGNS, "defs"));
            document.body.appendChild(svg);
        }
        return svg.firstChild;
    }

    function hatch(background, stripe, name) {
        const id = "carte-hatch-" + name;
        if (!document.getElementById(id)) {
            const p = document.createElementNS(SVGNS, "pattern");
            p.setAttribute("id", id);
            p.setAttribute("patternUnits", "userSpaceOnUse");
            p.setAttribute("width", "7");
            p.setAttribute("height", "7");
            p.setAttribute("patternTransform", "rotate(45)");
            const r = document.createElementNS(SVGNS, "rect");
            r.setAttribute("width", "7");
            r.setAttribute("height", "7");
            r.setAttribute("fill", background);
            const l = document.createElementNS(SVGNS, "line");
            l.setAttribute("x1", "0"); l.setAttribute("y1", "0");
            l.setAttribute("x2", "0"); l.setAttribute("y2", "7");
            l.setAttribute("stroke", stripe);
            l.setAttribute("stroke-width", "1.6");
            l.setAttribute("stroke-opacity", "0.55");
            p.appendChild(r);
            p.appendChild(l);
            defs().appendChild(p);
        }
        return "url(#" + id + ")";
    }

    // The last packed string and its table: every shape of a rendering reads the same string.
    let packed = null;
    let table = new Map();
    function unpack(text) {
        if (text !== packed) {
            table = new Map();
            for (const row of (text || "").split(";")) {
                if (!row) { continue; }
                const f = row.split("|");
                table.set(f[0], [Number(f[1]), f[2], f[3]]);     // [class, text as shown, status letter]
            }
            packed = text;
        }
        return table;
    }

    function entry(feature, hideout) {
        return unpack(hideout && hideout.values).get(feature.properties.code);
    }

    // The view shown (set by repaint: the choropleth GeoJSON has no hideout) and the drawn shapes by code.
    let current = null;
    const drawn = new Map();
    function view() {
        return current || {};
    }

    function style(feature) {
        const h = view();
        if (!h.values && h.values !== "") {
            // drawn before the page's view reached repaint (rare): invisible until then, never a false "no data"
            return {weight: 0, opacity: 0, fillOpacity: 0};
        }
        const v = entry(feature, h);
        const p = h.palette || {};
        const selected = h.selected && h.selected === feature.properties.code;
        const st = {weight: selected ? 3.5 : (h.outline || 0.7), color: selected ? p.selected : p.outline, opacity: selected ? 1 : (h.outline_opacity || 1),
                    fillOpacity: 0.92, dashArray: null};
        if (!v || v[0] < 0) {
            // no data: light grey, grey hatch and a dashed outline: never mistaken for a low value
            st.fillColor = hatch(h.nodata, p.nodata_stroke, "nodata");
            st.dashArray = "3 3";
            st.color = selected ? p.selected : p.nodata_stroke;
        } else {
            const colour = (h.colors || [])[v[0]] || p.fallback;
            // the status letter only picks the drawing: demo values are hatched
            st.fillColor = v[2] === "d" ? hatch(colour, p.demo_stripe, "demo-" + colour.replace("#", "")) : colour;
        }
        return st;
    }

    function tooltip(feature, h) {
        const v = entry(feature, h);
        const name = "<strong>" + escapeHtml(feature.properties.name) + "</strong>";
        if (!v || v[0] < 0) {
            return name + "<br>" + escapeHtml(h.label) + " : pas de donnée";
        }
        let text = v[1] + (h.suffix || "");
        if (h.unit_text) { text += " " + h.unit_text; }
        return name + "<br>" + escapeHtml(h.label) + " : " + escapeHtml(text) +
            "<br>Valeur " + escapeHtml((h.status_words || {})[v[2]] || "");
    }

    function onEachFeature(feature, layer) {
        drawn.set(feature.properties.code, layer);
        // a function: the tooltip is computed when shown, from the view shown then
        layer.bindTooltip(() => tooltip(feature, view()), {sticky: true});
    }

    // A new view (indicator, quarter, level or selection): restyle the shapes where they are.
    function repaint(next) {
        if (!next || !next.values && next.values !== "") { return window.dash_clientside.no_update; }
        const chosen = current && next.selected && next.selected !== current.selected ? next.selected : null;
        current = next;
        const table = unpack(next.values);
        const styles = new Map();       // one style per (class, status): 35 000 shapes share about a dozen
        for (const [code, layer] of drawn) {
            if (!layer._map) { drawn.delete(code); continue; }     // a shape of a level no longer shown
            const v = table.get(code);
            const key = code === next.selected ? "selected:" + code : (v ? v[0] + v[2] : "none");
            let st = styles.get(key);
            if (!st) {
                st = style(layer.feature);
                styles.set(key, st);
            }
            const o = layer.options;
            if (o.weight === st.weight && o.color === st.color && o.dashArray === st.dashArray &&
                    o.opacity === st.opacity && layer._path) {
                // most changes only change the fill: one attribute, not Leaflet's seven (35 000 shapes)
                if (o.fillColor !== st.fillColor) {
                    o.fillColor = st.fillColor;
                    layer._path.setAttribute("fill", st.fillColor);
                }
            } else {
                layer.setStyle(st);
            }
        }
        if (chosen) { zoomTo(chosen); }
        return String(drawn.size);
    }

    // A territory chosen (list, click, keyboard) after the page is shown: the map frames it. Not on the first
    // view, whose zoom and centre may come from a permalink.
    function zoomTo(code) {
        const layer = drawn.get(code);
        if (!layer || !layer._map || !layer.getBounds) { return; }
        const still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        layer._map.fitBounds(layer.getBounds(), {padding: [24, 24], maxZoom: 11, animate: !still});
    }

    // ---- structures (one clustered point layer, filtered by category through the hideout) ----
    function visible(feature, h) {
        const cats = (h && h.categories) || [];
        return cats.indexOf(String(feature.properties.cat)) >= 0;
    }

    function structureFilter(feature, context) {
        if (feature.properties && feature.properties.cluster) { return true; }  // clusterToLayer decides
        return visible(feature, (context && context.hideout) || {});
    }

    function pointToLayer(feature, latlng, context) {
        const h = (context && context.hideout) || {};
        const p = h.palette || {};
        return L.circleMarker(latlng, {radius: 6, weight: 1.5, color: p.point_stroke, fillOpacity: 0.95,
            className: "carte-structure",
            pane: "carte-points",   // above the choropleth, which is re-added on every restyle
            fillColor: (h.colors || {})[String(feature.properties.cat)] || p.point_fallback});
    }

    function clusterToLayer(feature, latlng, index, context) {
        // count only the categories shown: the cluster index holds every structure
        const h = (context && context.hideout) || {};
        const leaves = index.getLeaves(feature.properties.cluster_id, Infinity);
        const n = leaves.filter(f => visible(f, h)).length;
        if (!n) { return L.layerGroup(); }
        const size = n < 10 ? 30 : n < 100 ? 36 : 44;
        const icon = L.divIcon({html: "<div><span>" + n + "</span></div>", iconSize: L.point(size, size),
            className: "marker-cluster carte-cluster"});
        // keyboard: false: clusters are zoom shortcuts, not tab stops (the page's keyboard path is the lists and the table)
        return L.marker(latlng, {icon: icon, title: n + " structures", alt: n + " structures", keyboard: false});
    }

    function structurePopup(feature, layer) {
        const p = feature.properties || {};
        if (p.cluster) { return; }
        layer.bindPopup("<strong>" + escapeHtml(p.name) + "</strong><br>" + escapeHtml(p.category) +
            (p.address ? "<br>" + escapeHtml(p.address) : "") +
            (p.opening ? "<br>Ouverture : " + escapeHtml(p.opening) : "") +
            "<br>FINESS : " + escapeHtml(p.finess));
    }

    // ---- geography layers (dashboard/map_layers.py): the commune contours, filtered and styled by hideout ----
    // The hideout's code list becomes a Set once per list (not once per shape).
    const codeSets = new WeakMap();
    function codeSet(list) {
        if (!Array.isArray(list)) { return new Set(); }
        if (!codeSets.has(list)) { codeSets.set(list, new Set(list)); }
        return codeSets.get(list);
    }

    function uncoveredFilter(feature, context) {
        const h = (context && context.hideout) || {};
        return codeSet(h.codes).has(feature.properties.code);
    }

    function uncoveredStyle(feature, context) {
        // hatched white and red: readable over any class colour, never mistaken for a value
        // thin outlines: with most communes uncovered, the covered ones read as the holes
        const p = ((context && context.hideout) || {}).palette || {};
        return {fillColor: hatch(p.white, p.uncovered, "blanche"), fillOpacity: 0.75, color: p.uncovered,
                weight: 0.3, opacity: 0.6, className: "carte-blanche"};
    }

    function zoneOf(feature, h) {
        return ((h && h.zones) || {})[feature.properties.code] || "HZ";
    }

    function zoneFilter(feature, context) {
        // « hors zone » is not drawn: the choropleth stays visible there
        return zoneOf(feature, (context && context.hideout) || {}) !== "HZ";
    }

    function zoneStyle(feature, context) {
        const h = (context && context.hideout) || {};
        const zone = zoneOf(feature, h);
        const p = h.palette || {};
        return {fillColor: (h.colors || {})[zone] || p.fallback, fillOpacity: 0.85, color: p.zone_stroke, weight: 0.8,
                opacity: 1, className: "carte-zone carte-zone-" + zone};
    }

    function cptsStyle(feature, context) {
        const p = ((context && context.hideout) || {}).palette || {};
        return {fill: false, color: p.cpts, weight: 2.6, opacity: 1, className: "carte-cpts"};
    }

    function cptsTooltip(feature, layer) {
        const p = feature.properties || {};
        layer.bindTooltip("<strong>" + escapeHtml(p.name) + "</strong><br>" + escapeHtml(String(p.communes)) +
            " commune(s), accord signé le " + escapeHtml(p.since), {sticky: true});
    }

    // Page suivante / Page précédente anywhere in the table section turn its pages (the buttons stay the way
    // to do it with Tab + Entrée; they are never disabled, so the focus never falls back to the page's top).
    document.addEventListener("keydown", function (event) {
        if (event.key !== "PageDown" && event.key !== "PageUp") { return; }
        const section = event.target && event.target.closest ? event.target.closest("#carte-table-section") : null;
        if (!section || event.target.closest(".dash-dropdown-content")) { return; }
        const button = document.getElementById(event.key === "PageDown" ? "carte-table-next" : "carte-table-prev");
        if (button) { event.preventDefault(); button.click(); }
    });

    window.carte.map = {style, onEachFeature, repaint, structureFilter, pointToLayer, clusterToLayer, structurePopup,
                        uncoveredFilter, uncoveredStyle, zoneFilter, zoneStyle, cptsStyle, cptsTooltip};
})();
