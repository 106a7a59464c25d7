// Loads MapLibre GL for a vector basemap (map_style_url) and its Leaflet layer, for map.js.
// A module, so that MapLibre's worker comes from this origin (no blob: workers in the CSP).
window.allmendeBasemap = (async () => {
  const maplibregl = await import('/static/vendor/maplibre/maplibre-gl.mjs');
  if (!maplibregl.Map) throw new Error('MapLibre did not load');
  // The Leaflet binding is a UMD script that reads the global.
  window.maplibregl = maplibregl;
  await import('/static/vendor/maplibre/leaflet-maplibre-gl.js');
})();
