// The 学时档案 page's print button. Without JavaScript it stays hidden and the page says how
// to print from the browser; the Content-Security-Policy allows no inline script, hence a file.
"use strict";

document.querySelectorAll("[data-print]").forEach((button) => {
  const holder = button.closest("[hidden]");
  if (holder) holder.hidden = false;
  button.addEventListener("click", () => window.print());
});
