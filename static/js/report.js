// Live sums on a report's pages: each breakdown of the people reached against the total, and the
// financial statement's lines. Progressive enhancement: the server checks everything again.
(function () {
  const locale = document.documentElement.lang || "fr-CA";
  const money = new Intl.NumberFormat(locale, { style: "currency", currency: "CAD" });
  const whole = new Intl.NumberFormat(locale);
  const count = (text) => {
    const cleaned = (text || "").replace(/[\s\u00a0\u202f]/g, "");
    return /^\d+$/.test(cleaned) ? Number(cleaned) : 0;
  };
  const cents = (text) => {
    let cleaned = (text || "").replace(/[\s\u00a0\u202f$]/g, "");
    if (cleaned.includes(",") && cleaned.includes(".")) cleaned = cleaned.replace(/,/g, "");
    else cleaned = cleaned.replace(",", ".");
    const value = Number(cleaned);
    return Number.isFinite(value) ? Math.round(value * 100) : 0;
  };
  const total = document.getElementById("people_total");
  document.querySelectorAll("fieldset[data-breakdown]").forEach((fieldset) => {
    const out = fieldset.querySelector("[data-sum]");
    if (!out) return;
    const update = () => {
      let sum = 0;
      fieldset.querySelectorAll("input[data-count]").forEach((input) => { sum += count(input.value); });
      const expected = total && total.value.trim() ? whole.format(count(total.value)) : "—";
      out.textContent = out.dataset.template.replace("{sum}", whole.format(sum)).replace("{total}", expected);
    };
    fieldset.addEventListener("input", update);
    if (total) total.addEventListener("input", update);
    update();
  });
  const statement = document.getElementById("financial-statement");
  const lines = document.querySelector("[data-lines-sum]");
  if (statement && lines) {
    const update = () => {
      const sums = { spent: 0, committed: 0 };
      statement.querySelectorAll("input[data-column]").forEach((input) => {
        sums[input.dataset.column] += cents(input.value);
      });
      lines.textContent = lines.dataset.template
        .replace("{spent}", money.format(sums.spent / 100))
        .replace("{committed}", money.format(sums.committed / 100));
    };
    statement.addEventListener("input", update);
    update();
  }
})();
