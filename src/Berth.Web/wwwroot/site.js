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

// Comment preview in place: "Preview" posts the form (its antiforgery token included) to the form's data-preview URL,
// which answers the sanitised HTML alone, shown in the preview region after the form. Without script the same
// button submits the form with action=preview and the server renders the whole page with the preview.
document.querySelectorAll("form[data-preview]").forEach((form) => {
  const region = form.nextElementSibling;
  const output = region && region.querySelector("[data-preview-output]");
  const button = form.querySelector("button[value=preview]");
  if (!output || !button || !window.fetch) {
    return;
  }

  button.addEventListener("click", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.preview, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok) {
        form.requestSubmit(button);
        return;
      }

      const html = await response.text();
      if (html.trim() === "") {
        output.replaceChildren(Object.assign(document.createElement("p"), { className: "empty", textContent: "Nothing to preview." }));
      } else {
        // The server's Markdown renderer sanitised it (allow-list, raw HTML as text); the CSP forbids inline script.
        output.innerHTML = html;
      }

      region.hidden = false;
    } catch {
      form.requestSubmit(button);
    } finally {
      button.disabled = false;
    }
  });
});

// Live search: typing in the search page's box (or choosing a sort) fetches the results region from the form's
// data-live-search URL after a pause and swaps it in, keeping the address in step (replaceState). Submitting still
// loads the whole page, as it does without script.
document.querySelectorAll("form[data-live-search]").forEach((form) => {
  const results = document.getElementById(form.dataset.results);
  const heading = document.getElementById("search-heading");
  if (!results || !window.fetch || !window.DOMParser) {
    return;
  }

  let timer = 0;
  let pending = null;
  let last = new URLSearchParams(new FormData(form)).toString();
  const update = async () => {
    const query = new URLSearchParams(new FormData(form)).toString();
    if (query === last) {
      return;
    }

    last = query;
    pending?.abort();
    const controller = new AbortController();
    pending = controller;
    try {
      const response = await fetch(`${form.dataset.liveSearch}?${query}`, { signal: controller.signal, credentials: "same-origin" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById(results.id);
      if (!fresh || controller.signal.aborted) {
        return;
      }

      results.replaceChildren(...fresh.childNodes);
      results.dataset.url = fresh.dataset.url;
      if (heading && fresh.dataset.heading) {
        heading.textContent = fresh.dataset.heading;
        document.title = `${fresh.dataset.title} · Berth`;
      }

      history.replaceState(null, "", fresh.dataset.url);
    } catch (error) {
      if (error.name !== "AbortError") {
        last = "";
      }
    }
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  };

  form.querySelector("input[name=q]")?.addEventListener("input", soon);
  form.querySelector("select[name=sort]")?.addEventListener("change", soon);
});
