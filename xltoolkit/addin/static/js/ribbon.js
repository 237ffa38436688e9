// Ribbon buttons of the «Trẻ em» tab. Each ExecuteFunction name in templates/manifest.xml is bound
// here to one server script (xltoolkit/addin/custom_scripts.py). Office.js requires
// event.completed() whatever happens, otherwise the button stays busy.
const XLTOOLKIT_BUTTONS = {
  "xltoolkit-validate": "validate_workbook",
  "xltoolkit-status": "target_status",
  "xltoolkit-summary": "build_summary",
};

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
        headers: authResult.provider ? { "Auth-Provider": authResult.provider } : {},
      });
    } finally {
      event.completed();
    }
  };
}

for (const [functionName, scriptName] of Object.entries(XLTOOLKIT_BUTTONS)) {
  Office.actions.associate(functionName, xltoolkitButton(scriptName));
}
