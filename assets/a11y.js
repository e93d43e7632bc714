/* Accessibility fixes of third-party markup, app-wide (re-applied on every DOM change, once per frame).
 * Remove each fix once the component library does it itself.
 *
 * - Dash 4 dcc.Dropdown renders a focusable <input class="dash-dropdown-focus-target" aria-hidden="true">
 *   that forwards focus to the dropdown's button (axe « aria-hidden-focus », serious): the input keeps its
 *   behaviour but gets the field's label instead of aria-hidden, and the button is labelled by the <label>.
 * - Dash 4 RadioItems/Checklist put native inputs inside role="listbox"/"option" wrappers (nested
 *   interactive controls, unnamed listbox): native radios/checkboxes in a fieldset need no ARIA.
 *   A dropdown's menu is a real listbox and keeps its roles.
 * - Leaflet's zoom buttons and map containers get French names.
 */
(function () {
    "use strict";
    function labelFor(button) {
        return button && button.id ? document.querySelector('label[for="' + button.id + '"]') : null;
    }
    function fixDropdowns(root) {
        root.querySelectorAll("input.dash-dropdown-focus-target[aria-hidden]").forEach(function (input) {
            var button = input.parentElement && input.parentElement.querySelector("button[id]");
            var label = labelFor(button);
            input.removeAttribute("aria-hidden");
            input.setAttribute("aria-label", label ? label.textContent.trim()
                : (button && button.getAttribute("aria-label")) || "Liste de choix");
            if (label) {
                if (!label.id) { label.id = button.id + "-label"; }
                var ids = (button.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
                if (ids.indexOf(label.id) < 0) { button.setAttribute("aria-labelledby", [label.id].concat(ids).join(" ")); }
            }
        });
    }
    function fixChoiceLists(root) {
        root.querySelectorAll(".dash-radioitems, .dash-checklist").forEach(function (list) {
            list.removeAttribute("role");
            list.querySelectorAll(".dash-options-list-option[role], .dash-options-list-option[aria-selected]")
                .forEach(function (el) { el.removeAttribute("role"); el.removeAttribute("aria-selected"); });
        });
    }
    function fixLeaflet(root) {
        [["leaflet-control-zoom-in", "Zoomer"], ["leaflet-control-zoom-out", "Dézoomer"]].forEach(function (pair) {
            root.querySelectorAll("." + pair[0] + ":not([data-fr])").forEach(function (el) {
                el.setAttribute("aria-label", pair[1]); el.setAttribute("title", pair[1]); el.dataset.fr = "1";
            });
        });
        root.querySelectorAll(".leaflet-container:not([aria-label])").forEach(function (el) {
            el.setAttribute("aria-label", "Carte : le tableau des valeurs donne accès aux mêmes informations au clavier");
        });
    }
    function fix(root) { fixDropdowns(root); fixChoiceLists(root); fixLeaflet(root); }
    var pending = false;
    var observer = new MutationObserver(function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { pending = false; fix(document); });
    });
    function start() {
        fix(document);
        observer.observe(document.body, {childList: true, subtree: true, attributes: true,
                                         attributeFilter: ["role", "aria-selected", "aria-hidden"]});
    }
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
