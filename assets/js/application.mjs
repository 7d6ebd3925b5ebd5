// Safe Referral front-end entry point (loaded as <script type="module">).
//
// Replaces the inline script of the GOV.UK page template, which our
// Content-Security-Policy (script-src 'self') does not allow. Browsers that
// run ES modules are the ones GOV.UK Frontend supports, so both classes are
// added together here.
import { ExitThisPage, initAll } from "./govuk-frontend.min.js";
import { initExitThisPage } from "./exit-this-page.mjs";
import { initProofOfWork } from "./proof-of-work.mjs";

document.body.classList.add("js-enabled", "govuk-frontend-supported");

// Exit this page leaves no way Back into the service (see the module).
initExitThisPage(ExitThisPage);

// Initialises every GOV.UK Frontend component on the page, including
// Exit this page (its Shift pressed three times shortcut).
initAll();

// Pays the small cost asked before a phrase lookup or a submit (see the module).
initProofOfWork();
