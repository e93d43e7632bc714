/* Keyboard for the territory search boxes (layouts/search.py): ↓/↑ between the input and the suggestions,
   Échap back to the input (and closes the suggestions when already there), Entrée on the input opens the first
   suggestion — once the suggestions for what was typed have arrived.
   The input is found by its type: Dash 4 puts dcc.Input's className on a wrapper, not on the <input>. */
(function () {
  'use strict';
  var WAIT_MS = 3000;

  function parts(box) {
    return {
      input: box.querySelector('input[type="search"]'),
      links: Array.from(box.querySelectorAll('a.search-link')),
      busy: !!box.querySelector('[data-dash-is-loading="true"]')
    };
  }

  // Enter typed faster than the suggestions: wait for the callback, then open the first one (or give up).
  function openFirstWhenReady(box, typed) {
    var started = Date.now();
    (function poll() {
      var p = parts(box);
      if (!p.input || p.input.value !== typed) { return; }          // the user kept typing: their next Enter decides
      if (!p.busy && p.links.length) { p.links[0].click(); return; }
      if (Date.now() - started < WAIT_MS) { window.setTimeout(poll, 50); }
    })();
  }

  document.addEventListener('keydown', function (event) {
    var target = event.target;
    var box = target && target.closest ? target.closest('.search-box') : null;
    if (!box) { return; }
    var p = parts(box);
    if (!p.input) { return; }
    var index = p.links.indexOf(target);
    if (event.key === 'ArrowDown') {
      if (p.links.length) { event.preventDefault(); p.links[Math.min(index + 1, p.links.length - 1)].focus(); }
    } else if (event.key === 'ArrowUp') {
      if (index > 0) { event.preventDefault(); p.links[index - 1].focus(); }
      else if (index === 0) { event.preventDefault(); p.input.focus(); }
    } else if (event.key === 'Escape') {
      if (target !== p.input) { event.preventDefault(); p.input.focus(); }
    } else if (event.key === 'Enter' && target === p.input && p.input.value.trim().length >= 2) {
      event.preventDefault();
      if (!p.busy && p.links.length) { p.links[0].click(); } else { openFirstWhenReady(box, p.input.value); }
    }
  });
})();
