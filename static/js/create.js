/* Reel: the create form (character count, duration, storyboard cards) and a job's live progress. */
(() => {
  "use strict";

  const doc = document;
  const lang = doc.documentElement.lang || "en";
  // Looked up at each call: this script may run before the translation catalogue has loaded.
  const gettext = (text) => (typeof window.gettext === "function" ? window.gettext(text) : text);
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const FINISHED = new Set(["ready", "failed", "blocked", "cancelled"]);

  /* ---------- The create form ---------- */

  function setupCharCount(counter) {
    const input = doc.getElementById(counter.dataset.charCountFor);
    if (!input) return;
    const limit = Number(counter.dataset.limit) || Number(input.maxLength) || 0;
    const show = () => {
      const length = Array.from(input.value).length;
      counter.textContent = fill(gettext("%(n)s / %(limit)s"), { n: length, limit });
      counter.classList.toggle("char-count--near", limit > 0 && length >= limit * 0.9);
    };
    input.addEventListener("input", show);
    show();
  }

  function setupDuration(form) {
    const range = form.querySelector("[data-duration]");
    const output = form.querySelector("[data-duration-output]");
    if (!range || !output) return;
    const show = () => {
      const text = fill(gettext("%(n)s s"), { n: number.format(Number(range.value)) });
      output.textContent = text;
      range.setAttribute("aria-valuetext", text);
    };
    range.addEventListener("input", show);
    show();
  }

  function setupSeed(form) {
    const clear = form.querySelector("[data-seed-clear]");
    const input = form.querySelector('input[name="seed"]');
    if (!clear || !input) return;
    const show = () => { clear.hidden = !input.value; };
    clear.addEventListener("click", () => {
      input.value = "";
      form.querySelector("[data-seed-note]")?.remove();
      show();
      input.focus();
    });
    input.addEventListener("input", show);
  }

  function setupModes(form) {
    // Browsers without :has() show the panel of the chosen mode through this attribute.
    const show = () => {
      const checked = form.querySelector('input[name="mode"]:checked');
      form.dataset.mode = checked ? checked.value : "text";
    };
    form.addEventListener("change", (event) => {
      if (event.target.name === "mode") show();
    });
    show();
  }

  function setupShots(form) {
    const box = form.querySelector("[data-shots]");
    if (!box) return;
    const list = box.querySelector("[data-shot-list]");
    const template = box.querySelector("[data-shot-template]");
    const add = box.querySelector("[data-shot-add]");
    const max = Number(box.dataset.max) || 6;
    const cards = () => Array.from(list.querySelectorAll("[data-shot]"));

    function renumber() {
      const all = cards();
      all.forEach((card, index) => {
        const title = card.querySelector(".shot__title");
        title.id = `shot-title-${index}`;
        title.textContent = fill(gettext("Shot %(n)s"), { n: index + 1 });
        const remove = card.querySelector("[data-shot-remove]");
        remove.value = `remove-${index}`;
        remove.setAttribute("aria-describedby", title.id);
        remove.disabled = all.length <= 2;
        for (const [selector, prefix] of [["textarea", "shot-prompt"], ['input[type="number"]', "shot-duration"]]) {
          const field = card.querySelector(selector);
          const label = card.querySelector(`label[for="${field.id}"]`);
          field.id = `${prefix}-${index}`;
          if (label) label.htmlFor = field.id;
        }
      });
      add.disabled = all.length >= max;
    }

    box.addEventListener("click", (event) => {
      const remove = event.target.closest("[data-shot-remove]");
      if (remove) {
        event.preventDefault();
        if (cards().length <= 2) return;
        const card = remove.closest("[data-shot]");
        const next = card.nextElementSibling || card.previousElementSibling;
        card.remove();
        renumber();
        next?.querySelector("textarea")?.focus();
        return;
      }
      if (event.target.closest("[data-shot-add]")) {
        event.preventDefault();
        if (cards().length >= max) return;
        const index = cards().length;
        const html = template.innerHTML.replaceAll("__index__", String(index)).replaceAll("__number__", String(index + 1));
        list.insertAdjacentHTML("beforeend", html);
        renumber();
        cards().at(-1).querySelector("textarea").focus();
      }
    });
    renumber();
  }

  function setupCreateForm(form) {
    for (const counter of form.querySelectorAll("[data-char-count-for]")) setupCharCount(counter);
    setupDuration(form);
    setupSeed(form);
    setupModes(form);
    setupShots(form);
    form.addEventListener("submit", (event) => {
      const button = form.querySelector("[data-create-submit]");
      // Only the real submission locks the button; adding or removing a card is not one.
      if (button && (!event.submitter || event.submitter === button)) {
        window.setTimeout(() => { button.disabled = true; }, 0);
      }
    });
  }

  /* ---------- A job's live progress ---------- */

  function phaseLabel(job) {
    const state = job.state;
    const phase = job.phase || "";
    if (state === "held") return gettext("Waiting for a moderator to check the prompt");
    if (state === "queued") {
      const ahead = Number(job.queue_position) || 0;
      return ahead > 0 ? fill(gettext("Queued — %(n)s ahead"), { n: ahead }) : gettext("Queued — next in line");
    }
    const finished = {
      ready: gettext("Ready"), failed: gettext("Failed"), blocked: gettext("Blocked"), cancelled: gettext("Cancelled"),
    };
    if (finished[state]) return finished[state];
    if (phase === "rendering" && job.step_total) {
      return fill(gettext("Rendering step %(step)s of %(total)s"), { step: Math.max(1, job.step || 0), total: job.step_total });
    }
    const phases = {
      starting: gettext("Starting"), rendering: gettext("Rendering"), decoding: gettext("Decoding"),
      encoding: gettext("Encoding"), checking: gettext("Checking"),
    };
    return phases[phase] || gettext("Working");
  }

  function setupJob(root) {
    if (root.dataset.live !== "1") return;
    const phaseEl = root.querySelector("[data-phase]");
    const meter = root.querySelector("[data-meter]");
    const bar = root.querySelector("[data-meter-bar]");
    const percentEl = root.querySelector("[data-percent]");
    const announce = root.querySelector("[data-announce]");
    const statusUrl = root.dataset.statusUrl;
    let lastPhase = phaseEl ? phaseEl.textContent.trim() : "";
    let lastSpoken = "";
    let done = false;
    let socket = null;
    let pollTimer = 0;
    let pollDelay = 1500;
    // The server's percent, drawn here: the Content-Security-Policy blocks style="" in markup.
    if (bar && meter) bar.style.width = `${Number(meter.getAttribute("aria-valuenow")) || 0}%`;

    function render(job) {
      if (done || !job || !job.state) return;
      root.dataset.state = job.state;
      const percent = Math.round(100 * Math.min(1, Math.max(0, Number(job.progress) || 0)));
      const label = phaseLabel(job);
      if (phaseEl && label !== lastPhase) {
        phaseEl.textContent = label;
        lastPhase = label;
      }
      if (bar) bar.style.width = `${percent}%`;
      if (meter) {
        meter.setAttribute("aria-valuenow", String(percent));
        meter.setAttribute("aria-valuetext", `${percent} % — ${label}`);
      }
      if (percentEl) percentEl.textContent = `${percent} %`;
      // Tell screen readers when the phase changes, not at every step.
      const spoken = label.replace(/\d+/g, "");
      if (announce && spoken !== lastSpoken) {
        announce.textContent = label;
        lastSpoken = spoken;
      }
      if (FINISHED.has(job.state)) finish();
    }

    async function finish() {
      done = true;
      window.clearTimeout(pollTimer);
      if (socket) {
        socket.onclose = null;
        socket.close(1000);
      }
      // The finished page (the video, or the reason it failed) is drawn by the server.
      try {
        const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.querySelector("[data-job]");
        if (!fresh) throw new Error("no job");
        root.replaceWith(fresh);
        doc.title = page.title;
        const heading = fresh.querySelector(".page-title");
        if (heading) {
          heading.tabIndex = -1;
          heading.focus({ preventScroll: true });
        }
      } catch {
        window.location.reload();
      }
    }

    async function poll() {
      if (done) return;
      try {
        const response = await fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.status === 404) return; // gone, or no longer ours: nothing to follow
        if (!response.ok) throw new Error(String(response.status));
        render(await response.json());
        pollDelay = 1500;
      } catch {
        pollDelay = Math.min(pollDelay * 2, 15000);
      }
      if (!done) pollTimer = window.setTimeout(poll, pollDelay);
    }

    function startPolling() {
      if (done || pollTimer) return;
      pollTimer = window.setTimeout(poll, 0);
    }

    function connect() {
      if (!("WebSocket" in window) || !root.dataset.socket) {
        startPolling();
        return;
      }
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      try {
        socket = new WebSocket(`${scheme}//${window.location.host}${root.dataset.socket}`);
      } catch {
        startPolling();
        return;
      }
      let opened = false;
      socket.onopen = () => { opened = true; };
      socket.onmessage = (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (message.type === "job.progress") render(message.job);
      };
      socket.onclose = (event) => {
        socket = null;
        if (done) return;
        if (event.code === 4401 || event.code === 4403) {
          window.location.reload(); // signed out, or not ours any more: the server says what to do
          return;
        }
        // The socket failed or dropped: the status endpoint keeps the page live.
        startPolling();
        if (opened) window.setTimeout(() => { if (!done && !socket) connect(); }, 5000);
      };
    }

    connect();
    doc.addEventListener("visibilitychange", () => {
      if (!done && doc.visibilityState === "visible" && !socket) {
        window.clearTimeout(pollTimer);
        pollTimer = 0;
        startPolling();
      }
    });
  }

  /* ---------- Start ---------- */

  function start() {
    for (const form of doc.querySelectorAll("[data-create-form]")) setupCreateForm(form);
    for (const root of doc.querySelectorAll("[data-job]")) setupJob(root);
  }

  // Deferred scripts run in page order, this one before the translation catalogue: start once
  // they all have, so the first labels drawn are already in the page's language.
  if (doc.readyState === "loading" || doc.readyState === "interactive") {
    doc.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
})();
