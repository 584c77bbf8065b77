/// The page, its script and its style sheet, compiled into the binary so the
/// app needs no installed files and never loads anything from elsewhere
/// (no CDN, no web fonts, no framework): one HTML, one plain JS, one CSS file.
enum WebAssets {}
