//! The console's files, embedded in the binary at build time: plain HTML, CSS and JavaScript
//! with no build step, no CDN and no external fonts (crates/riffle-server/console/).

const FILES: &[(&str, &str, &str)] = &[
    ("", "text/html; charset=utf-8", include_str!("../../console/index.html")),
    ("index.html", "text/html; charset=utf-8", include_str!("../../console/index.html")),
    ("console.css", "text/css; charset=utf-8", include_str!("../../console/console.css")),
    ("console.js", "text/javascript; charset=utf-8", include_str!("../../console/console.js")),
    ("views.js", "text/javascript; charset=utf-8", include_str!("../../console/views.js")),
    ("charts.js", "text/javascript; charset=utf-8", include_str!("../../console/charts.js")),
    ("monitor.js", "text/javascript; charset=utf-8", include_str!("../../console/monitor.js")),
    ("browse.js", "text/javascript; charset=utf-8", include_str!("../../console/browse.js")),
    ("favicon.svg", "image/svg+xml", include_str!("../../console/favicon.svg")),
];

/// The content type and body of the file at `path` (relative to `/console/`).
pub fn find(path: &str) -> Option<(&'static str, &'static str)> {
    FILES.iter().find(|(p, _, _)| *p == path).map(|(_, ct, body)| (*ct, *body))
}
