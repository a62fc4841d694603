// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Bring keyboard and screen-reader users to the list of form errors.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  // A form whose button is marked data-once is sent once, however many clicks (the server also
  // refuses duplicates: this only spares a useless round trip).
  document.querySelectorAll("form").forEach((form) => {
    if (!form.querySelector("[data-once]")) return;
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
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
          if (bar) { bar.value = job.percent; bar.textContent = job.percent + " %"; }
          if (text) text.textContent = job.status_label + " (" + job.done + " / " + job.total + ")";
          window.setTimeout(poll, 1500);
        })
        .catch(() => window.setTimeout(poll, 5000));
    };
    window.setTimeout(poll, 1500);
  });
});
