// Progressive enhancement for publishers; every form and page works without it.
// 1. Upload forms (data-upload) show how much of the file is sent: a <progress> bar with the
//    percentage for screen readers, then the page the server answers with.
// 2. A file being read (data-ingest-status) updates its row count while it runs and reloads
//    the page when it is done, failed or held by the privacy check.
(function () {
  'use strict';

  function announce(el, text) {
    el.textContent = text;
  }

  document.querySelectorAll('form[data-upload]').forEach(function (form) {
    var box = form.querySelector('.upload-progress');
    if (!box || !window.XMLHttpRequest || !window.FormData) return;
    var bar = box.querySelector('progress');
    var label = box.querySelector('.upload-progress-text');
    var button = form.querySelector('button[type=submit]');
    form.addEventListener('submit', function (event) {
      var file = form.querySelector('input[type=file]');
      if (!file || !file.files || file.files.length === 0) return; // nothing to show
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      box.hidden = false;
      if (button) button.disabled = true;
      xhr.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.floor((e.loaded / e.total) * 100);
        bar.value = pct;
        announce(label, box.dataset.sending.replace('{pct}', pct));
      });
      xhr.upload.addEventListener('load', function () {
        bar.removeAttribute('value'); // the server is storing and checking it now
        announce(label, box.dataset.checking);
      });
      xhr.addEventListener('load', function () {
        // A redirect was followed: go where it led. Otherwise the answer is a page (the form
        // with its messages, or an error page): show it.
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL && xhr.responseURL !== form.action) {
          window.location.assign(xhr.responseURL);
          return;
        }
        var doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
        document.title = doc.title;
        document.body.replaceWith(doc.body);
        var alert = document.querySelector('[role=alert]');
        if (alert) {
          alert.setAttribute('tabindex', '-1');
          alert.focus();
        }
      });
      xhr.addEventListener('error', function () {
        if (button) button.disabled = false;
        announce(label, box.dataset.failed);
      });
      xhr.send(new FormData(form));
    });
  });

  var status = document.querySelector('[data-ingest-status]');
  if (status && window.fetch) {
    var url = status.getAttribute('data-ingest-status');
    var text = status.querySelector('.ingest-rows');
    var polls = 0;
    var poll = function () {
      polls += 1;
      if (polls > 900) return; // half an hour; then the reload link is there
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) return setTimeout(poll, 5000);
          if (body.status !== 'pending' && body.status !== 'running') {
            window.location.reload();
            return;
          }
          var v = (body.versions || [])[0];
          if (v && text && v.progress_rows > 0) {
            text.textContent = ' (' + v.progress_rows.toLocaleString(document.documentElement.lang) + ' ' + text.dataset.rows + ')';
          }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 2000);
  }
})();
