// Task pane: save the access token (only shown when the server requires one).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("xltoolkit-token-box");
  const input = document.getElementById("xltoolkit-token");
  const button = document.getElementById("xltoolkit-token-save");
  const done = document.getElementById("xltoolkit-token-saved");
  if (!box || !globalThis.config || !config.authProviders.includes("custom")) return;
  box.classList.remove("d-none");
  button.addEventListener("click", () => {
    globalThis.xltoolkitSaveToken(input.value);
    input.value = "";
    done.classList.remove("d-none");
  });
});
