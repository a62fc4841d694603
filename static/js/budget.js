// Live totals of the request's budget table, written the Quebec way (175 000,00 $).
// Progressive enhancement: the server computes and checks everything again.
(function () {
  const table = document.getElementById("budget-table");
  if (!table) return;
  const format = new Intl.NumberFormat(document.documentElement.lang || "fr-CA", {
    style: "currency", currency: "CAD",
  });
  function parse(text) {
    let cleaned = (text || "").replace(/[\s\u00a0\u202f$]/g, "");
    if (cleaned.includes(",") && cleaned.includes(".")) cleaned = cleaned.replace(/,/g, "");
    else cleaned = cleaned.replace(",", ".");
    const value = Number(cleaned);
    return Number.isFinite(value) ? Math.round(value * 100) : 0;  // cents, no float drift
  }
  const show = (cell, cents) => { if (cell) cell.textContent = format.format(cents / 100); };
  function recompute() {
    const rows = {}, years = {};
    let grand = 0;
    table.querySelectorAll("input[data-category]").forEach((input) => {
      const cents = parse(input.value);
      rows[input.dataset.category] = (rows[input.dataset.category] || 0) + cents;
      years[input.dataset.year] = (years[input.dataset.year] || 0) + cents;
      grand += cents;
    });
    Object.entries(rows).forEach(([c, v]) => show(table.querySelector(`[data-row-total="${c}"]`), v));
    Object.entries(years).forEach(([y, v]) => show(table.querySelector(`[data-year-total="${y}"]`), v));
    show(table.querySelector("[data-grand-total]"), grand);
    let asked = 0;
    table.querySelectorAll("input.amount-input").forEach((input) => { asked += parse(input.value); });
    show(table.querySelector("[data-amount-total]"), asked);
  }
  table.addEventListener("input", recompute);
  recompute();
})();
