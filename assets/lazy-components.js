/* Component libraries on demand: dash-leaflet (« Carte ») and dash-ag-grid (« Saisie »), see dashboard/webapp.py,
 * _load_on_demand.
 *
 * Until a library's real bundle is loaded, window.<namespace> is a stand-in whose components load it on first
 * render and then render the real component with the same props. The stand-in stays what Dash sees afterwards
 * (the bundle's own assignment is captured), so a component keeps its identity across re-renders and a map or a
 * grid is never remounted. Each library is named by a <meta name="acces-soins-lazy" content="namespace url
 * Component1,Component2… pages">, pages being "-" (stand-ins, any page) or the paths where it is loaded upfront.
 */
(function () {
    "use strict";
    document.querySelectorAll('meta[name="acces-soins-lazy"]').forEach(function (meta) {
        var parts = (meta.getAttribute("content") || "").split(" ");
        if (parts.length !== 4) { return; }
        if (parts[3] === "-") { lazy(parts[0], parts[1], parts[2].split(",")); return; }
        // A library that misbehaves when loaded late (dash-ag-grid) is loaded before the renderer starts, on its
        // own pages only (links to them reload the page): a parser-inserted script runs before the next ones.
        var here = window.location.pathname;
        if (parts[3].split(",").some(function (page) { return here === page || here.indexOf(page + "/") === 0; })) {
            document.write('<script src="' + parts[1] + '"><\/script>');
        }
    });

    function lazy(name, src, components) {
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
            if (typeof type !== "string") { return undefined; }
            // Only the library's components have stand-ins (a component keeps its identity once rendered);
            // any other property (__esModule, chunk registries…) is the library's own, or absent before it loads.
            if (components.indexOf(type) < 0) { return real ? real[type] : undefined; }
            return standIns[type] || (standIns[type] = standIn(type));
        }
    });
    Object.defineProperty(window, name, {
        configurable: true,
        get: function () { return namespace; },
        set: function (value) { real = value; }     // the bundle's UMD wrapper assigns itself here
    });
    }
})();
