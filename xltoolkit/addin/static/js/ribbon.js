// Ribbon buttons of the «Trẻ em» tab. Each ExecuteFunction name in templates/manifest.xml is bound
// here to one server script (xltoolkit/addin/custom_scripts.py). Office.js requires
// event.completed() whatever happens, otherwise the button stays busy.
const XLTOOLKIT_BUTTONS = {
  "xltoolkit-validate": "validate_workbook",
  "xltoolkit-status": "target_status",
  "xltoolkit-summary": "build_summary",
};

// The server refuses script calls that do not come from the add-in's own pages (cross-site request
// forgery): send the anti-forgery token the task pane page (this function file) was rendered with.
function xltoolkitAntiForgery() {
  const meta = document.querySelector('meta[name="xltoolkit-anti-forgery"]');
  if (!meta || !meta.content) return {};
  return { [meta.dataset.header || "X-Xltoolkit-Request"]: meta.content };
}

function xltoolkitButton(scriptName) {
  return async function (event) {
    try {
      const authResult =
        typeof globalThis.getAuth === "function"
          ? await globalThis.getAuth()
          : { token: "", provider: "" };
      await xlwings.runPython({
        scriptName: scriptName,
        auth: authResult.token,
        headers: {
          ...xltoolkitAntiForgery(),
          ...(authResult.provider ? { "Auth-Provider": authResult.provider } : {}),
        },
      });
    } finally {
      event.completed();
    }
  };
}

for (const [functionName, scriptName] of Object.entries(XLTOOLKIT_BUTTONS)) {
  Office.actions.associate(functionName, xltoolkitButton(scriptName));
}
