// A workbook model standing in for Excel's JavaScript API (the `Excel` and `Office` globals) in
// headless Chromium, so that xlwings' real Office.js client (xlwings-server's static/js) and our
// ribbon.js / task pane run unchanged against a workbook loaded from a generated template.
//
// It covers exactly the objects and methods that client calls for the add-in's three buttons
// (getBookData, runActions with the actions our scripts emit, xlAlert) and no more: every object is
// wrapped in a strict proxy, so reading or setting a member the model does not have throws and is
// recorded in `__xlt.unmodelled` (the test fails on it) instead of silently returning undefined.
// Excel's semantics that matter for the add-in are modelled: values-only used ranges, null in a
// written matrix leaves the cell alone, a leading apostrophe marks literal text, a written matrix
// must match the range (a single value fills it), protected sheets refuse writes to
// locked cells and formatting when "format cells" is not allowed, sheet names are unique.
//
// Loaded as a Playwright init script after `window.__XLT_BOOK__` (the workbook data, built in
// tests/browser_support/book.py) is defined.
(() => {
  "use strict";
  const BOOK = window.__XLT_BOOK__;
  const xlt = {
    unmodelled: [],
    errors: [],
    writes: [],
    dialogs: [],
    associated: {},
    customFunctions: [],
    syncs: 0,
  };
  window.__xlt = xlt;

  // ------------------------------------------------------------------ strict wrapping
  const ALLOWED_MISSING = new Set(["then", "toJSON", "constructor", "nodeType", "$$typeof"]);
  function strict(target, kind) {
    return new Proxy(target, {
      get(t, p, r) {
        if (typeof p === "symbol" || p in t) return Reflect.get(t, p, r);
        if (ALLOWED_MISSING.has(p)) return undefined;
        const what = `${kind}.${String(p)}`;
        xlt.unmodelled.push(what);
        throw new Error(`excel_model: ${what} is not modelled`);
      },
      set(t, p, v, r) {
        if (!(p in t)) {
          const what = `${kind}.${String(p)} (set)`;
          xlt.unmodelled.push(what);
          throw new Error(`excel_model: ${what} is not modelled`);
        }
        return Reflect.set(t, p, v, r);
      },
    });
  }
  function excelError(code, message) {
    const e = new Error(message);
    e.code = code;
    e.name = "RichApi.Error";
    xlt.errors.push({ code, message });
    return e;
  }

  // ------------------------------------------------------------------ addresses
  function colLetters(n) {
    let s = "";
    for (n += 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    return s;
  }
  function colIndex(letters) {
    let n = 0;
    for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
    return n - 1;
  }
  function cellName(r, c) {
    return `${colLetters(c)}${r + 1}`;
  }
  function parseRef(ref) {
    const m = /^\$?([A-Z]{1,3})\$?(\d+)$/.exec(ref.trim().toUpperCase());
    if (!m) throw excelError("InvalidArgument", `excel_model: bad cell reference ${ref}`);
    return [Number(m[2]) - 1, colIndex(m[1])];
  }
  function parseAddress(address) {
    const local = address.includes("!") ? address.split("!").pop() : address;
    const [a, b] = local.split(":");
    const [r0, c0] = parseRef(a);
    const [r1, c1] = b ? parseRef(b) : [r0, c0];
    return [Math.min(r0, r1), Math.min(c0, c1), Math.abs(r1 - r0) + 1, Math.abs(c1 - c0) + 1];
  }
  function quoteSheet(name) {
    return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
  }
  const key = (r, c) => `${r},${c}`;

  // ------------------------------------------------------------------ the workbook state
  class SheetState {
    constructor(data) {
      this.name = data.name;
      this.visibility = data.visibility || "Visible";
      this.protected = Boolean(data.protected);
      this.formatCellsAllowed = data.format_cells_allowed !== false;
      this.unlocked = new Set(data.unlocked || []);
      this.values = new Map();
      this.fills = new Map();
      this.formats = new Map();
      (data.values || []).forEach((row, r) =>
        row.forEach((v, c) => {
          if (v !== "" && v !== null) this.values.set(key(r, c), v);
        }),
      );
      for (const [cell, colour] of Object.entries(data.fills || {})) {
        const [r, c] = parseRef(cell);
        this.fills.set(key(r, c), colour.toUpperCase());
      }
      for (const [cell, fmt] of Object.entries(data.number_formats || {})) {
        const [r, c] = parseRef(cell);
        this.formats.set(key(r, c), fmt);
      }
    }
    locked(r, c) {
      return this.protected && !this.unlocked.has(cellName(r, c));
    }
    usedBox() {
      let r0 = Infinity, c0 = Infinity, r1 = -1, c1 = -1;
      for (const k of this.values.keys()) {
        const [r, c] = k.split(",").map(Number);
        r0 = Math.min(r0, r); c0 = Math.min(c0, c); r1 = Math.max(r1, r); c1 = Math.max(c1, c);
      }
      return r1 < 0 ? null : [r0, c0, r1 - r0 + 1, c1 - c0 + 1];
    }
  }
  const state = {
    name: BOOK.name,
    sheets: BOOK.sheets.map((s) => new SheetState(s)),
    names: BOOK.names || [],
    active: BOOK.active_sheet_index || 0,
  };
  const findSheet = (name) => state.sheets.find((s) => s.name === name);
  function record(op, st, box, extra = {}) {
    const [r, c, h, w] = box;
    const address = h * w === 1 ? cellName(r, c) : `${cellName(r, c)}:${cellName(r + h - 1, c + w - 1)}`;
    xlt.writes.push({ op, sheet: st.name, address, ...extra });
  }

  // ------------------------------------------------------------------ API objects
  class ClientObject {
    load() {
      return this;
    }
  }
  function nullObject(kind) {
    const o = new ClientObject();
    o.isNullObject = true;
    return strict(o, kind);
  }
  function collection(items, kind) {
    const o = new ClientObject();
    o.items = items;
    o.isNullObject = false;
    return strict(o, kind);
  }

  class Fill {
    constructor(range) {
      this._range = range;
    }
    set color(value) {
      this._range._format((st, k) => st.fills.set(k, String(value).toUpperCase()), "fill", { color: value });
    }
    get color() {
      const st = this._range._st;
      return st.fills.get(key(this._range._r, this._range._c)) || "#FFFFFF";
    }
    clear() {
      this._range._format((st, k) => st.fills.delete(k), "fill", { color: null });
    }
    load() {
      return this;
    }
  }

  class Range extends ClientObject {
    constructor(st, r, c, h, w) {
      super();
      this._st = st;
      this._r = r;
      this._c = c;
      this._h = h;
      this._w = w;
      this.isNullObject = false;
      this.format = strict({ fill: strict(new Fill(this), "RangeFill") }, "RangeFormat");
    }
    get _box() {
      return [this._r, this._c, this._h, this._w];
    }
    *_cells() {
      for (let i = 0; i < this._h; i++) for (let j = 0; j < this._w; j++) yield [i, j, this._r + i, this._c + j];
    }
    get address() {
      const first = cellName(this._r, this._c);
      const last = cellName(this._r + this._h - 1, this._c + this._w - 1);
      return `${quoteSheet(this._st.name)}!${first}${first === last ? "" : ":" + last}`;
    }
    get rowCount() {
      return this._h;
    }
    get columnCount() {
      return this._w;
    }
    get rowIndex() {
      return this._r;
    }
    get columnIndex() {
      return this._c;
    }
    get worksheet() {
      return worksheet(this._st);
    }
    _matrix(input, what, broadcastOneByOne = false) {
      // Excel: a single value applies to every cell; otherwise the matrix must have exactly the
      // range's dimensions ("InvalidArgument", OfficeDev/office-js#1025). A 1x1 matrix fills
      // the range for numberFormat (what xlwings' setNumberFormat sends; reported working in
      // OfficeDev/office-js-docs-reference#578), not for values, where it is not reliable.
      if (!Array.isArray(input)) return () => input;
      const oneByOne = input.length === 1 && Array.isArray(input[0]) && input[0].length === 1;
      if (broadcastOneByOne && oneByOne) return () => input[0][0];
      if (input.length !== this._h || input.some((row) => !Array.isArray(row) || row.length !== this._w)) {
        throw excelError(
          "InvalidArgument",
          `The number of rows or columns in the input array doesn't match the size or dimensions of the range (${what} on ${this.address}).`,
        );
      }
      return (i, j) => input[i][j];
    }
    get values() {
      const out = [];
      for (let i = 0; i < this._h; i++) {
        const row = [];
        for (let j = 0; j < this._w; j++) {
          const v = this._st.values.get(key(this._r + i, this._c + j));
          row.push(v === undefined ? "" : v);
        }
        out.push(row);
      }
      return out;
    }
    set values(input) {
      const at = this._matrix(input, "values");
      for (const [i, j, r, c] of this._cells()) {
        if (at(i, j) !== null && this._st.locked(r, c)) {
          throw excelError("AccessDenied", `The cell ${this._st.name}!${cellName(r, c)} is protected.`);
        }
      }
      for (const [i, j, r, c] of this._cells()) {
        let v = at(i, j);
        if (v === null || v === undefined) continue; // Excel: null leaves the cell as it is
        if (typeof v === "string" && v.startsWith("=")) {
          xlt.errors.push({ code: "FormulaWritten", message: `${this._st.name}!${cellName(r, c)}: ${v}` });
        }
        if (typeof v === "string" && v.startsWith("'")) v = v.slice(1);
        if (v === "") this._st.values.delete(key(r, c));
        else this._st.values.set(key(r, c), v);
      }
      record("values", this._st, this._box, { values: input });
    }
    get numberFormat() {
      const out = [];
      for (let i = 0; i < this._h; i++) {
        const row = [];
        for (let j = 0; j < this._w; j++) row.push(this._st.formats.get(key(this._r + i, this._c + j)) || "General");
        out.push(row);
      }
      return out;
    }
    set numberFormat(input) {
      const at = this._matrix(input, "numberFormat", true);
      this._format((st, k, i, j) => st.formats.set(k, at(i, j)), "numberFormat", { format: input });
    }
    _format(apply, op, extra) {
      if (this._st.protected && !this._st.formatCellsAllowed) {
        throw excelError("AccessDenied", `Formatting is protected on sheet ${this._st.name}.`);
      }
      for (const [i, j, r, c] of this._cells()) apply(this._st, key(r, c), i, j);
      record(op, this._st, this._box, extra);
    }
    setCellProperties(matrix) {
      if (matrix.length !== this._h || matrix.some((row) => row.length !== this._w)) {
        throw excelError("InvalidArgument", "setCellProperties: matrix does not match the range");
      }
      if (this._st.protected && !this._st.formatCellsAllowed) {
        throw excelError("AccessDenied", `Formatting is protected on sheet ${this._st.name}.`);
      }
      for (const [i, j, r, c] of this._cells()) {
        const props = matrix[i][j];
        const unknown = Object.keys(props).filter((k) => k !== "format");
        const fill = props.format ? props.format.fill : undefined;
        if (unknown.length || (props.format && Object.keys(props.format).some((k) => k !== "fill"))) {
          xlt.unmodelled.push(`Range.setCellProperties(${JSON.stringify(props)})`);
          throw new Error("excel_model: cell property not modelled");
        }
        if (!fill) continue;
        if (fill.pattern === "None") this._st.fills.delete(key(r, c));
        else if (fill.color) this._st.fills.set(key(r, c), String(fill.color).toUpperCase());
      }
      record("cellProperties", this._st, this._box, { properties: matrix });
    }
    clear(applyTo = "All") {
      const contents = applyTo === "All" || applyTo === "Contents";
      const formats = applyTo === "All" || applyTo === "Formats";
      for (const [, , r, c] of this._cells()) {
        if (contents && this._st.values.has(key(r, c)) && this._st.locked(r, c)) {
          throw excelError("AccessDenied", `The cell ${this._st.name}!${cellName(r, c)} is protected.`);
        }
      }
      for (const [, , r, c] of this._cells()) {
        if (contents) this._st.values.delete(key(r, c));
        if (formats) {
          this._st.fills.delete(key(r, c));
          this._st.formats.delete(key(r, c));
        }
      }
      record("clear", this._st, this._box, { applyTo });
    }
  }
  const range = (st, r, c, h, w) => strict(new Range(st, r, c, h, w), "Range");

  const SHEET_LIMIT = 1048576;
  class Worksheet extends ClientObject {
    constructor(st) {
      super();
      this._st = st;
      this.isNullObject = false;
      this.showGridlines = true;
      this.names = collection([], "NamedItemCollection(sheet)");
      this.notes = collection([], "NoteCollection");
      this.tables = collection([], "TableCollection");
      this.charts = collection([], "ChartCollection");
      this.pivotTables = collection([], "PivotTableCollection");
      this.shapes = collection([], "ShapeCollection");
      const print = new ClientObject();
      print.getPrintAreaOrNullObject = () => nullObject("RangeAreas(printArea)");
      this.pageLayout = strict(print, "PageLayout");
    }
    get name() {
      return this._st.name;
    }
    get visibility() {
      return this._st.visibility;
    }
    get position() {
      return state.sheets.indexOf(this._st);
    }
    set position(p) {
      const from = state.sheets.indexOf(this._st);
      state.sheets.splice(from, 1);
      state.sheets.splice(Math.max(0, Math.min(p, state.sheets.length)), 0, this._st);
      xlt.writes.push({ op: "moveSheet", sheet: this._st.name, position: p });
    }
    getUsedRangeOrNullObject(valuesOnly) {
      if (valuesOnly !== true) {
        xlt.unmodelled.push("Worksheet.getUsedRangeOrNullObject(valuesOnly=false)");
        throw new Error("excel_model: only values-only used ranges are modelled");
      }
      const box = this._st.usedBox();
      return box ? range(this._st, ...box) : nullObject("Range(usedRange)");
    }
    getRange(address) {
      if (address === undefined) return range(this._st, 0, 0, SHEET_LIMIT, 16384);
      return range(this._st, ...parseAddress(address));
    }
    getRangeByIndexes(r, c, h, w) {
      return range(this._st, r, c, h, w);
    }
    getRanges() {
      const self = this;
      return strict(
        Object.assign(new ClientObject(), {
          clear(applyTo = "All") {
            const box = self._st.usedBox();
            const all = [0, 0, box ? box[0] + box[2] : 1, box ? box[1] + box[3] : 1];
            const fills = [...self._st.fills.keys()].map((k) => k.split(",").map(Number));
            for (const [r, c] of fills) {
              all[2] = Math.max(all[2], r + 1);
              all[3] = Math.max(all[3], c + 1);
            }
            new Range(self._st, ...all).clear(applyTo);
          },
        }),
        "RangeAreas",
      );
    }
    activate() {
      state.active = this.position;
    }
  }
  const worksheetCache = new Map();
  function worksheet(st) {
    if (!worksheetCache.has(st)) worksheetCache.set(st, strict(new Worksheet(st), "Worksheet"));
    return worksheetCache.get(st);
  }

  class WorksheetCollection extends ClientObject {
    get items() {
      return state.sheets.map(worksheet);
    }
    getItem(name) {
      const st = findSheet(name);
      if (!st) throw excelError("ItemNotFound", `The requested resource doesn't exist: sheet ${name}`);
      return worksheet(st);
    }
    getItemOrNullObject(name) {
      const st = findSheet(name);
      return st ? worksheet(st) : nullObject("Worksheet");
    }
    getActiveWorksheet() {
      return worksheet(state.sheets[state.active]);
    }
    add(name) {
      if (name === undefined) name = `Sheet${state.sheets.length + 1}`;
      if (state.sheets.some((s) => s.name.toLowerCase() === String(name).toLowerCase())) {
        throw excelError("ItemAlreadyExists", `A sheet named ${name} already exists.`);
      }
      if (BOOK.structure_locked) {
        throw excelError("AccessDenied", "The workbook structure is protected.");
      }
      const st = new SheetState({ name: String(name) });
      state.sheets.push(st);
      xlt.writes.push({ op: "addSheet", sheet: st.name });
      return worksheet(st);
    }
  }

  class NamedItem extends ClientObject {
    constructor(n) {
      super();
      this._n = n;
      this.name = n.name;
      this.type = n.sheet ? "Range" : "Error";
      this.formula = n.formula;
    }
    getRangeOrNullObject() {
      const st = this._n.sheet ? findSheet(this._n.sheet) : null;
      return st ? range(st, ...parseAddress(this._n.address)) : nullObject("Range(name)");
    }
  }

  function makeWorkbook() {
    const wb = new ClientObject();
    Object.defineProperty(wb, "name", { get: () => state.name, enumerable: true });
    wb.worksheets = strict(new WorksheetCollection(), "WorksheetCollection");
    wb.names = collection(state.names.map((n) => strict(new NamedItem(n), "NamedItem")), "NamedItemCollection");
    wb.application = strict(Object.assign(new ClientObject(), { calculationMode: "Automatic" }), "Application");
    wb.getSelectedRange = () => range(state.sheets[state.active], 0, 0, 1, 1);
    return strict(wb, "Workbook");
  }

  class RequestContext {
    constructor() {
      this.workbook = makeWorkbook();
      this.application = this.workbook.application;
    }
    sync() {
      xlt.syncs += 1;
      return new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  const Excel = {
    RequestContext: class {
      constructor() {
        return strict(new RequestContext(), "RequestContext");
      }
    },
    async run(...args) {
      const fn = args[args.length - 1];
      const context = strict(new RequestContext(), "RequestContext");
      const result = await fn(context);
      await context.sync();
      return result;
    },
    ClearApplyTo: { all: "All", formats: "Formats", contents: "Contents", hyperlinks: "Hyperlinks" },
    ShapeType: { image: "Image", geometricShape: "GeometricShape", group: "Group", line: "Line" },
  };

  // ------------------------------------------------------------------ Office
  // Requirement sets the model answers for: those of a current Microsoft 365 Excel on Windows,
  // up to what the model implements (ExcelApi 1.18 notes: an empty collection).
  const SUPPORTED = { ExcelApi: "1.18", SharedRuntime: "1.1", DialogApi: "1.2", RibbonApi: "1.1", CustomFunctionsRuntime: "1.4" };
  function isSetSupported(name, version) {
    const have = SUPPORTED[Object.keys(SUPPORTED).find((k) => k.toLowerCase() === String(name).toLowerCase())];
    if (!have) return false;
    const [a, b] = String(version || "1.1").split(".").map(Number);
    const [x, y] = have.split(".").map(Number);
    return x > a || (x === a && y >= (b || 0));
  }
  const ready = { host: "Excel", platform: "PC" };
  const Office = {
    HostType: { Excel: "Excel" },
    PlatformType: { PC: "PC", OfficeOnline: "OfficeOnline", Mac: "Mac" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: { DialogMessageReceived: "dialogMessageReceived", DialogEventReceived: "dialogEventReceived" },
    onReady(callback) {
      if (callback) setTimeout(() => callback(ready), 0);
      return Promise.resolve(ready);
    },
    context: strict(
      {
        platform: "PC",
        diagnostics: undefined,
        requirements: strict({ isSetSupported }, "RequirementSetSupport"),
        ui: strict(
          {
            displayDialogAsync(url, options, callback) {
              const u = new URL(url);
              xlt.dialogs.push({
                url,
                prompt: u.searchParams.get("prompt"),
                title: u.searchParams.get("title"),
                buttons: u.searchParams.get("buttons"),
                mode: u.searchParams.get("mode"),
              });
              const dialog = { addEventHandler() {}, close() {} };
              if (callback) setTimeout(() => callback({ status: "succeeded", value: dialog }), 0);
            },
          },
          "UI",
        ),
      },
      "Office.context",
    ),
    actions: strict(
      {
        associate(name, handler) {
          xlt.associated[name] = handler;
        },
      },
      "Office.actions",
    ),
  };
  const CustomFunctions = {
    associate(name) {
      xlt.customFunctions.push(name);
    },
    Error: class extends Error {},
    ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A" },
  };
  window.Office = strict(Office, "Office");
  window.Excel = strict(Excel, "Excel");
  window.CustomFunctions = strict(CustomFunctions, "CustomFunctions");

  // ------------------------------------------------------------------ test hooks
  // Press a ribbon button as Office does: call the associated handler with an event whose
  // completed() resolves the promise.
  xlt.press = (functionName) =>
    new Promise((resolve, reject) => {
      const handler = xlt.associated[functionName];
      if (!handler) return reject(new Error(`no handler associated with ${functionName}`));
      const event = { source: { id: functionName }, completed: () => resolve(true) };
      Promise.resolve(handler(event)).catch(reject);
    });
  // The workbook as the officer would now see it.
  xlt.dump = () => ({
    name: state.name,
    sheets: state.sheets.map((st) => ({
      name: st.name,
      values: Object.fromEntries([...st.values].map(([k, v]) => [cellName(...k.split(",").map(Number)), v])),
      fills: Object.fromEntries([...st.fills].map(([k, v]) => [cellName(...k.split(",").map(Number)), v])),
      formats: Object.fromEntries([...st.formats].map(([k, v]) => [cellName(...k.split(",").map(Number)), v])),
    })),
  });
})();
