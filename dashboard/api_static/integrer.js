// Draws an embed's chart (/integrer/graphique/…): the figure comes from the server, in a JSON data block of the
// page (the Content-Security-Policy forbids inline scripts); plotly.js is the dashboard's partial bundle.
window.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("integrer-figure");
  var node = document.getElementById("integrer-graphique");
  if (!data || !node || !window.Plotly) { return; }
  var fig = JSON.parse(data.textContent);
  window.Plotly.newPlot(node, fig.data, fig.layout, {displaylogo: false, responsive: true, displayModeBar: false});
});
