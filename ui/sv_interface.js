// Swedish for Streamlit's own interface texts (Streamlit 1.67 has no translations).
// Rewrites, in place, the English that Streamlit's front end writes into the DOM: the
// attributes a screen reader reads (aria-label, title, placeholder, plotly's data-title) and
// a few visible texts (skip link, status, "No results"). Text nodes are changed by nodeValue
// only (React keeps its node references); a MutationObserver repeats it after every render.
// Installed once per browser tab (guard on window); also sets lang="sv" on the html element as a fallback
// for the server-side rewrite.
(() => {
  if (window.__lagesbildSv) return;
  window.__lagesbildSv = true;

  const EXACT = {
    "Skip to main content": "Hoppa till huvudinnehållet",
    "App pages": "Sidor", "Sidebar": "Sidopanel", "Main menu": "Huvudmeny",
    "Collapse sidebar": "Dölj sidopanelen", "Expand sidebar": "Visa sidopanelen",
    "Link to heading": "Länk till rubriken", "Open": "Öppna", "Close": "Stäng",
    "Clear all": "Rensa alla", "Clear value": "Rensa", "Selected values": "Valda värden",
    "Choose an option": "Välj", "Choose options": "Välj", "Choose or add options": "Välj eller lägg till",
    "No results": "Inga träffar", "No options": "Inga alternativ",
    "No options to select": "Inga alternativ", "No options to select.": "Inga alternativ.",
    "Type to search": "Skriv för att söka", "Select all": "Välj alla",
    "Multiselect options": "Alternativ", "Selectbox options": "Alternativ",
    "Choose date": "Välj datum", "Choose date range": "Välj datumintervall",
    "Clear date": "Rensa datum", "Clear dates": "Rensa datum",
    "Previous month": "Föregående månad", "Next month": "Nästa månad",
    "Fullscreen": "Helskärm", "Close fullscreen": "Stäng helskärm",
    "Exit fullscreen": "Stäng helskärm",
    "Show/hide columns": "Visa eller dölj kolumner", "Download as CSV": "Ladda ner som CSV",
    "Search": "Sök", "Close Search": "Stäng sökningen", "Previous Result": "Föregående träff",
    "Next Result": "Nästa träff", "Dataframe column menu": "Kolumnmeny",
    "Copy column name": "Kopiera kolumnnamnet",
    "Increment": "Öka", "Decrement": "Minska", "Running...": "Arbetar …",
    "Stop script": "Stoppa", "Stop": "Stoppa", "Notifications": "Meddelanden",
    "file upload": "filuppladdning", "Add files": "Lägg till filer", "progress": "förlopp",
    "Previous page": "Föregående sida", "Next page": "Nästa sida", "Pagination": "Sidnumrering",
    // plotly's mode bar, for a chart drawn without the Swedish plotly locale (plotly_sv.py)
    "Download plot as a PNG": "Ladda ner diagrammet som PNG", "Zoom": "Zooma",
    "Pan": "Panorera", "Zoom in": "Zooma in", "Zoom out": "Zooma ut",
    "Reset axes": "Återställ axlarna", "Autoscale": "Autoskala", "Reset": "Återställ",
    "Reset view": "Återställ vyn", "Box Select": "Välj med rektangel",
    "Lasso Select": "Välj med lasso",
    "Deploy": "Publicera", "Show password": "Visa lösenordet",
    "Hide password": "Dölj lösenordet",
  };
  const MONTHS = { January: "januari", February: "februari", March: "mars", April: "april",
    May: "maj", June: "juni", July: "juli", August: "augusti", September: "september",
    October: "oktober", November: "november", December: "december" };
  const PATTERNS = [
    [/^(\d{2}) – (January|February|March|April|May|June|July|August|September|October|November|December)$/,
     (m, d, month) => `${d} – ${MONTHS[month]}`],
    // a native st.file_uploader still on a page (the Swedish component replaces the main ones)
    [/^(\d+(?:\.\d+)?)\s?([KMG]B) per file( • .+)?$/, (m, n, u, rest) =>
      `Högst ${n.replace(".", ",")} ${u} per fil${rest || ""}`],
    [/^Drag and drop (a file|files) here$/, (m, what) =>
      what === "files" ? "Dra och släpp filer här" : "Dra och släpp en fil här"],
    [/^(Upload|Browse files)$/, "Välj fil"],
    [/^Help for (.+)$/, "Hjälp om $1"],
    [/^Remove (.+)$/, "Ta bort $1"],
    [/^(.+) — start$/, "$1 – från"],
    [/^(.+) — end$/, "$1 – till"],
    [/^day, (.+)$/, "dag, $1"], [/^month, (.+)$/, "månad, $1"], [/^year, (.+)$/, "år, $1"],
    [/^Press Enter to (apply|submit form)$/, "Tryck Enter för att använda"],
  ];
  const ATTRS = ["aria-label", "title", "placeholder", "data-title", "aria-valuetext"];

  const translate = (text) => {
    const t = text.trim();
    if (!t) return null;
    if (Object.hasOwn(EXACT, t)) return text.replace(t, EXACT[t]);
    for (const [re, sub] of PATTERNS) {
      if (re.test(t)) return text.replace(t, t.replace(re, sub));
    }
    return null;
  };

  const fixElement = (el) => {
    for (const a of ATTRS) {
      const v = el.getAttribute(a);
      if (v) { const sv = translate(v); if (sv && sv !== v) el.setAttribute(a, sv); }
    }
    // Material icons labelled "lock icon" etc. stand next to text: decorative.
    const label = el.getAttribute("aria-label");
    if (label && / icon$/.test(label) && el.getAttribute("role") === "img") {
      el.removeAttribute("aria-label");
      el.setAttribute("aria-hidden", "true");
    }
  };
  const fixText = (node) => {
    const sv = translate(node.nodeValue);
    if (sv && sv !== node.nodeValue) node.nodeValue = sv;
  };
  // A native st.file_uploader: its button is named only "Upload" (the label is aria-hidden and
  // the dropzone is role=presentation), its limits are not tied to it. Name it
  // "Välj fil" + the label, and describe it by the limits.
  let uploaderIds = 0;
  const fixUploader = (zone) => {
    const button = zone.querySelector("button");
    const label = zone.getAttribute("aria-label");
    const limits = zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"]');
    if (!button || !label) return;
    const name = `Välj fil ${label}`;
    if (button.getAttribute("aria-label") !== name) button.setAttribute("aria-label", name);
    if (limits) {
      if (!limits.id) limits.id = `lb-upl-limits-${++uploaderIds}`;
      if (button.getAttribute("aria-describedby") !== limits.id) {
        button.setAttribute("aria-describedby", limits.id);
      }
    }
  };
  const walk = (root) => {
    if (root.nodeType === Node.TEXT_NODE) { fixText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixElement(root);
    for (const el of root.querySelectorAll("*")) fixElement(el);
    const zones = root.matches('[data-testid="stFileUploaderDropzone"]') ? [root]
      : root.querySelectorAll('[data-testid="stFileUploaderDropzone"]');
    zones.forEach(fixUploader);
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = texts.nextNode(); n; n = texts.nextNode()) fixText(n);
  };

  const setLang = () => {
    if (document.documentElement.lang !== "sv") document.documentElement.lang = "sv";
  };
  setLang();
  const safe = (f, x) => { try { f(x); } catch (e) { console.warn("sv_interface", e); } };
  safe(walk, document.body);
  new MutationObserver((records) => {
    for (const r of records) { try {  // one odd node must not stop the rest
      if (r.type === "attributes") fixElement(r.target);
      else if (r.type === "characterData") fixText(r.target);
      else if (r.target.closest) {  // a change inside an uploader: name its button again
        const zone = r.target.closest('[data-testid="stFileUploaderDropzone"]');
        if (zone) fixUploader(zone);
      }
      if (r.type === "childList") r.addedNodes.forEach(walk);
    } catch (e) { console.warn("sv_interface", e); } }
    setLang();
  }).observe(document.body, { subtree: true, childList: true, characterData: true,
                              attributes: true, attributeFilter: ATTRS });
})();
