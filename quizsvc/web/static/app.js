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
