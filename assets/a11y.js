/* Accessibility fixes of third-party markup, app-wide (re-applied on every DOM change, once per frame).
 * Remove each fix once the component library does it itself.
 *
 * - Dash 4 dcc.Dropdown renders a focusable <input class="dash-dropdown-focus-target" aria-hidden="true">
 *   that forwards focus to the dropdown's button (axe « aria-hidden-focus », serious): the input keeps its
 *   behaviour but gets the field's label instead of aria-hidden, and the button is labelled by the <label>.
 * - Dash 4 RadioItems/Checklist put native inputs inside role="listbox"/"option" wrappers (nested
 *   interactive controls, unnamed listbox): native radios/checkboxes in a fieldset need no ARIA.
 *   A dropdown's menu is a real listbox and keeps its roles.
 * - Dash 4 dcc.Dropdown, once open, is a Radix popover (role="dialog", no name) holding role="option" labels
 *   that wrap the focusable radio/checkbox the keyboard moves through (axe « nested-interactive »,
 *   « aria-dialog-name », « aria-input-field-name »): the dialog and the group get the field's label, the
 *   options lose their ARIA roles (native radios/checkboxes named by their <label> say the same), the
 *   trigger announces a dialog, the search field is in French. The keyboard behaviour is untouched.
 * - Leaflet's zoom buttons and map containers get French names; the map's shapes are not tab stops (the
 *   keyboard path to a territory is the « Territoire » list and the table of values).
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
    function fieldName(trigger) {
        var label = labelFor(trigger);
        return label ? label.textContent.trim() : (trigger && trigger.getAttribute("aria-label")) || "Liste de choix";
    }
    function fixOpenDropdowns(root) {
        root.querySelectorAll(".dash-dropdown-content").forEach(function (dialog) {
            var trigger = dialog.id ? document.querySelector('[aria-controls="' + dialog.id + '"]') : null;
            var name = fieldName(trigger);
            if (trigger && trigger.getAttribute("aria-haspopup") !== "dialog") { trigger.setAttribute("aria-haspopup", "dialog"); }
            if (dialog.getAttribute("aria-label") !== name) { dialog.setAttribute("aria-label", name); }
            dialog.querySelectorAll(".dash-dropdown-options").forEach(function (list) {
                var multi = !!list.querySelector("input[type=checkbox]");
                var role = multi ? "group" : "radiogroup";
                if (list.getAttribute("role") !== role) { list.setAttribute("role", role); }
                if (list.getAttribute("aria-label") !== name) { list.setAttribute("aria-label", name); }
                list.querySelectorAll(".dash-options-list-option[role], .dash-options-list-option[aria-selected]")
                    .forEach(function (el) { el.removeAttribute("role"); el.removeAttribute("aria-selected"); });
            });
            dialog.querySelectorAll("input.dash-dropdown-search:not([data-fr])").forEach(function (input) {
                input.setAttribute("placeholder", "Rechercher");
                input.setAttribute("aria-label", "Rechercher dans la liste « " + name + " »");
                input.dataset.fr = "1";
            });
        });
    }
    function fixLeaflet(root) {
        root.querySelectorAll('.leaflet-pane path.leaflet-interactive:not([tabindex="-1"])').forEach(function (el) {
            el.setAttribute("tabindex", "-1");
        });
        [["leaflet-control-zoom-in", "Zoomer"], ["leaflet-control-zoom-out", "Dézoomer"]].forEach(function (pair) {
            root.querySelectorAll("." + pair[0] + ":not([data-fr])").forEach(function (el) {
                el.setAttribute("aria-label", pair[1]); el.setAttribute("title", pair[1]); el.dataset.fr = "1";
            });
        });
        root.querySelectorAll(".leaflet-container:not([aria-label])").forEach(function (el) {
            el.setAttribute("aria-label", "Carte : le tableau des valeurs donne accès aux mêmes informations au clavier");
        });
    }
    function fix(root) { fixDropdowns(root); fixChoiceLists(root); fixOpenDropdowns(root); fixLeaflet(root); }
    var pending = false;
    var observer = new MutationObserver(function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { pending = false; fix(document); });
    });
    function start() {
        fix(document);
        observer.observe(document.body, {childList: true, subtree: true, attributes: true,
                                         attributeFilter: ["role", "aria-selected", "aria-hidden", "tabindex",
                                                           "aria-haspopup"]});
    }
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
