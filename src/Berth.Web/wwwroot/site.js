// Enhancements only: every page works without this file.
"use strict";

// Copy buttons: each names the element whose text it copies (data-copy="id"). Hidden in the markup, shown here,
// so a browser without script never sees a button that does nothing.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) {
    return;
  }

  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy";
    }

    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
});
