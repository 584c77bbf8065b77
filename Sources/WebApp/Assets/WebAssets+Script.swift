extension WebAssets {
    /// Plain JavaScript, no framework. The location's hash is the state
    /// (#q=…, #photo=ID, #similar=ID&q=…, #failed), so Back and reload work.
    /// Text from the index (paths, words) only ever goes in as textContent.
    static let script = #"""
"use strict";
const PAGE = 40, MAX_RESULTS = 1000;
const $ = (id) => document.getElementById(id);
const state = { key: "", results: [], byId: new Map(), want: PAGE, loading: false, exhausted: false,
                explained: null, lastListHash: "" };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) node.append(child);
  return node;
}

async function api(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { "Accept": "application/json" } });
  if (!response.ok) throw new Error((await response.text()).trim() || response.statusText);
  return response.json();
}

function parseHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return Object.fromEntries(params.entries());
}
function setHash(params) {
  const text = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== "")).toString();
  if (location.hash.slice(1) !== text) location.hash = text; else route();
}

function filters() {
  const f = {};
  if ($("after").value) f.after = $("after").value;
  if ($("before").value) f.before = $("before").value;
  if ($("folder").value.trim()) f.in = $("folder").value.trim();
  return f;
}

function show(view) {
  for (const id of ["search-view", "photo-view", "failed-view"]) $(id).hidden = id !== view;
}

// MARK: results

function listPath(h) {
  const p = new URLSearchParams();
  if (h.similar) { p.set("id", h.similar); if (h.q) p.set("q", h.q); }
  else p.set("q", h.q);
  for (const k of ["after", "before", "in"]) if (h[k]) p.set(k, h[k]);
  p.set("n", String(state.want));
  // URLSearchParams writes a space as "+", which the server reads as a plus
  // sign; %20 is a space to every reader (a typed "+" is already %2B).
  return (h.similar ? "/api/similar?" : "/api/search?") + p.toString().replace(/\+/g, "%20");
}

async function loadResults(h, fresh) {
  const key = JSON.stringify([h.q, h.similar, h.after, h.before, h.in]);
  if (fresh || key !== state.key) {
    Object.assign(state, { key, results: [], byId: new Map(), want: PAGE, exhausted: false });
    $("grid").replaceChildren();
    $("summary").textContent = "Searching…";
  }
  state.loading = true;
  try {
    const doc = await api(listPath(h));
    if (key !== state.key) return;
    const added = doc.results.filter((r) => !state.byId.has(r.id));
    for (const r of added) { state.byId.set(r.id, r); state.results.push(r); }
    appendTiles(added, state.results.length - added.length);
    state.exhausted = doc.results.length < state.want || state.want >= MAX_RESULTS;
    const what = h.similar ? `like photo ${h.similar}` + (h.q ? ` and “${h.q}”` : "") : `for “${h.q}”`;
    let summary = `${state.results.length} photo${state.results.length === 1 ? "" : "s"} ${what}`;
    if (doc.pending) summary += ` · ${doc.pending} still being indexed`;
    // The daemon drops photos scoring below the model's relevance cutoff.
    const cut = doc.below_min_score ? ` · ${doc.below_min_score} more scored too low to be related` : "";
    $("summary").textContent = state.results.length ? summary + cut : `No photos ${what}${cut}.`;
  } catch (error) {
    $("summary").textContent = `Search failed: ${error.message}`;
  } finally {
    state.loading = false;
    $("sentinel").hidden = state.exhausted || !state.results.length;
  }
}

function appendTiles(hits, offset) {
  const grid = $("grid");
  // The photo view explains the match against the list's text.
  const q = parseHash().q;
  hits.forEach((hit, i) => {
    const name = hit.path.split("/").pop();
    const href = "#" + new URLSearchParams(q ? { photo: hit.id, q } : { photo: hit.id }).toString();
    const link = el("a", { href, title: `${hit.path}\nscore ${hit.score.toFixed(3)}` },
      el("img", { src: hit.thumbnail, alt: name, loading: "lazy", decoding: "async" }),
      el("span", { className: "rank", textContent: `#${offset + i + 1}` }),
      el("span", { className: "score", textContent: hit.score.toFixed(3) }));
    link.dataset.id = String(hit.id);
    link.dataset.path = hit.path;
    grid.append(el("li", {}, link, el("p", { className: "caption", textContent: name })));
  });
}

const more = new IntersectionObserver((entries) => {
  if (!entries.some((e) => e.isIntersecting) || state.loading || state.exhausted) return;
  const h = parseHash();
  if (!h.q && !h.similar) return;
  state.want = Math.min(state.want + PAGE, MAX_RESULTS);
  loadResults(h, false);
});

// MARK: photo view

async function openPhoto(id, h) {
  show("photo-view");
  const hit = state.byId.get(Number(id));
  const query = h.q || "";
  $("photo").src = `/photo/${id}`;
  $("photo").alt = hit ? hit.path : `photo ${id}`;
  $("heat").hidden = true;
  $("heat").removeAttribute("src");
  $("words").replaceChildren();
  $("why-note").textContent = "";
  $("why-query").textContent = "";
  $("why").setAttribute("aria-pressed", "false");
  $("refine-text").value = "";
  const path = hit ? hit.path : "";
  $("photo-name").textContent = path ? path.split("/").pop() : `Photo ${id}`;
  $("photo-path").textContent = path;
  $("photo-date").textContent = hit ? formatDate(hit.taken, hit.modified) : "—";
  $("photo-score").textContent = hit ? hit.score.toFixed(3) : "—";
  $("photo").dataset.id = String(id);
  explain(id, query);
  if (!hit) {
    // Opened from a link or a reload: the index still knows the photo.
    try {
      const doc = await api(`/api/photo?id=${encodeURIComponent(id)}`);
      $("photo-name").textContent = doc.path.split("/").pop();
      $("photo-path").textContent = doc.path;
      $("photo-date").textContent = formatDate(null, doc.modified);
    } catch (error) {
      $("photo-name").textContent = `Photo ${id}: ${error.message}`;
    }
  }
}

function formatDate(taken, modified) {
  if (taken) return taken.replace("T", " ");
  return modified ? `${modified} (file modified)` : "—";
}

async function explain(id, query) {
  const ticket = `${id}|${query}`;
  state.explained = ticket;
  $("why-note").textContent = "Working out why…";
  try {
    const doc = await api(`/api/explain?id=${encodeURIComponent(id)}&q=${encodeURIComponent(query)}`);
    if (state.explained !== ticket) return;
    showMap(doc.map);
    $("why").setAttribute("aria-pressed", "true");
    const by = { scorer: "LSTM scorer", joint: "joint space", class: "ImageNet class" }[doc.target] || doc.target;
    $("why-query").textContent = `Why it matches “${doc.query}”: ${doc.score.toFixed(3)} by the ${by}`;
    const strongest = Math.max(0.0001, ...doc.words.map((w) => w.score));
    const list = $("words");
    list.replaceChildren(...doc.words.map((w) => {
      const button = el("button", { type: "button", textContent: `${w.word} ${w.score.toFixed(2)}`,
        title: w.map ? `Show the map for “${w.word}”` : "This explain model gives one map for the whole query" },
        el("span", { className: "bar-fill" }));
      button.lastChild.style.width = `${Math.round(28 * Math.max(0, w.score) / strongest)}px`;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => {
        const pressed = button.getAttribute("aria-pressed") === "true";
        for (const b of list.querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
        if (w.map && !pressed) { button.setAttribute("aria-pressed", "true"); showMap(w.map); }
        else showMap(doc.map);
      });
      return el("li", {}, button);
    }));
    $("why-note").textContent = doc.words.some((w) => w.map) ? "Click a word to see its own map." : "";
  } catch (error) {
    if (state.explained === ticket) $("why-note").textContent = `No explanation: ${error.message}`;
  }
}

function showMap(src) {
  const heat = $("heat");
  heat.src = src;
  heat.hidden = false;
  applyOpacity();
}
function applyOpacity() { $("heat").style.opacity = String($("opacity").value / 100); }

// MARK: failures

async function openFailed() {
  show("failed-view");
  $("failed-summary").textContent = "Loading…";
  try {
    const doc = await api("/api/failed?limit=500");
    $("failed-rows").replaceChildren(...doc.entries.map((e) => el("tr", {},
      el("td", { textContent: e.reason + (e.skipped ? " (skipped)" : "") }),
      el("td", { textContent: e.path }), el("td", { textContent: e.detail }))));
    $("failed-summary").textContent = doc.total ? `${doc.total} file${doc.total === 1 ? "" : "s"}` +
      (doc.nextOffset ? `, the first ${doc.entries.length} shown` : "") : "Every file found is indexed.";
  } catch (error) {
    $("failed-summary").textContent = `Cannot list them: ${error.message}`;
  }
}

// MARK: status line

async function refreshStatus() {
  const line = $("status");
  try {
    const s = await api("/api/status");
    line.classList.remove("error");
    const parts = [`${s.indexed} indexed`, `${s.pending} pending`];
    line.replaceChildren(parts.join(" · ") + " · ",
      s.failed + (s.skipped || 0) ? el("a", { href: "#failed", textContent: `${s.failed} failed` }) : `${s.failed} failed`,
      s.indexing && s.indexing !== "idle" ? ` · ${s.indexing}` : "");
  } catch (error) {
    line.classList.add("error");
    line.textContent = `photoqd: ${error.message}`;
  }
}

// MARK: routing and keys

function route() {
  const h = parseHash();
  if (h.photo) return openPhoto(h.photo, h);
  if ("failed" in h) return openFailed();
  show("search-view");
  state.lastListHash = location.hash;
  $("empty").hidden = Boolean(h.q || h.similar);
  if (h.q !== undefined && document.activeElement !== $("q")) $("q").value = h.q;
  for (const [k, id] of [["after", "after"], ["before", "before"], ["in", "folder"]]) if (h[k]) $(id).value = h[k];
  if (h.q || h.similar) loadResults(h, false);
  else { $("grid").replaceChildren(); $("summary").textContent = ""; state.key = ""; }
}

/// Esc and the back buttons: to the list this view was opened from, else home.
function back() {
  if (state.lastListHash) history.back(); else setHash({});
}

function moveFocus(key) {
  const tiles = [...document.querySelectorAll("#grid a")];
  if (!tiles.length) return false;
  const at = tiles.indexOf(document.activeElement);
  if (at < 0) { tiles[0].focus(); return true; }
  const top = tiles[0].getBoundingClientRect().top;
  const columns = Math.max(1, tiles.filter((t) => t.getBoundingClientRect().top === top).length);
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns, ArrowDown: columns }[key];
  const next = Math.min(tiles.length - 1, Math.max(0, at + step));
  tiles[next].focus();
  tiles[next].scrollIntoView({ block: "nearest" });
  return true;
}

document.addEventListener("keydown", (event) => {
  const typing = event.target instanceof HTMLInputElement;
  if (event.key === "/" && !typing) { event.preventDefault(); $("q").focus(); $("q").select(); return; }
  if (event.key === "Escape") {
    if (typing) { event.target.blur(); }
    if (!$("photo-view").hidden || !$("failed-view").hidden) { event.preventDefault(); back(); }
    return;
  }
  if (typing || $("search-view").hidden) return;
  if (event.key.startsWith("Arrow") && moveFocus(event.key)) event.preventDefault();
});

document.addEventListener("DOMContentLoaded", () => {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("q").value.trim();
    if (q) setHash({ q, ...filters() });
  });
  for (const id of ["after", "before", "folder"]) $(id).addEventListener("change", () => {
    const h = parseHash();
    if (h.q || h.similar) setHash({ q: h.q, similar: h.similar, ...filters() });
  });
  $("back").addEventListener("click", back);
  $("failed-back").addEventListener("click", back);
  $("opacity").addEventListener("input", applyOpacity);
  $("why").addEventListener("click", () => {
    const heat = $("heat");
    if (!heat.getAttribute("src")) return explain($("photo").dataset.id, parseHash().q || "");
    heat.hidden = !heat.hidden;
    $("why").setAttribute("aria-pressed", String(!heat.hidden));
  });
  $("similar").addEventListener("click", () => setHash({ similar: $("photo").dataset.id, ...filters() }));
  $("refine").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("refine-text").value.trim();
    setHash({ similar: $("photo").dataset.id, q: text, ...filters() });
  });
  more.observe($("sentinel"));
  window.addEventListener("hashchange", route);
  route();
  refreshStatus();
  setInterval(refreshStatus, 5000);
  if (!location.hash) $("q").focus();
});
"""#
}
