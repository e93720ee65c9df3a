// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("click", (event) => {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) {
    event.preventDefault();
  }
});

// Python highlighting for the code box (CodeMirror 5, served from /static/vendor).
window.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("code");
  if (box && window.CodeMirror) {
    // Tab indents; Esc then Tab (or Shift-Tab) leaves the editor, as CodeMirror documents, so
    // the editor is no keyboard trap (WCAG 2.1.2). The hint next to the editor says so.
    let leaving = false;
    const label = document.querySelector("label[for=code]");
    const editor = window.CodeMirror.fromTextArea(box, {
      mode: "python", lineNumbers: true, indentUnit: 4, viewportMargin: Infinity,
      // The editable text lives inside the scrolled box (a screen reader reads it as text, and
      // the scroll region has focusable content).
      inputStyle: "contenteditable",
      screenReaderLabel: label ? label.textContent.trim() : "",
      extraKeys: {
        Tab: (cm) => cm.replaceSelection("    "),
        "Shift-Tab": (cm) => cm.execCommand("indentLess"),
        Esc: () => { leaving = true; },
      },
    });
    editor.on("keydown", (cm, event) => {
      if (event.key === "Tab" && leaving) {
        event.codemirrorIgnore = true;  // CodeMirror stands aside: the browser moves the focus
      }
      if (event.key !== "Escape" && event.key !== "Shift") {
        leaving = false;
      }
    });
    const hint = box.getAttribute("aria-describedby");
    if (hint) {
      editor.getInputField().setAttribute("aria-describedby", hint);
    }
    box.form.addEventListener("submit", () => editor.save());
  }

  // A display formula wider than its column scrolls inside its block: keyboard users reach it.
  const formula = document.documentElement.lang === "ko" ? "수식" : "formula";
  const markScrollable = () => {
    for (const block of document.querySelectorAll(".math.block")) {
      if (block.scrollWidth > block.clientWidth) {
        block.tabIndex = 0;
        block.setAttribute("role", "region");
        block.setAttribute("aria-label", formula);
      } else {
        block.removeAttribute("tabindex");
        block.removeAttribute("role");
        block.removeAttribute("aria-label");
      }
    }
  };
  markScrollable();
  window.addEventListener("resize", markScrollable);

  // The item editor: each text's preview follows the typing, rendered by the server (the same
  // renderer as the pages: Markdown, $math$ as MathML). Without JavaScript the form's "Update
  // the previews" button does the same.
  const itemForm = document.getElementById("item-form");
  if (itemForm) {
    const token = itemForm.querySelector("input[name=csrf_token]");
    for (const box of itemForm.querySelectorAll("[data-preview]")) {
      const target = document.getElementById(box.dataset.preview);
      let timer = 0;
      let sent = 0;
      box.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const mine = ++sent;
          fetch(itemForm.dataset.previewUrl, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
            body: JSON.stringify({ text: box.value, inline: box.dataset.inline === "1" }),
          })
            .then((r) => (r.ok ? r.json() : null))
            .then((data) => {
              if (data && target && mine === sent) {
                target.innerHTML = data.html;  // sanitised by the server (nh3)
              }
            })
            .catch(() => {});
        }, 300);
      });
    }
  }

  // A submission being graded: poll its status, then reload to show the result.
  const pending = document.getElementById("pending");
  if (pending) {
    const url = pending.dataset.statusUrl;
    let delay = 150;
    const poll = () => {
      fetch(url, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((s) => {
          if (s.status === "graded" || s.status === "error") {
            window.location.reload();
          } else {
            delay = Math.min(delay * 1.5, 2000);
            setTimeout(poll, delay);
          }
        })
        .catch(() => setTimeout(poll, 2000));
    };
    setTimeout(poll, delay);
  }

  // A regrade in progress (staff pages): refresh the counts until nothing is queued or running.
  const progress = document.getElementById("progress");
  if (progress && progress.dataset.url) {
    const busy = () => ["queued", "running"].some((k) => {
      const el = progress.querySelector(`[data-k="${k}"]`);
      return el && Number(el.textContent) > 0;
    });
    const refresh = () => {
      fetch(progress.dataset.url, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((counts) => {
          for (const [k, v] of Object.entries(counts)) {
            const el = progress.querySelector(`[data-k="${k}"]`);
            if (el) { el.textContent = String(v); }
          }
          if (busy()) { setTimeout(refresh, 1500); }
        })
        .catch(() => setTimeout(refresh, 5000));
    };
    if (busy()) { setTimeout(refresh, 1000); }
  }
});

// Taking a quiz: autosave, the unanswered summary before submitting, and the running clock of a
// timed attempt. Without JavaScript the buttons post the form, the server asks about unanswered
// questions on a page of its own and enforces the deadline (shown as text).
window.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("attempt-form");
  if (!form) {
    return;
  }
  const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_m, k) => values[k]);
  const status = document.getElementById("autosave-status");
  const alertBox = document.getElementById("autosave-alert");
  let dirty = false;
  let saving = null;
  let finishing = false;
  let redirected = false;

  const showErrors = (errors) => {
    for (const section of form.querySelectorAll("section.item")) {
      const id = section.id.replace("item-", "");
      let box = section.querySelector(".autosave-error");
      if (errors[id]) {
        if (!box) {
          box = document.createElement("p");
          box.className = "error autosave-error";
          section.appendChild(box);
        }
        box.textContent = errors[id];
        section.classList.add("has-error");
      } else if (box) {
        box.remove();
        section.classList.remove("has-error");
      }
    }
  };

  // Saves the form as it is; resolves true when every answer was stored.
  const save = () => {
    if (saving) {
      return saving;
    }
    dirty = false;
    saving = fetch(form.dataset.autosaveUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then((r) => r.json().catch(() => ({ message: `${r.status} ${r.statusText}` })).then((body) => {
      if (body.redirect) {  // the time was up: the server has submitted what was saved
        finishing = true;
        redirected = true;
        window.location.assign(body.redirect);
        return false;
      }
      showErrors(body.errors || {});
      const time = new Date().toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
      if (r.ok) {
        status.textContent = fill(form.dataset.savedLabel, { time });
        return true;
      }
      const why = body.message || r.statusText;
      status.textContent = fill(form.dataset.failedLabel, { why });
      alertBox.textContent = why;
      return false;
    })).catch(() => {
      dirty = true;
      status.textContent = form.dataset.offlineLabel;
      return false;
    }).finally(() => {
      saving = null;
    });
    return saving;
  };
  form.addEventListener("change", () => { dirty = true; save(); });
  form.addEventListener("input", () => { dirty = true; });
  setInterval(() => { if (dirty) { save(); } }, 20000);

  // Before submitting: which questions have no answer (links to them), then a confirmation.
  const summary = document.getElementById("submit-summary");
  const answered = (section) => [...section.querySelectorAll("input, textarea, select")].some((el) =>
    (el.type === "radio" || el.type === "checkbox") ? el.checked : el.value.trim() !== "");
  const openSummary = () => {
    const missing = [...form.querySelectorAll("section.item")].filter((s) => !answered(s));
    const total = form.querySelectorAll("section.item").length;
    document.getElementById("submit-summary-text").textContent = missing.length
      ? fill(summary.dataset.some, { n: missing.length, total }) : summary.dataset.none;
    const list = document.getElementById("submit-summary-list");
    list.replaceChildren(...missing.map((s) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `#${s.id}`;
      a.textContent = fill(summary.dataset.item, { n: s.dataset.number });
      li.appendChild(a);
      return li;
    }));
    summary.hidden = false;
    summary.focus();
  };
  const submitButton = document.getElementById("submit-attempt");
  submitButton.addEventListener("click", (event) => {
    event.preventDefault();
    openSummary();
  });
  document.getElementById("keep-answering").addEventListener("click", () => {
    summary.hidden = true;
    submitButton.focus();
  });
  document.getElementById("confirm-submit").addEventListener("click", () => {
    finishing = true;
    const confirmed = document.createElement("input");
    confirmed.type = "hidden";
    confirmed.name = "confirmed";
    confirmed.value = "1";
    form.appendChild(confirmed);
  });
  form.addEventListener("submit", () => { finishing = true; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !finishing) {
      save();
      event.preventDefault();
    }
  });

  // The clock: the server's deadline, corrected for the difference between the two clocks.
  const clock = document.getElementById("clock");
  if (!clock) {
    return;
  }
  const deadline = Date.parse(clock.dataset.deadline);
  const skew = Date.parse(clock.dataset.now) - Date.now();
  const left = document.getElementById("clock-left");
  const announce = document.getElementById("clock-announce");
  left.parentElement.hidden = false;
  const announced = new Set();
  const submitSaved = () => {
    // What is saved is what counts: save once more, then submit the saved answers only.
    finishing = true;
    status.textContent = clock.dataset.zero;
    announce.textContent = clock.dataset.zero;
    const done = () => {
      if (redirected) {
        return;  // the server had already submitted it: its result page is on its way
      }
      const post = document.createElement("form");
      post.method = "post";
      post.action = form.getAttribute("action") || window.location.pathname;  // form.action: the buttons named "action"
      for (const [name, value] of [["csrf_token", form.querySelector("[name=csrf_token]").value],
        ["action", "submit"], ["confirmed", "1"]]) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        post.appendChild(input);
      }
      document.body.appendChild(post);
      post.submit();
    };
    save().then(done, done);
  };
  const tick = () => {
    const ms = deadline - (Date.now() + skew);
    const s = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    left.textContent = h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
    clock.classList.toggle("low", s <= 60);
    // Announced politely at 5 and 1 minutes left, never every second.
    for (const [limit, key] of [[300, "five"], [60, "one"]]) {
      if (s <= limit && s > limit - 30 && !announced.has(key)) {
        announced.add(key);
        announce.textContent = clock.dataset[key];
      }
    }
    if (s === 0) {
      if (!finishing) {
        submitSaved();
      }
      return;
    }
    setTimeout(tick, 1000 - ((Date.now() + skew) % 1000) || 1000);
  };
  tick();
});
