/* Fiche territoire: tables behind <details> are printed open (every chart has its table, on paper too). */
window.addEventListener('beforeprint', function () {
  document.querySelectorAll('.territoire-sheet details').forEach(function (d) { d.open = true; });
});
