// Access token for a provincial server reachable from the network (XLTOOLKIT_ADDIN_TOKEN on the
// server). The officer types it once in the task pane; it is kept in this add-in's localStorage,
// which the ribbon buttons share (SharedRuntime), and sent as the Authorization header.
const XLTOOLKIT_TOKEN_KEY = "xltoolkit-addin-token";

globalThis.getAuth = async function () {
  if (config.authProviders.includes("custom")) {
    return {
      token: localStorage.getItem(XLTOOLKIT_TOKEN_KEY) || "",
      provider: "custom",
    };
  }
  return { token: "", provider: "" };
};

globalThis.xltoolkitSaveToken = function (token) {
  localStorage.setItem(XLTOOLKIT_TOKEN_KEY, (token || "").trim());
};
