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
});
