// Dflare portal: progressive enhancement only; every page works without this script.
(() => {
  // Live regions: swap in the fragment every second until it says it has settled.
  for (const region of document.querySelectorAll("[data-live]")) {
    const poll = async () => {
      try {
        const response = await fetch(region.dataset.live, { headers: { Accept: "text/html" }, credentials: "same-origin" });
        if (response.redirected) {
          location.reload(); // signed out meanwhile: the page itself goes to the sign-in
          return;
        }
        if (response.ok) {
          region.innerHTML = await response.text();
        } else if (response.status < 500) {
          return; // gone or refused: nothing more will come
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
