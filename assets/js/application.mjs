// Safe Referral front-end entry point (loaded as <script type="module">).
//
// Replaces the inline script of the GOV.UK page template, which our
// Content-Security-Policy (script-src 'self') does not allow. Browsers that
// run ES modules are the ones GOV.UK Frontend supports, so both classes are
// added together here.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");

// Initialises every GOV.UK Frontend component on the page, including
// Exit this page (its Shift pressed three times shortcut).
initAll();
