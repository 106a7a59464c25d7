// Time to the first drawn frame of a geo resource's map in Chromium, against the same layer
// loaded whole as GeoJSON into Leaflet (what a GeoJSON preview without server-side views does).
// Called by scripts/bench-geo with a running release server whose resource is ingested:
//   node scripts/bench-map.mjs BASE DATASET_SLUG RESOURCE_ID [RUNS]
// Prints one JSON line: {"portal_ms": [...], "whole_ms": n | null, "features": "…"}.
// Each portal run is a fresh browser context (no cached script, style or answer); the time is
// from the navigation's start until the frame after the map says what it drew has been painted.
// Tiles are refused, as on a machine without internet: the features are drawn on a plain
// background, which is what is measured.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/ui/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [base, slug, id, runsArg] = process.argv.slice(2);
if (!base || !slug || !id) {
  console.error('usage: node scripts/bench-map.mjs BASE DATASET_SLUG RESOURCE_ID [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
const limitMs = 180_000;

// Registered before any page script: when the map marks what it drew, wait for the next two
// animation frames (the first runs before the paint of the frame with the new features, the
// second after it has been painted) and note the time since the navigation started.
const watchDrawn = () => {
  const painted = () =>
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__drawnMs = performance.now(); }));
  const watch = new MutationObserver(() => {
    const map = document.getElementById('map');
    if (map && map.dataset.features !== undefined) {
      watch.disconnect();
      painted();
    }
  });
  watch.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-features'] });
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function timed(prepare) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE' });
  const page = await context.newPage();
  await page.route(/tile\.openstreetmap\.org|basemap\.de/, (r) => r.abort());
  await page.addInitScript(watchDrawn);
  const url = await prepare(page);
  await page.goto(url, { waitUntil: 'commit', timeout: limitMs });
  try {
    await page.waitForFunction(() => window.__drawnMs !== undefined, null, { timeout: limitMs, polling: 50 });
  } catch {
    await context.close();
    return { ms: null, features: null };
  }
  const result = await page.evaluate(() => ({
    ms: window.__drawnMs,
    features: document.getElementById('map').dataset.features,
  }));
  await context.close();
  return result;
}

const portal = [];
let features = null;
for (let i = 0; i < runs; i++) {
  const r = await timed(async () => `${base}/dataset/${slug}/resource/${id}`);
  if (r.ms === null) throw new Error('the portal map drew nothing');
  portal.push(Math.round(r.ms));
  features = r.features;
}

// The whole layer in one GeoJSON answer, every feature a circle on Leaflet's canvas (no popups,
// which would only add to its time); the page is served from the portal's origin so that it
// loads the same Leaflet build.
const whole = await timed(async (page) => {
  const url = `${base}/__bench-whole-layer`;
  await page.route(url, (r) => r.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="de"><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<div id="whole" style="height:600px"></div>
<script src="/static/vendor/leaflet/leaflet.js"></script>
<script>
fetch('/api/v1/resources/${id}/export/geojson').then((r) => r.json()).then((fc) => {
  const map = L.map('whole', { preferCanvas: true });
  const layer = L.geoJSON(fc, { pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6 }) }).addTo(map);
  map.fitBounds(layer.getBounds());
  const mark = document.createElement('div');
  mark.id = 'map';
  mark.hidden = true;
  document.body.append(mark);
  mark.dataset.features = String(fc.features.length);
});
</script>`,
  }));
  return url;
});

await browser.close();
console.log(JSON.stringify({ portal_ms: portal, whole_ms: whole.ms === null ? null : Math.round(whole.ms), whole_features: whole.features, features }));
