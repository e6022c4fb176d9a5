// Starts Swagger UI on /api/docs. A file of our own, not an inline script: the
// Content-Security-Policy (kit/security.py) allows scripts from this site only.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // the default asks a public validator about our API
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
