// The map of a geo resource: its features over raster tiles (when configured and reachable;
// otherwise on a plain background), fitted to their extent, each with its attributes in a
// popup. A large layer is not loaded whole: for each view the server sends the features in
// it, or, when there are many, their counts in a grid, drawn as numbered circles (a click
// zooms in). An enhancement: without JavaScript the attribute table below says the same.
(function () {
  'use strict';
  var el = document.getElementById('map');
  if (!el || !window.L || !window.fetch) return;
  var status = document.getElementById('map-status');
  var lang = document.documentElement.lang;
  var esc = function (v) {
    var d = document.createElement('span');
    d.textContent = v === null || v === undefined ? '' : String(v);
    return d.innerHTML;
  };
  var say = function (template, n) {
    if (status && template) status.textContent = template.replace('{n}', Number(n).toLocaleString(lang));
  };
  el.hidden = false;
  // The static overview stands in for the map without JavaScript.
  var still = document.getElementById('map-overview');
  if (still) still.hidden = true;
  var map = L.map(el, { preferCanvas: true, scrollWheelZoom: false });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (el.dataset.style) {
    // A vector basemap (MapLibre, loaded by basemap.mjs) under the features; without WebGL or
    // without the style's server the features stay on a plain background.
    (window.allmendeBasemap || Promise.reject(new Error('no basemap module')))
      .then(function () {
        L.maplibreGL({ style: el.dataset.style, attribution: el.dataset.attribution || '' }).addTo(map);
        el.dataset.basemap = 'vector';
      })
      .catch(function () { el.dataset.basemap = 'none'; });
  } else if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || '' }).addTo(map);
  }
  var colour = '#0b5394';
  var features = function (fc) {
    return L.geoJSON(fc, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 6, color: colour, weight: 2, fillOpacity: 0.5 });
      },
      style: function () { return { color: colour, weight: 2, fillOpacity: 0.2 }; },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        var rows = Object.keys(p).map(function (k) {
          return '<tr><th scope="row">' + esc(k) + '</th><td>' + esc(p[k]) + '</td></tr>';
        });
        l.bindPopup('<table class="popup">' + rows.join('') + '</table>');
      },
    });
  };
  var failed = function () { if (status) status.textContent = status.dataset.failed; };

  if (!el.dataset.view) {
    fetch(el.dataset.geojson, { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (fc) {
        var layer = features(fc).addTo(map);
        var n = (fc.features || []).length;
        var b = layer.getBounds();
        if (b.isValid()) map.fitBounds(b, { padding: [20, 20], maxZoom: 17 });
        else map.setView([48.84, 10.09], 12);
        el.dataset.features = String(n);
        say(status && status.dataset.drawn, n);
      })
      .catch(failed);
    return;
  }

  // A large layer, view by view.
  var shown = L.layerGroup().addTo(map);
  var asked = 0;
  var cluster = function (f) {
    var n = f.properties.count;
    var ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
    var size = Math.min(48, Math.round(24 + 6 * Math.log10(Math.max(n, 1))));
    var marker = L.marker(ll, {
      icon: L.divIcon({
        className: 'map-cluster',
        html: '<span>' + esc(n.toLocaleString(lang)) + '</span>',
        iconSize: [size, size],
      }),
      keyboard: true,
      title: (status && status.dataset.cluster || '{n}').replace('{n}', n.toLocaleString(lang)),
    });
    marker.on('click', function () { map.setView(ll, Math.min(map.getZoom() + 2, 19)); });
    return marker;
  };
  var load = function () {
    var b = map.getBounds();
    var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
    var box = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(6); });
    var mine = ++asked;
    // Cells of about 64 pixels, so that the numbered circles do not overlap.
    var px = map.getSize();
    var grid = '&columns=' + Math.max(2, Math.min(64, Math.round(px.x / 64)))
      + '&rows=' + Math.max(2, Math.min(64, Math.round(px.y / 64)));
    fetch(el.dataset.view + '?bbox=' + box.join(',') + grid, { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (fc) {
        if (mine !== asked) return; // a later view is on its way
        shown.clearLayers();
        if (fc.clustered) {
          (fc.features || []).forEach(function (f) { shown.addLayer(cluster(f)); });
          el.dataset.clusters = String((fc.features || []).length);
          say(status && status.dataset.clustered, fc.matched);
        } else {
          shown.addLayer(features(fc));
          el.dataset.clusters = '0';
          say(status && status.dataset.drawn, fc.matched);
        }
        el.dataset.features = String(fc.matched);
      })
      .catch(failed);
  };
  var extent = [];
  try { extent = JSON.parse(el.dataset.bbox || '[]'); } catch (e) { extent = []; }
  if (extent.length === 4) map.fitBounds([[extent[1], extent[0]], [extent[3], extent[2]]], { padding: [20, 20] });
  else map.setView([48.84, 10.09], 12);
  map.on('moveend', load);
  load();
})();
