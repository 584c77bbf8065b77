extension WebAssets {
    /// Light and dark by `prefers-color-scheme`; system fonts only.
    static let style = #"""
:root {
  --bg: #f6f6f4; --panel: #ffffff; --text: #1d1d1f; --muted: #6b6b70; --line: #dcdcd8;
  --accent: #2f6fde; --accent-text: #ffffff; --focus: #f0a020; --tile: #e7e7e3; --shadow: 0 1px 3px rgba(0,0,0,.12);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #141416; --panel: #1e1e21; --text: #ececee; --muted: #9a9aa2; --line: #333338;
    --accent: #6d9cff; --accent-text: #0b1020; --focus: #ffb340; --tile: #26262a; --shadow: 0 1px 3px rgba(0,0,0,.5);
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
body { min-height: 100vh; display: flex; flex-direction: column; }
main { flex: 1; padding: 0 20px 20px; }
button, input { font: inherit; color: inherit; }
button { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 6px 14px; cursor: pointer; }
button:hover { border-color: var(--accent); }
button[type=submit], #similar { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.link { background: none; border: none; padding: 4px 0; color: var(--accent); }
input[type=search], input[type=text], input[type=date] {
  background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 7px 10px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
kbd { font: 12px ui-monospace, monospace; border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; color: var(--muted); }

.bar { position: sticky; top: 0; z-index: 5; background: var(--bg); padding: 14px 20px 10px;
  border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
.search { display: flex; gap: 8px; align-items: center; flex: 1 1 480px; }
.search input { flex: 1; min-width: 0; font-size: 17px; padding: 9px 14px; }
.brand { font-weight: 700; font-size: 19px; letter-spacing: -.02em; color: var(--text); text-decoration: none; margin-right: 6px; }
.filters summary { cursor: pointer; color: var(--muted); }
.filters[open] { flex-basis: 100%; }
.filters label { display: inline-flex; gap: 6px; align-items: center; margin: 8px 14px 0 0; color: var(--muted); }
.filters .folder input { width: 22em; max-width: 70vw; }

.summary { color: var(--muted); margin: 14px 0 10px; }
.empty { max-width: 40em; margin: 12vh auto; text-align: center; color: var(--muted); }
.empty h1 { color: var(--text); font-size: 26px; font-weight: 600; }
.grid { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); }
.grid li { position: relative; }
.grid a { display: block; position: relative; aspect-ratio: 1; border-radius: 10px; overflow: hidden;
  background: var(--tile); box-shadow: var(--shadow); }
.grid img { width: 100%; height: 100%; object-fit: cover; display: block; transition: transform .15s; }
.grid a:hover img, .grid a:focus img { transform: scale(1.03); }
.grid .score, .grid .rank { position: absolute; font-size: 12px; padding: 2px 7px; border-radius: 6px;
  background: rgba(0,0,0,.62); color: #fff; opacity: 0; transition: opacity .12s; }
.grid .score { right: 6px; bottom: 6px; }
.grid .rank { left: 6px; top: 6px; }
.grid a:hover .score, .grid a:focus .score, .grid a:hover .rank, .grid a:focus .rank { opacity: 1; }
.grid .caption { font-size: 12px; color: var(--muted); margin: 4px 2px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.sentinel { text-align: center; color: var(--muted); }

.viewer { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 20px; margin-top: 16px; align-items: start; }
.stage-wrap { display: flex; justify-content: center; background: var(--tile); border-radius: 12px; padding: 10px; }
.stage { position: relative; margin: 0; display: inline-block; line-height: 0; }
.stage #photo { max-width: 100%; max-height: calc(100vh - 170px); display: block; border-radius: 6px; }
.stage .heat { position: absolute; inset: 0; width: 100%; height: 100%; border-radius: 6px; pointer-events: none; }
.details { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 14px 18px; }
.details h2 { margin: 6px 0 2px; font-size: 19px; word-break: break-all; }
.path { color: var(--muted); font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; margin: 0 0 10px; }
.facts { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0 0 12px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.why { border-top: 1px solid var(--line); padding-top: 12px; }
.why-head { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
#why[aria-pressed=true] { background: var(--accent); color: var(--accent-text); border-color: var(--accent); }
.slider { display: inline-flex; gap: 6px; align-items: center; color: var(--muted); font-size: 13px; }
.why-query { color: var(--muted); margin: 10px 0 4px; font-size: 13px; }
.words { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px; }
.words button { padding: 3px 10px; border-radius: 999px; font-size: 13px; }
.words button .bar-fill { display: inline-block; height: 6px; margin-left: 6px; border-radius: 3px; background: var(--accent); vertical-align: middle; }
.words button[aria-pressed=true] { border-color: var(--accent); background: var(--tile); }
.note { color: var(--muted); font-size: 12px; min-height: 1em; }
.actions { border-top: 1px solid var(--line); padding-top: 12px; display: flex; flex-direction: column; gap: 10px; }
.refine { display: flex; gap: 6px; }
.refine input { flex: 1; min-width: 0; }

.failures { border-collapse: collapse; width: 100%; font-size: 13px; }
.failures th, .failures td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.failures td:nth-child(2) { font-family: ui-monospace, monospace; word-break: break-all; }

.status { padding: 8px 20px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); background: var(--bg);
  position: sticky; bottom: 0; }
.status a { color: var(--accent); }
.status.error { color: #d33; }

@media (max-width: 820px) {
  main { padding: 0 10px 10px; }
  .bar { padding: 10px; }
  .viewer { grid-template-columns: 1fr; }
  .grid { grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 6px; }
  .stage #photo { max-height: 60vh; }
}
"""#
}
