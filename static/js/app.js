// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Bring keyboard and screen-reader users to the list of form errors.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
