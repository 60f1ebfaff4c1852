"""Accessibility checks in a real browser: axe-core (axe-playwright-python) with the WCAG 2.0
and 2.1 A/AA rules, the English Streamlit or plotly may have left in the interface, the
visible focus of the focused element, and Tab until a given element has the focus."""

from __future__ import annotations

import re
from typing import Any

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
MAX_TABS = 80

_STRINGS_JS = """() => {
  // Every interface string besides the page's own text: the attributes a screen reader or
  // a tooltip shows, and the visible text of Streamlit's own controls.
  const out = new Set();
  const attrs = ['aria-label', 'title', 'placeholder', 'alt', 'data-title',
                 'aria-roledescription', 'aria-valuetext'];
  for (const el of document.querySelectorAll(attrs.map(a => `[${a}]`).join(', '))) {
    for (const a of attrs) {
      const v = el.getAttribute(a); if (v && v.trim()) out.add(`${a}=${v.trim().slice(0, 80)}`);
    }
  }
  for (const el of document.querySelectorAll('button, [role="button"], [role="option"], '
      + '[data-testid="stFileUploaderDropzoneInstructions"] *, small, '
      + '[data-testid="stToolbar"] *, [data-testid="stStatusWidget"] *')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim())
      .filter(Boolean).join(' ');
    if (own) out.add(`text=${own.slice(0, 80)}`);
  }
  return [...out].sort();
}"""

ENGLISH = re.compile(
    r"\b(Help for|Remove|Clear all|Clear value|Open|Close|Fullscreen|Search|Download|Zoom|Pan|"
    r"Reset|Skip to|Link to heading|Sidebar|App pages|Choose|Select all|Selected values|"
    r"per file|Drag and drop|Upload|Browse files|Show password|Collapse|Expand|No results|"
    r"Running|icon|file upload|progress|January|February|March|April|June|July|August|"
    r"October|December|Show/hide|Deploy|Main menu)\b")


def english_strings(page: Any) -> list[str]:
    """Interface strings on the page that are still English."""
    return [s for s in page.evaluate(_STRINGS_JS) if ENGLISH.search(s.split("=", 1)[1])]


def wait_swedish(page: Any) -> None:
    """Until the Swedish layer (ui/sv_interface.js) runs: on a tab's first page that is a
    moment after Streamlit is idle (its script-running st.html is loaded on demand)."""
    page.wait_for_function("() => window.__lagesbildSv === true", timeout=30_000)
    page.wait_for_timeout(150)


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG A/AA violations on the page (shadow roots included), one line each."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options=AXE_OPTIONS).response
    return [f"{v['id']}: {n['target']} {n['html'][:160]}"
            for v in result["violations"] for n in v["nodes"]]


_DEEPEST = """let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;"""

_FOCUS_DIFF_JS = """async () => {
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(
    () => setTimeout(r, 60))));
  """ + _DEEPEST + """
  if (!el || el === document.body) return null;
  const chain = []; for (let e = el, i = 0; e && i < 8; e = e.parentElement, i++) chain.push(e);
  const props = ['outlineStyle', 'outlineWidth', 'outlineColor', 'boxShadow'];
  const snap = () => chain.map(e => { const s = getComputedStyle(e);
    return Object.fromEntries(props.map(p => [p, s[p]])); });
  const focused = snap(); el.blur(); await frames(); const blurred = snap();
  el.focus(); await frames();
  const changes = [];
  focused.forEach((f, i) => props.forEach(p => { if (f[p] !== blurred[i][p])
    changes.push({prop: p, before: blurred[i][p], after: f[p], width: f.outlineWidth}); }));
  return changes;
}"""


def focus_visible(page: Any) -> bool:
    """Whether the focused element (or a close ancestor) shows a focus ring we accept: an
    outline of at least 2 px, or an opaque box-shadow (Streamlit's own, the primary colour
    at 50 %, is about 2.2:1 and not enough)."""
    for change in page.evaluate(_FOCUS_DIFF_JS) or []:
        if change["prop"] == "outlineStyle" and change["after"] != "none" \
                and float(change["width"].removesuffix("px") or 0) >= 2:
            return True
        shadow = re.match(r"rgba?\(([^)]*)\)", change["after"]) \
            if change["prop"] == "boxShadow" and change["before"] == "none" else None
        if shadow:
            parts = [float(x) for x in shadow.group(1).split(",")]
            if len(parts) == 3 or parts[3] >= 0.9:
                return True
    return False


def tab_to(page: Any, predicate_js: str, back: bool = False) -> bool:
    """Press Tab (Shift+Tab) until `predicate_js` (el => bool, on the deepest focused
    element) holds; False if it never does within MAX_TABS presses."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        page.wait_for_timeout(50)
        if page.evaluate(f"() => {{ {_DEEPEST} return ({predicate_js})(el); }}"):
            return True
    return False


def focused_text(page: Any) -> str:
    """The focused element's name as a screen reader gets it (aria-label, labelledby, text)."""
    return page.evaluate("() => { " + _DEEPEST + """
      if (!el) return '';
      const ids = (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
      if (ids.length) return ids.map(i => el.getRootNode().getElementById(i)?.textContent || '')
        .join(' ').trim();
      return (el.getAttribute('aria-label') || el.innerText || '').trim(); }""")
