extension WebAssets {
    /// No inline script or style anywhere: the CSP allows only these files.
    static let page = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>photoq</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="bar">
  <form id="search-form" class="search" role="search">
    <a class="brand" href="#">photoq</a>
    <input id="q" type="search" name="q" placeholder="Describe a photo, e.g. a dog on a beach" autocomplete="off"
           aria-label="Describe the photo to find" title="Press / to focus">
    <button type="submit">Search</button>
  </form>
  <details id="filters" class="filters">
    <summary>Filters</summary>
    <label>Taken after <input type="date" id="after"></label>
    <label>before <input type="date" id="before"></label>
    <label class="folder">In folder <input type="text" id="folder" placeholder="/home/you/Pictures/2024" spellcheck="false"></label>
  </details>
</header>

<main>
  <section id="search-view" class="view">
    <p id="summary" class="summary" aria-live="polite"></p>
    <ol id="grid" class="grid"></ol>
    <p id="sentinel" class="sentinel" hidden>Loading more…</p>
    <div id="empty" class="empty">
      <h1>Search your photos by describing them.</h1>
      <p>Type what you remember — “dog on a beach”, “birthday cake”, “snowy mountains” — and press Enter.
      Arrow keys move through the results, Enter opens one, Esc goes back, <kbd>/</kbd> returns to the search box.</p>
    </div>
  </section>

  <section id="photo-view" class="view" hidden>
    <div class="viewer">
      <div class="stage-wrap">
        <figure class="stage" id="stage">
          <img id="photo" alt="">
          <img id="heat" class="heat" alt="" hidden>
        </figure>
      </div>
      <aside class="details">
        <button id="back" class="link">← Back to results <kbd>Esc</kbd></button>
        <h2 id="photo-name"></h2>
        <p id="photo-path" class="path"></p>
        <dl class="facts">
          <dt>Taken</dt><dd id="photo-date">—</dd>
          <dt>Search score</dt><dd id="photo-score">—</dd>
        </dl>
        <section class="why" aria-labelledby="why">
          <div class="why-head">
            <button id="why" aria-pressed="false">Why?</button>
            <label class="slider">Heat map <input type="range" id="opacity" min="0" max="100" value="65"></label>
          </div>
          <p id="why-query" class="why-query"></p>
          <ul id="words" class="words"></ul>
          <p id="why-note" class="note"></p>
        </section>
        <div class="actions">
          <button id="similar">More like this</button>
          <form id="refine" class="refine">
            <input id="refine-text" type="text" placeholder="refine: …but at night" aria-label="Refine with text">
            <button type="submit">Refine</button>
          </form>
        </div>
      </aside>
    </div>
  </section>

  <section id="failed-view" class="view" hidden>
    <button id="failed-back" class="link">← Back <kbd>Esc</kbd></button>
    <h2>Files that are not indexed</h2>
    <p id="failed-summary" class="summary"></p>
    <table class="failures">
      <thead><tr><th>Reason</th><th>File</th><th>Detail</th></tr></thead>
      <tbody id="failed-rows"></tbody>
    </table>
  </section>
</main>

<footer class="status" id="status" aria-live="polite">connecting to photoqd…</footer>
</body>
</html>
"""#
}
