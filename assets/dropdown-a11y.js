/* Workaround for an accessibility defect of Dash 4's dcc.Dropdown (axe « aria-hidden-focus », serious):
   each dropdown renders a focusable <input class="dash-dropdown-focus-target" aria-hidden="true"> that
   forwards the keyboard focus to the dropdown's button. We keep that behaviour but make the input honest:
   no aria-hidden, and the same accessible name as the dropdown (its <label for=…>), which is also added to
   the button's aria-labelledby so that screen readers say « Trimestre, T4 2023 ». Remove once Dash fixes it. */
(function () {
  function fix(root) {
    root.querySelectorAll('.dash-dropdown-wrapper').forEach(function (wrap) {
      var input = wrap.querySelector('input.dash-dropdown-focus-target');
      var button = wrap.querySelector('button.dash-dropdown');
      if (!input || !button || !button.id || input.dataset.a11yFixed) { return; }
      var label = document.querySelector('label[for="' + button.id + '"]');
      var name = label ? label.textContent.trim() : (button.getAttribute('aria-label') || 'Liste de choix');
      input.removeAttribute('aria-hidden');
      input.setAttribute('aria-label', name);
      if (label) {
        if (!label.id) { label.id = button.id + '-label'; }
        var ids = (button.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
        if (ids.indexOf(label.id) < 0) { button.setAttribute('aria-labelledby', [label.id].concat(ids).join(' ')); }
      }
      input.dataset.a11yFixed = '1';
    });
  }
  function start() {
    fix(document);
    new MutationObserver(function () { fix(document); }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
