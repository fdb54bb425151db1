// Small behaviours of the console. Loaded as a file: the CSP allows no inline script.
// Everything here is optional: every page works without JavaScript.
"use strict";

// Ask before a form marked data-confirm is sent (e.g. signing out another session).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm) {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }
});
