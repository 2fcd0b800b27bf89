// ticketflow console: a little progressive enhancement; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // "Clear to write a new reply": empty the reply box and put the cursor in it.
  for (const button of document.querySelectorAll("button[data-clear]")) {
    button.addEventListener("click", () => {
      const box = document.getElementById(button.dataset.clear);
      if (box) { box.value = ""; box.focus(); }
    });
  }
  // After an action, move focus to its result so keyboard and screen-reader users hear it at once.
  const result = document.querySelector("#result .notice");
  if (result) { result.setAttribute("tabindex", "-1"); result.focus(); }
});
