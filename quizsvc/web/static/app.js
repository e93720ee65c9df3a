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
    const editor = window.CodeMirror.fromTextArea(box, {
      mode: "python", lineNumbers: true, indentUnit: 4, viewportMargin: Infinity,
      extraKeys: { Tab: (cm) => cm.replaceSelection("    ") },
    });
    box.form.addEventListener("submit", () => editor.save());
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
});
