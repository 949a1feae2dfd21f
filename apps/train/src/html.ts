import { maskPalette } from "./prediction-grid.js";


/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('a < b & "c"'); // "a &lt; b &amp; &quot;c&quot;"
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/**
 * A number for people: fixed decimals, "–" for null/NaN.
 *
 * @example
 * ```ts
 * fmt(0.91234); // "0.9123"
 * fmt(null);    // "–"
 * ```
 */
export function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

/**
 * Seconds as "12.3 s" or "4 min 05 s".
 *
 * @example
 * ```ts
 * fmtSeconds(245); // "4 min 05 s"
 * ```
 */
export function fmtSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - m * 60)).padStart(2, "0")} s`;
}

/**
 * A table from header cells and rows of cells; cells are HTML (escape text first).
 *
 * @example
 * ```ts
 * table(["class", "IoU"], [["circle", "0.9100"]]); // "<table><thead>...</table>"
 * ```
 */
export function table(headers: string[], rows: string[][], className = ""): string {
  const head = `<thead><tr>${headers.map((h) => `<th>${h}</th>`).join("")}</tr></thead>`;
  const body = `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody>`;
  return `<table${className ? ` class="${className}"` : ""}>${head}${body}</table>`;
}

/**
 * Key/value rows of a nested object with dotted keys (`model.depth`), skipping undefined values;
 * arrays become comma-separated text.
 *
 * @example
 * ```ts
 * flattenConfig({ model: { depth: 2 }, widths: [8, 16] }); // [["model.depth", "2"], ["widths", "8, 16"]]
 * ```
 */
export function flattenConfig(obj: unknown, prefix = ""): [string, string][] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    return obj === undefined ? [] : [[prefix, Array.isArray(obj) ? obj.join(", ") : String(obj)]];
  }
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => flattenConfig(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * A small square in class `k`'s mask colour (as in the prediction grids, see `maskPalette`).
 *
 * @example
 * ```ts
 * swatch(1); // '<span class="swatch" style="background: rgb(31, 119, 180)"></span>'
 * ```
 */
export function swatch(k: number): string {
  const c = maskPalette(k + 1)[k];
  return `<span class="swatch" style="background: rgb(${c[0]}, ${c[1]}, ${c[2]})"></span>`;
}

/**
 * "Colours: [swatch] background, [swatch] circle, ..." for a grid caption.
 *
 * @example
 * ```ts
 * classLegend(["background", "circle", "square"]);
 * ```
 */
export function classLegend(names: readonly string[]): string {
  return `Colours: ${names.map((n, i) => `${swatch(i)} ${escapeHtml(n)}`).join(", ")}.`;
}

/**
 * Headline figure cards: a big value with a label under it (both HTML).
 *
 * @example
 * ```ts
 * figureCards([{ label: "test mean IoU", value: "0.9312" }]);
 * ```
 */
export function figureCards(cards: { label: string; value: string }[]): string {
  return `<div class="cards">${cards.map((c) => `<div class="card"><div class="value">${c.value}</div><div class="label">${c.label}</div></div>`).join("")}</div>`;
}

/**
 * An image with a caption (HTML); `src` is a path relative to the page. `width` sets the displayed
 * CSS width (charts are rendered at 2x for sharp text, so they show at half their pixel width).
 *
 * @example
 * ```ts
 * figure("curves.png", "training curves", "Loss, accuracy and IoU per epoch.", 988);
 * ```
 */
export function figure(src: string, alt: string, caption: string, width?: number): string {
  const size = width ? ` width="${Math.round(width)}"` : "";
  const capWidth = width ? ` style="max-width: ${Math.max(320, Math.round(width))}px"` : "";
  return `<figure><img src="${escapeHtml(src)}" alt="${escapeHtml(alt)}"${size}>${caption ? `<figcaption${capWidth}>${caption}</figcaption>` : ""}</figure>`;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2228; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #dde1e6; }
p.lead { margin: 0 0 18px; color: #4a525c; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 12px 18px; min-width: 150px; }
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: #5b6570; font-size: 13px; }
table { border-collapse: collapse; background: #fff; border: 1px solid #dde1e6; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 12px; border-bottom: 1px solid #eceff2; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; }
table.config td:first-child { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; color: #39424c; }
figure { margin: 0 0 12px; background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 12px; display: inline-block; max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: #4a525c; font-size: 13px; margin-top: 8px; }
.columns { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.note { color: #4a525c; font-size: 14px; max-width: 900px; }
a { color: #1f5fa8; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; background: #eef1f4; padding: 1px 4px; border-radius: 3px; }
.best { font-weight: 600; }
.swatch { display: inline-block; width: 11px; height: 11px; border: 1px solid #999; vertical-align: -1px; margin-right: 2px; }
table.iou td:last-child, table.epochs td, table.results td.num { text-align: right; }
`;

/**
 * A self-contained HTML page (inline CSS, no scripts, no external resources).
 *
 * @example
 * ```ts
 * writeFileSync("index.html", htmlPage("Report", "<h1>Report</h1>"));
 * ```
 */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
