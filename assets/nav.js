/* One quarter for the session: a link of the header, the navigation, the search or the territory index to a page
 * that reads ?trimestre= (the plan, the map, the territory sheets) takes the quarter of the page it is clicked on,
 * so that a quarter chosen on one page carries to the next. The kiosk (its own rotation), the saisie (the quarter
 * being collected) and the definitions keep their own default. Only the address changes: the quarter is the URL's.
 */
(function () {
    "use strict";
    const READS_QUARTER = /^\/(carte|territoire(\/[^/]+)?)?$/;
    const LINKS = ".site-header a, .site-nav a, .search-results a, .territoire-landing a";

    // The link's own address: React's, unless it is the one written here for the status bar (below).
    function original(a) {
        const href = a.getAttribute("href");
        return a.dataset.carried && href === a.dataset.carried ? a.dataset.href : href;
    }

    function carried(href) {
        const quarter = new URLSearchParams(window.location.search).get("trimestre");
        if (!quarter || !href) { return null; }
        const url = new URL(href, window.location.href);
        if (url.origin !== window.location.origin || !READS_QUARTER.test(url.pathname)
            || url.searchParams.has("trimestre")) { return null; }
        url.searchParams.set("trimestre", quarter);
        return url.pathname + url.search + url.hash;
    }

    function linkOf(e) {
        const a = e.target instanceof Element ? e.target.closest(LINKS) : null;
        return a && a.target !== "_blank" ? a : null;
    }

    // Capture phase, before React's handler of dcc.Link: navigate as dcc.Link does (a history entry, then the
    // event Dash's Location components listen to), with the quarter added.
    document.addEventListener("click", function (e) {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
        const a = linkOf(e);
        const to = a ? carried(original(a)) : null;
        if (!to) { return; }
        e.preventDefault();
        e.stopPropagation();
        window.history.pushState({}, "", to);
        window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
        window.scrollTo(0, 0);
    }, true);

    // What a new tab or the status bar shows: the same address (the attribute only; React keeps its own prop).
    ["focusin", "pointerover"].forEach(function (type) {
        document.addEventListener(type, function (e) {
            const a = linkOf(e);
            if (!a) { return; }
            const own = original(a);
            const to = carried(own);
            a.dataset.href = own;
            a.setAttribute("href", to || own);
            if (to) { a.dataset.carried = to; } else { delete a.dataset.carried; }
        }, true);
    });
})();
