// Starts Swagger UI on the API's documentation page (/api); a file, as the Content-Security-Policy forbids inline
// scripts. The document's URL travels in the page (data-spec).
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({url: node.getAttribute("data-spec"), domNode: node, deepLinking: true,
                          supportedSubmitMethods: ["get"]});
});
