/* Component libraries on demand: dash-leaflet (« Carte ») and dash-ag-grid (« Saisie »), see dashboard/webapp.py,
 * _load_on_demand.
 *
 * Until a library's real bundle is loaded, window.<namespace> is a stand-in whose components load it on first
 * render and then render the real component with the same props. The stand-in stays what Dash sees afterwards
 * (the bundle's own assignment is captured), so a component keeps its identity across re-renders and a map or a
 * grid is never remounted. Each library is named by a <meta name="acces-soins-lazy" content="namespace url">.
 */
(function () {
    "use strict";
    document.querySelectorAll('meta[name="acces-soins-lazy"]').forEach(function (meta) {
        var parts = (meta.getAttribute("content") || "").split(" ");
        if (parts.length === 2) { lazy(parts[0], parts[1]); }
    });

    function lazy(name, src) {
    if (window[name]) { return; }
    var real = null;
    var loading = null;
    var standIns = {};

    function load() {
        if (!loading) {
            loading = new Promise(function (resolve, reject) {
                var script = document.createElement("script");
                script.src = src;
                script.onload = function () { resolve(real); };
                script.onerror = function () { loading = null; reject(new Error(name + " n'a pas pu être chargé")); };
                document.head.appendChild(script);
            });
        }
        return loading;
    }

    function standIn(type) {
        function Lazy(props) {
            var React = window.React;
            var state = React.useState(!!real);
            var setReady = state[1];
            React.useEffect(function () {
                if (!real) { load().then(function () { setReady(true); }); }
            }, []);
            return real && real[type] ? React.createElement(real[type], props) : null;
        }
        Lazy.displayName = "Lazy(" + name + "." + type + ")";
        return Lazy;
    }

    var namespace = new Proxy({}, {
        get: function (_target, type) {
            if (typeof type !== "string" || type === "then") { return undefined; }
            if (standIns[type]) { return standIns[type]; }     // a component already rendered keeps its identity
            if (real) { return real[type]; }                   // anything else, once loaded, is the library's own
            return (standIns[type] = standIn(type));
        }
    });
    Object.defineProperty(window, name, {
        configurable: true,
        get: function () { return namespace; },
        set: function (value) { real = value; }     // the bundle's UMD wrapper assigns itself here
    });
    }
})();
