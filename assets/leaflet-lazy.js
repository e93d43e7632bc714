/* dash-leaflet on demand (see dashboard/webapp.py, _load_leaflet_on_demand).
 *
 * Until the real bundle is loaded, window.dash_leaflet is a stand-in whose components (Map, GeoJSON, Pane, …)
 * load it on first render and then render the real component with the same props. The stand-in stays what
 * Dash sees afterwards (the bundle's own assignment is captured), so a component keeps its identity across
 * re-renders and the map is never remounted (nor its geometry fetched again).
 */
(function () {
    "use strict";
    var meta = document.querySelector('meta[name="acces-soins-leaflet"]');
    if (!meta || window.dash_leaflet) { return; }
    var src = meta.getAttribute("content");
    var real = null;
    var loading = null;
    var standIns = {};

    function load() {
        if (!loading) {
            loading = new Promise(function (resolve, reject) {
                var script = document.createElement("script");
                script.src = src;
                script.onload = function () { resolve(real); };
                script.onerror = function () { loading = null; reject(new Error("dash-leaflet n'a pas pu être chargé")); };
                document.head.appendChild(script);
            });
        }
        return loading;
    }

    function standIn(type) {
        function LazyLeaflet(props) {
            var React = window.React;
            var state = React.useState(!!real);
            var setReady = state[1];
            React.useEffect(function () {
                if (!real) { load().then(function () { setReady(true); }); }
            }, []);
            return real && real[type] ? React.createElement(real[type], props) : null;
        }
        LazyLeaflet.displayName = "LazyLeaflet(" + type + ")";
        return LazyLeaflet;
    }

    var namespace = new Proxy({}, {
        get: function (_target, type) {
            if (typeof type !== "string" || type === "then") { return undefined; }
            return standIns[type] || (standIns[type] = standIn(type));
        }
    });
    Object.defineProperty(window, "dash_leaflet", {
        configurable: true,
        get: function () { return namespace; },
        set: function (value) { real = value; }     // the bundle's UMD wrapper assigns itself here
    });
})();
