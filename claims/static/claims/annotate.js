/* The annotation view of a source (see claims/workspace/annotate.py).
 *
 * The text is a run of <span class="seg" data-offset="N"> segments inside a pre-wrap block.
 * Offsets sent to the server count Unicode code points, as Python does; DOM offsets count
 * UTF-16 units, so every conversion goes through Array.from / for..of.
 */
(function () {
  "use strict";

  const textEl = document.getElementById("fc-text");
  if (!textEl) return;
  const RAW = JSON.parse(document.getElementById("fc-raw-text").textContent);
  const CP = Array.from(RAW);
  const RANGES = JSON.parse(document.getElementById("fc-ranges").textContent);
  const similarUrl = document.getElementById("fc-config").dataset.similarUrl;
  const claimForm = document.getElementById("panel-claim");
  const evidenceForm = document.getElementById("panel-evidence");
  const quoteEl = document.getElementById("fc-selection-quote");
  const emptyEl = document.getElementById("fc-selection-empty");
  const warnEl = document.getElementById("fc-selection-warning");
  const segments = Array.from(textEl.querySelectorAll(".seg"));

  const cpLen = (s) => {
    let n = 0;
    for (const _ of s) n++; // eslint-disable-line no-unused-vars
    return n;
  };

  // --- DOM position <-> code point offset --------------------------------------------------

  function segmentOf(node) {
    const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    return el && el.closest ? el.closest(".seg") : null;
  }

  function offsetOf(node, offset) {
    if (!textEl.contains(node)) {
      // A drag that runs past the text: clamp to the text's start or end.
      const before = node.compareDocumentPosition(textEl) & Node.DOCUMENT_POSITION_FOLLOWING;
      return before ? 0 : CP.length;
    }
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = segmentOf(node);
      return Number(seg.dataset.offset) + cpLen(node.data.slice(0, offset));
    }
    if (node === textEl) {
      const child = textEl.childNodes[offset];
      return child && child.dataset ? Number(child.dataset.offset) : CP.length;
    }
    const seg = segmentOf(node);
    if (!seg) return null;
    return Number(seg.dataset.offset) + (offset > 0 ? cpLen(seg.textContent) : 0);
  }

  function domPoint(cp, isEnd) {
    // The segment holding code point `cp` (for an end point, the one holding cp - 1).
    const target = isEnd ? cp - 1 : cp;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (Number(segments[mid].dataset.offset) <= target) lo = mid;
      else hi = mid - 1;
    }
    const seg = segments[lo];
    const node = seg.firstChild;
    const within = cp - Number(seg.dataset.offset);
    return [node, Array.from(node.data).slice(0, within).join("").length];
  }

  // --- The current selection ---------------------------------------------------------------

  let current = null;

  function field(form, name) {
    return form ? form.elements[form.id === "panel-claim" ? "claim-" + name : "evidence-" + name] : null;
  }

  function overlapsClaim(start, end) {
    return RANGES.find((r) => r.kind === "claim" && r.start < end && r.end > start);
  }

  function setSelection(start, end) {
    while (start < end && /\s/u.test(CP[start])) start++;
    while (end > start && /\s/u.test(CP[end - 1])) end--;
    if (start >= end) return;
    const exact = CP.slice(start, end).join("");
    current = { start, end, exact };
    for (const form of [claimForm, evidenceForm]) {
      if (!form) continue;
      field(form, "start").value = start;
      field(form, "end").value = end;
      field(form, "exact").value = exact;
    }
    quoteEl.textContent = exact;
    quoteEl.hidden = false;
    emptyEl.hidden = true;
    const warnings = [];
    if (/[\n\r]/.test(exact)) {
      warnings.push("Your selection spans more than one paragraph: a quote must sit within one paragraph.");
    }
    const overlap = overlapsClaim(start, end);
    if (overlap) {
      warnings.push(`It overlaps claim ${overlap.key.slice(1)}: a new claim cannot, but the passage can still be evidence.`);
    }
    warnEl.textContent = warnings.join(" ");
    warnEl.hidden = warnings.length === 0;
    scheduleSimilar();
  }

  function readSelection() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    const range = sel.getRangeAt(0);
    if (!range.intersectsNode(textEl)) return;
    const start = offsetOf(range.startContainer, range.startOffset);
    const end = offsetOf(range.endContainer, range.endOffset);
    if (start === null || end === null || start >= end) return;
    setSelection(start, end);
  }

  function selectRange(start, end) {
    const [sNode, sOff] = domPoint(start, false);
    const [eNode, eOff] = domPoint(end, true);
    const range = document.createRange();
    range.setStart(sNode, sOff);
    range.setEnd(eNode, eOff);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    sNode.parentElement.scrollIntoView({ block: "center", behavior: "instant" });
    setSelection(start, end);
  }

  document.addEventListener("selectionchange", readSelection);
  textEl.addEventListener("mouseup", readSelection);
  textEl.addEventListener("keyup", readSelection);

  // --- Find in text (keyboard way to select) -----------------------------------------------

  const findInput = document.getElementById("fc-find-input");
  const findStatus = document.getElementById("fc-find-status");
  let lastFound = -1;

  function find() {
    const needle = findInput.value.trim();
    if (!needle) {
      findStatus.textContent = "Type some words of the passage first.";
      return;
    }
    let at = RAW.indexOf(needle, lastFound + 1);
    if (at === -1) at = RAW.indexOf(needle);
    if (at === -1) {
      findStatus.textContent = "Not found in this text.";
      return;
    }
    lastFound = at;
    const start = cpLen(RAW.slice(0, at));
    selectRange(start, start + cpLen(needle));
    findStatus.textContent = "Selected. Enter again finds the next occurrence.";
  }

  findInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      find();
    }
  });
  document.getElementById("fc-find-button").addEventListener("click", find);

  // --- Tabs --------------------------------------------------------------------------------

  for (const tab of document.querySelectorAll(".fc-tabs [role=tab]")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".fc-tabs [role=tab]")) {
        const selected = other === tab;
        other.setAttribute("aria-selected", String(selected));
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      }
    });
  }

  // --- Similar claims ----------------------------------------------------------------------

  const similarList = document.getElementById("fc-similar-list");
  const similarStatus = document.getElementById("fc-similar-status");
  const statementInput = claimForm ? claimForm.elements["claim-statement"] : null;
  let similarTimer = null;

  function scheduleSimilar() {
    if (!similarList) return;
    clearTimeout(similarTimer);
    similarTimer = setTimeout(loadSimilar, 300);
  }

  function sameAsInputs() {
    return Array.from(claimForm.querySelectorAll("input[name='claim-same_as']"));
  }

  function toggleSameAs(id, button) {
    const existing = sameAsInputs().find((input) => input.value === String(id));
    if (existing) {
      existing.remove();
    } else {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "claim-same_as";
      input.value = String(id);
      claimForm.appendChild(input);
    }
    const linked = !existing;
    button.setAttribute("aria-pressed", String(linked));
    button.textContent = linked ? "✓ Will be linked as same assertion" : "Same assertion";
  }

  async function loadSimilar() {
    const q = [current ? current.exact : "", statementInput ? statementInput.value : ""].join(" ").trim();
    if (!q) return;
    similarStatus.textContent = "Looking for similar claims…";
    try {
      const response = await fetch(`${similarUrl}?q=${encodeURIComponent(q)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      const linked = new Set(sameAsInputs().map((input) => input.value));
      similarList.replaceChildren();
      for (const claim of data.results) {
        const li = document.createElement("li");
        const link = document.createElement("a");
        link.href = claim.url;
        link.target = "_blank";
        link.textContent = claim.statement;
        const badge = document.createElement("span");
        badge.className = `fc-badge fc-status-${claim.status}`;
        badge.textContent = claim.status_label;
        const meta = document.createElement("small");
        meta.textContent = ` — ${claim.claimant}, ${claim.source}`;
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button fc-same-as";
        const isLinked = linked.has(String(claim.id));
        button.setAttribute("aria-pressed", String(isLinked));
        button.textContent = isLinked ? "✓ Will be linked as same assertion" : "Same assertion";
        button.addEventListener("click", () => toggleSameAs(claim.id, button));
        li.append(badge, " ", link, meta, " ", button);
        similarList.appendChild(li);
      }
      similarStatus.textContent = data.results.length
        ? `Existing claims that may say the same (${data.method === "trigram" ? "by similarity" : "by shared words"}):`
        : "No similar claim found.";
    } catch (error) {
      similarStatus.textContent = "Could not load suggestions; you can still create the claim.";
    }
  }

  if (statementInput) statementInput.addEventListener("input", scheduleSimilar);

  // --- Coming back with errors: show the selection that was sent ---------------------------

  for (const form of [claimForm, evidenceForm]) {
    if (!form || form.hidden) continue;
    const start = Number(field(form, "start").value);
    const end = Number(field(form, "end").value);
    if (field(form, "start").value !== "" && end > start && end <= CP.length) {
      selectRange(start, end);
    }
  }
})();
