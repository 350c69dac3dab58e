// Loaded as a module from a file (the Content Security Policy forbids inline scripts).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Printed, the escalation page is the whole record: the collapsed timeline is opened first.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details.app-timeline-details").forEach((details) => {
    details.open = true;
  });
});
