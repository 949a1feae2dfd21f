import { existsSync } from "node:fs";
import { decodePng } from "@unetkit/data/node";
import { describe, expect, it } from "vitest";
import { CHART_FONT, chartFontFiles, curvesSpec, renderVegaLite, svgToPng, type CurvePoint } from "./chart.js";

function darkPixels(png: Uint8Array): number {
  const d = decodePng(png);
  let n = 0;
  for (let p = 0; p < d.width * d.height; p++) if (d.rgba[p * 4] < 128 && d.rgba[p * 4 + 1] < 128 && d.rgba[p * 4 + 2] < 128) n++;
  return n;
}

describe("chart rendering", () => {
  it("finds a TrueType DejaVu Sans (the npm package's, then Debian's)", () => {
    const files = chartFontFiles();
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.endsWith(".ttf") && existsSync(f))).toBe(true);
    expect(files[0]).toMatch(/dejavu-fonts-ttf[\\/]ttf[\\/]DejaVuSans\.ttf$/);
  });

  it("draws text: an SVG with text rasterises to dark pixels, the same SVG without it to none", () => {
    const frame = (inner: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40">${inner}</svg>`;
    const withText = svgToPng(frame(`<text x="8" y="30" font-family="${CHART_FONT}" font-size="24" fill="black">Hello</text>`));
    const empty = svgToPng(frame(""));
    expect(withText.width).toBe(160);
    expect(withText.height).toBe(40);
    expect(darkPixels(empty.png)).toBe(0);
    expect(darkPixels(withText.png)).toBeGreaterThan(100);
    // The default family applies to text that names none.
    expect(darkPixels(svgToPng(frame(`<text x="8" y="30" font-size="24">Hello</text>`)).png)).toBeGreaterThan(100);
  });

  it("curvesSpec puts one line per series in each panel, panels and series in the given order", () => {
    const points: CurvePoint[] = [1, 2, 3].flatMap((epoch) => [
      { epoch, panel: "loss", series: "a", value: 1 / epoch },
      { epoch, panel: "loss", series: "b", value: 2 / epoch },
      { epoch, panel: "IoU", series: "a", value: epoch / 4 },
    ]);
    const spec = curvesSpec(points, { title: "T", panels: ["loss", "IoU"], series: ["b", "a"], colors: ["#111111", "#222222"] }) as Record<string, any>;
    expect(spec.data.values).toEqual(points);
    expect(spec.facet.column).toMatchObject({ field: "panel", sort: ["loss", "IoU"] });
    expect(spec.spec.encoding.color).toMatchObject({ field: "series", scale: { domain: ["b", "a"], range: ["#111111", "#222222"] } });
    expect(spec.spec.encoding.x.scale.domain).toEqual([1, 3]);
    expect(spec.resolve.scale.y).toBe("independent");
  });

  it("renders a vega-lite spec to an SVG and a PNG twice its size, with the series names as text", async () => {
    const points: CurvePoint[] = [1, 2].flatMap((epoch) => [
      { epoch, panel: "loss", series: "alpha", value: 1 / epoch },
      { epoch, panel: "loss", series: "beta", value: 0.5 / epoch },
    ]);
    const chart = await renderVegaLite(curvesSpec(points, { title: "Chart title", panels: ["loss"], series: ["alpha", "beta"] }));
    expect(chart.svg.startsWith("<svg")).toBe(true);
    for (const text of ["Chart title", "alpha", "beta", "epoch", ">loss<"]) expect(chart.svg).toContain(text);
    const w = Number(/width="(\d+)"/.exec(chart.svg)?.[1]);
    const h = Number(/height="(\d+)"/.exec(chart.svg)?.[1]);
    const png = decodePng(chart.png);
    expect([png.width, png.height]).toEqual([2 * w, 2 * h]);
    expect([chart.width, chart.height]).toEqual([2 * w, 2 * h]);
    // Lines and text leave dark pixels on the white background.
    expect(darkPixels(chart.png)).toBeGreaterThan(500);
  });
});
