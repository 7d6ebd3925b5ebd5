// Exit this page, leaving no way Back into the service (G7, issue 10).
//
// GOV.UK Frontend's component leaves with `location.href = ...`, which keeps the page in the
// tab's history: Back brings the service straight back. Here the exit replaces the current
// history entry instead, and remembers in this tab (sessionStorage, gone when the tab closes)
// that the person left. A service page then reached with Back or Forward leaves again at once,
// so Back from the neutral site never shows the service. A page opened afresh (a link, an
// address typed) clears the mark, so the person can always come back on purpose.

const EXITED = "app-exited";

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked: the replace below still drops the current page
  }
}

function leave(href) {
  storage()?.setItem(EXITED, "1");
  document.body.classList.add("govuk-exit-this-page-hide-content");
  window.location.replace(href);
}

function arrivedByHistory(event) {
  if (event && event.persisted) return true; // restored from the back-forward cache
  const [navigation] = performance.getEntriesByType("navigation");
  return navigation?.type === "back_forward";
}

// Call before GOV.UK Frontend starts its components, so every exit (button or Shift x3)
// goes through leave().
export function initExitThisPage(ExitThisPage) {
  ExitThisPage.prototype.exitPage = function exitPage() {
    // As the component does: tell screen reader users the page is going.
    const overlay = document.createElement("div");
    overlay.className = "govuk-exit-this-page-overlay";
    overlay.setAttribute("role", "alert");
    overlay.textContent = this.i18n.t("activated");
    document.body.appendChild(overlay);
    leave(this.$button.href);
  };
  const check = (event) => {
    const button = document.querySelector(".govuk-js-exit-this-page-button");
    if (!button) return;
    if (storage()?.getItem(EXITED) && arrivedByHistory(event)) {
      leave(button.href);
    } else if (!event || !event.persisted) {
      storage()?.removeItem(EXITED);
    }
  };
  check(null);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) check(event);
  });
}
