// Dflare portal: progressive enhancement only; every page works without this script.
(() => {
  // Live regions: swap in the fragment every second until it says it has settled.
  for (const region of document.querySelectorAll("[data-live]")) {
    const poll = async () => {
      try {
        const response = await fetch(region.dataset.live, { headers: { Accept: "text/html" }, credentials: "same-origin" });
        if (response.ok) {
          region.innerHTML = await response.text();
        }
      } catch {
        // A missed tick is retried on the next one.
      }
      if (!region.querySelector('[data-finished="true"]')) {
        setTimeout(poll, 1000);
      }
    };
    if (!region.querySelector('[data-finished="true"]')) {
      setTimeout(poll, 1000);
    }
  }
  // Pickers that take effect when changed (each has a button for when scripts are off).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
})();
