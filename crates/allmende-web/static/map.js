// The map of a geo resource: its features over raster tiles (when configured and reachable;
// otherwise on a plain background), fitted to their extent, each with its attributes in a
// popup. An enhancement: without JavaScript the attribute table below says the same.
(function () {
  'use strict';
  var el = document.getElementById('map');
  if (!el || !window.L || !window.fetch) return;
  var status = document.getElementById('map-status');
  var esc = function (v) {
    var d = document.createElement('span');
    d.textContent = v === null || v === undefined ? '' : String(v);
    return d.innerHTML;
  };
  el.hidden = false;
  var map = L.map(el, { preferCanvas: true, scrollWheelZoom: false });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || '' }).addTo(map);
  }
  var colour = '#0b5394';
  fetch(el.dataset.geojson, { credentials: 'same-origin' })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
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
      }).addTo(map);
      var n = (fc.features || []).length;
      var b = layer.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [20, 20], maxZoom: 17 });
      else map.setView([48.84, 10.09], 12);
      el.dataset.features = String(n);
      if (status) status.textContent = status.dataset.drawn.replace('{n}', n.toLocaleString(document.documentElement.lang));
    })
    .catch(function () {
      if (status) status.textContent = status.dataset.failed;
    });
})();
