/* The pages' clientside callbacks (Dash ClientsideFunction namespaces), out of the Python callbacks: they only
 * touch the page (address bar, classes, print, PNG export); every figure and word comes formatted from the server.
 * Python side: callbacks/shell.py, plan.py, territoire.py, carte.py.
 */
window.dash_clientside = window.dash_clientside || {};
(function () {
    "use strict";
    const noUpdate = () => window.dash_clientside.no_update;

    window.dash_clientside.shell = {
        // mark the current page on <body> (CSS hides the frame on the kiosk) and in the nav
        markPage: function (pathname) {
            const page = (pathname || "/").split("/")[1] || "plan";
            document.body.dataset.page = page;
            document.querySelectorAll(".site-nav a").forEach(a => {
                const href = a.getAttribute("href");
                const here = href === "/" ? page === "plan" : ("/" + page) === href;
                if (here) { a.setAttribute("aria-current", "page"); } else { a.removeAttribute("aria-current"); }
            });
            return page;
        },
    };

    window.dash_clientside.plan = {
        // The state into the URL (permalink) without a round trip; back/forward (popstate) sets the controls again.
        // Back/forward must not add a history entry, however long the page takes to apply it (under load the
        // pages router re-renders first and this callback runs seconds later): the popstate handler notes the
        // state the history asked for, and every call until that state is reached replaces instead of pushing.
        syncUrl: function (quarter, indicator, defaults) {
            if (!window._planPopstate) {
                window._planPopstate = true;
                window.addEventListener("popstate", function () {
                    if (!document.getElementById("plan-quarter") || window.location.pathname !== "/") { return; }
                    const p = new URLSearchParams(window.location.search);
                    const d = window._planDefaults || {};
                    const want = {quarter: p.get("trimestre") || d.quarter, indicator: p.get("indicateur") || d.indicator};
                    const now = window._planState || {};
                    window._planPopTarget = (want.quarter === now.quarter && want.indicator === now.indicator)
                        ? null : want;                        // nothing will change: nothing to wait for
                    window.dash_clientside.set_props("plan-quarter", {value: want.quarter});
                    window.dash_clientside.set_props("plan-indicator", {data: want.indicator});
                });
            }
            window._planDefaults = defaults || {};
            window._planState = {quarter: quarter, indicator: indicator};
            const target = window._planPopTarget;
            const fromHistory = !!target;
            if (target && target.quarter === quarter && target.indicator === indicator) {
                window._planPopTarget = null;                 // the history's state is reached
            }
            const params = new URLSearchParams(window.location.search);
            if (quarter) { params.set("trimestre", quarter); }
            if (indicator) { params.set("indicateur", indicator); }
            const search = "?" + params.toString();
            if (search !== window.location.search) {
                window.history[fromHistory ? "replaceState" : "pushState"]({}, "", window.location.pathname + search);
            }
            return search;
        },
        // the selection shown on the cards without re-rendering them (keeps the keyboard focus on the button)
        showSelection: function (indicator) {
            document.querySelectorAll(".plan-card").forEach(card => {
                const on = card.id === "plan-card-" + indicator;
                card.classList.toggle("is-selected", on);
                const btn = card.querySelector(".card-select");
                if (btn) { btn.setAttribute("aria-pressed", on ? "true" : "false"); }
            });
            return noUpdate();
        },
        // PNG export of a chart: the button's id is « <graph id>-png »
        downloadPng: function (n, buttonId) {
            if (!n) { return noUpdate(); }
            const graph = String(buttonId).replace(/-png$/, "");
            const el = document.querySelector("#" + graph + " .js-plotly-plot");
            if (el && window.Plotly) {
                const name = (el.layout && el.layout.meta && el.layout.meta.filename) || graph;
                window.Plotly.downloadImage(el, {format: "png", filename: name, scale: 2});
            }
            return noUpdate();
        },
    };

    window.dash_clientside.territoire = {
        // « Imprimer »: the print view when the page names one, else the browser's print
        print: function (n) {
            if (n) {
                const url = document.getElementById("territoire-print").dataset.printUrl;
                if (url) { window.location.assign(url); } else { window.print(); }
            }
            return noUpdate();
        },
    };

    window.dash_clientside.carte = {
        // a new view: the shapes are restyled where they are (assets/carte.js)
        repaint: view => window.carte.map.repaint(view),
        // the structures' category filter, applied in the browser through the layer's hideout
        categories: function (categories, hideout) {
            return Object.assign({}, hideout || {}, {categories: categories || []});
        },
        // the view state into the address bar with replaceState: a permalink without reload nor re-render
        syncUrl: function (level, indicator, quarter, selected, zoom, center, layers, basis) {
            const q = new URLSearchParams();
            if (indicator) { q.set("indicateur", indicator); }
            if (basis === "nombre") { q.set("rapport", basis); }     // the default (per 100 000) is not written
            if (level) { q.set("niveau", level); }
            if (quarter) { q.set("trimestre", quarter); }
            if (selected) { q.set("territoire", selected); }
            if (layers && layers.length) { q.set("couches", layers.join(",")); }
            if (typeof zoom === "number" && center) {
                const lat = Array.isArray(center) ? center[0] : center.lat;
                const lng = Array.isArray(center) ? center[1] : center.lng;
                if (typeof lat === "number" && typeof lng === "number") {
                    q.set("zoom", String(Math.round(zoom * 2) / 2));
                    q.set("lat", lat.toFixed(4));    // a URL parameter, not a figure shown
                    q.set("lng", lng.toFixed(4));
                }
            }
            const search = "?" + q.toString();
            if (window.location.pathname === "/carte" && window.location.search !== search) {
                window.history.replaceState(window.history.state, "", "/carte" + search);
            }
            return search;
        },
    };
})();
