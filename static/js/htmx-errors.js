/* Shelfsync: make failed htmx requests visible.
 *
 * htmx does not swap 4xx/5xx responses (see the htmx-config meta in base.html), so without this a
 * click that fails does nothing at all. Every failed request, and every request that never reached
 * the server, writes a message into the #htmx-alert region (role="alert", so screen readers announce
 * it): the server's error text when it sent our error partial, else a message for the status code.
 */
(function () {
  "use strict";

  var RELOAD = "Reload the page and try again.";
  // Used when the response carries no error partial (a proxy's page, an empty body).
  var FALLBACKS = {
    400: ["Please try again", "The request was refused; the page may have expired. " + RELOAD],
    401: ["Signed out", "Your session ended. Reload the page to sign in again."],
    403: ["Not allowed", "You are not allowed to do that. " + RELOAD],
    404: ["Not found", "We could not find that; it may have been deleted. " + RELOAD],
    409: ["Changed meanwhile", "This was changed while you were looking at it. " + RELOAD],
    413: ["Too large", "The file or form is too large to send."],
    429: ["Too many requests", "Please wait a moment, then try again."],
  };
  var SERVER_ERROR = ["Something went wrong", "The server could not finish the request. Please try again in a moment."];
  var NETWORK_ERROR = [
    "Could not reach Shelfsync",
    "The request or its answer was lost. Check your connection, then reload the page to see what was saved.",
  ];

  /* The title and text of our error partial (templates/errors/_error.html) in ``html``, or null. */
  function errorPartial(html) {
    if (!html) {
      return null;
    }
    var box = new DOMParser().parseFromString(html, "text/html").querySelector(".error-box");
    if (!box) {
      return null;
    }
    var title = box.querySelector("h1, h2");
    var text = box.querySelector("p");
    return [title ? title.textContent.trim() : "Error", text ? text.textContent.trim() : ""];
  }

  function button(label, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "secondary outline small";
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  /* Show ``title`` and ``text`` in the alert region, with Reload and Dismiss buttons. */
  function show(title, text) {
    var region = document.getElementById("htmx-alert");
    if (!region) {
      return;
    }
    var message = document.createElement("div");
    message.className = "flash flash-error";
    var heading = document.createElement("strong");
    heading.textContent = title + ". ";
    message.append(heading, document.createTextNode(text + " "));
    message.append(
      button("Reload page", function () {
        window.location.reload();
      }),
      document.createTextNode(" "),
      button("Dismiss", function () {
        region.replaceChildren();
      })
    );
    region.replaceChildren(message);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var fallback = FALLBACKS[xhr.status] || (xhr.status >= 500 ? SERVER_ERROR : FALLBACKS[400]);
    var found = errorPartial(xhr.responseText);
    show(found ? found[0] : fallback[0], found && found[1] ? found[1] : fallback[1]);
  });

  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function () {
      show(NETWORK_ERROR[0], NETWORK_ERROR[1]);
    });
  });
})();
