// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Bring keyboard and screen-reader users to the list of form errors.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  // A form that is sent (every POST form, and any marked data-once) says at once that it is working
  // and cannot be sent twice: its submit buttons are disabled, aria-busy, and read "Traitement en
  // cours…" (the translated text comes from <body data-busy-label>). The server also refuses
  // duplicates: this spares a useless round trip and tells the person something is happening.
  const busyLabel = document.body.dataset.busyLabel;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented) return;  // another script kept the form on the page
    if ((form.method || "").toLowerCase() !== "post" && !form.querySelector("[data-once]")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.setAttribute("aria-busy", "true");
    // A disabled button is not sent: the clicked one's name and value travel in a hidden field.
    const submitter = event.submitter;
    if (submitter && submitter.name) {
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = submitter.name;
      hidden.value = submitter.value;
      hidden.dataset.busyCopy = "1";
      form.appendChild(hidden);
    }
    [...form.elements].filter((e) => e.type === "submit").forEach((button) => {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      if (busyLabel && button === (submitter || button)) {
        button.dataset.idleLabel = button.tagName === "INPUT" ? button.value : button.textContent;
        if (button.tagName === "INPUT") button.value = busyLabel; else button.textContent = busyLabel;
      }
    });
  });
  // Back to a page kept in the browser's cache: its forms can be sent again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach((form) => {
      delete form.dataset.sent;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("[data-busy-copy]").forEach((e) => e.remove());
      [...form.elements].filter((e) => e.type === "submit").forEach((button) => {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        if (button.dataset.idleLabel === undefined) return;
        if (button.tagName === "INPUT") button.value = button.dataset.idleLabel;
        else button.textContent = button.dataset.idleLabel;
        delete button.dataset.idleLabel;
      });
    });
  });
  // A background job's progress: poll its JSON, move the bar, reload the page once it has ended
  // (without scripts, the page's meta refresh does the same).
  document.querySelectorAll("[data-job-status-url]").forEach((box) => {
    const bar = box.querySelector("[data-job-progress]");
    const text = box.querySelector("[data-job-text]");
    const poll = () => {
      fetch(box.dataset.jobStatusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((job) => {
          if (job.finished) { window.location.reload(); return; }
          if (bar) { bar.value = job.percent; bar.textContent = job.percent + (document.documentElement.lang.indexOf("fr") === 0 ? "\u00a0%" : "%"); }
          if (text) text.textContent = job.status_label + " (" + job.done + " / " + job.total + ")";
          window.setTimeout(poll, 1500);
        })
        .catch(() => window.setTimeout(poll, 5000));
    };
    window.setTimeout(poll, 1500);
  });
  // A table that scrolls in its own box (a narrow screen, or many columns: static/css/app.css) is
  // reachable by keyboard while it overflows (WCAG 2.1.1): it takes tabindex="0" then, and loses it
  // when the window grows enough. Boxes that templates made focusable themselves are left alone.
  const scrollBoxesFocusable = () => {
    document.querySelectorAll("main table").forEach((table) => {
      const overflows = table.scrollWidth > table.clientWidth + 1
        && getComputedStyle(table).overflowX !== "visible";
      if (overflows && !table.hasAttribute("tabindex")) {
        table.tabIndex = 0;
        table.dataset.scrollFocus = "1";
      } else if (!overflows && table.dataset.scrollFocus) {
        table.removeAttribute("tabindex");
        delete table.dataset.scrollFocus;
      }
    });
  };
  scrollBoxesFocusable();
  window.addEventListener("resize", scrollBoxesFocusable);
});
