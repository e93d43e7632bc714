/* Fiche territoire: tables behind <details> are printed open (every chart has its table, on paper too). */
window.addEventListener('beforeprint', function () {
  document.querySelectorAll('.territoire-sheet details').forEach(function (d) { d.open = true; });
});

/* « Imprimer » on the screen page opens the print view with imprimer=1: print once its charts are drawn, and
   drop the flag from the address (a reload or a shared link does not print again). */
(function () {
  var params = new URLSearchParams(window.location.search);
  if (params.get('imprimer') !== '1') { return; }
  params.delete('imprimer');
  window.history.replaceState(null, '', window.location.pathname + '?' + params.toString());
  var tries = 0;
  var timer = window.setInterval(function () {
    var graphs = document.querySelectorAll('.territoire-graph');
    var drawn = document.querySelectorAll('.territoire-graph .main-svg');
    tries += 1;
    if ((document.querySelector('.territoire-print-view') && drawn.length >= graphs.length) || tries > 100) {
      window.clearInterval(timer);
      window.setTimeout(function () { window.print(); }, 300);   // let plotly finish its last layout pass
    }
  }, 100);
})();
