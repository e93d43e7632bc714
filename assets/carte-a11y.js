/* Carte: accessibility fixes of third-party markup on the map page (run on every DOM change).
 *
 * - Dash 4 RadioItems/Checklist render native inputs inside role="listbox"/"option" wrappers: axe
 *   reports nested interactive controls and an unnamed listbox. Native radios/checkboxes inside a
 *   fieldset/legend need no ARIA: the roles are removed.
 * - Dash 4 Dropdown keeps a focusable <input aria-hidden="true"> that forwards focus to its button:
 *   it gets the field's label instead of aria-hidden.
 * - Leaflet's zoom buttons and the map container get French names.
 */
(function () {
    "use strict";
    function fix(root) {
        // only radio/checkbox lists: a dropdown's menu is a real listbox and keeps its roles
        const lists = ".carte-page .dash-radioitems, .carte-page .dash-checklist";
        root.querySelectorAll(lists).forEach(list => {
            list.removeAttribute("role");
            list.querySelectorAll(".dash-options-list-option[role], .dash-options-list-option[aria-selected]")
                .forEach(el => { el.removeAttribute("role"); el.removeAttribute("aria-selected"); });
        });
        root.querySelectorAll(".carte-page .dash-dropdown-focus-target[aria-hidden]").forEach(el => {
            el.removeAttribute("aria-hidden");
            const button = el.parentElement && el.parentElement.querySelector("button[id]");
            const label = button && document.querySelector('label[for="' + button.id + '"]');
            el.setAttribute("aria-label", label ? label.textContent : "liste de choix");
        });
        root.querySelectorAll(".carte-page .leaflet-control-zoom-in:not([data-fr])").forEach(el => {
            el.setAttribute("aria-label", "Zoomer"); el.setAttribute("title", "Zoomer"); el.dataset.fr = "1";
        });
        root.querySelectorAll(".carte-page .leaflet-control-zoom-out:not([data-fr])").forEach(el => {
            el.setAttribute("aria-label", "Dézoomer"); el.setAttribute("title", "Dézoomer"); el.dataset.fr = "1";
        });
        root.querySelectorAll(".carte-page .leaflet-container:not([aria-label])").forEach(el => {
            el.setAttribute("aria-label", "Carte de la région : utilisez le tableau des valeurs ou la liste « Territoire » pour un accès au clavier");
        });
    }
    let pending = false;
    const observer = new MutationObserver(() => {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(() => { pending = false; fix(document); });
    });
    function start() {
        fix(document);
        observer.observe(document.body, {childList: true, subtree: true, attributes: true,
                                         attributeFilter: ["role", "aria-selected", "aria-hidden"]});
    }
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
