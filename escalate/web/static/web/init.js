// Loaded as a module from a file (the Content Security Policy forbids inline scripts).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
