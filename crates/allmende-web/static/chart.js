// Progressive enhancement: offers the chart as PNG (the SVG download works without this).
(function () {
  var button = document.getElementById('chart-png');
  var svg = document.querySelector('#chart svg');
  if (!button || !svg) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    var data = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    var img = new Image();
    img.onload = function () {
      var canvas = document.createElement('canvas');
      canvas.width = svg.viewBox.baseVal.width * 2;
      canvas.height = svg.viewBox.baseVal.height * 2;
      var ctx = canvas.getContext('2d');
      ctx.scale(2, 2);
      ctx.drawImage(img, 0, 0);
      canvas.toBlob(function (blob) {
        var a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = 'diagramm.png';
        document.body.appendChild(a);
        a.click();
        a.remove();
      }, 'image/png');
    };
    img.src = data;
  });
})();
