// Address fields: when the applicant picks another province, the communes offered follow it.
// Without JavaScript the form still works; the server checks the commune against the province.
document.querySelectorAll('[data-address]').forEach(function (box) {
  var province = box.querySelector('select');
  var list = box.querySelector('datalist');
  var commune = box.querySelector('input[list]');
  if (!province || !list || !commune) return;
  province.addEventListener('change', function () {
    fetch('/api/v1/dia-ban/' + encodeURIComponent(province.value) + '/xa', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : { communes: [] }; })
      .then(function (body) {
        list.textContent = '';
        (body.communes || []).forEach(function (c) {
          var o = document.createElement('option');
          o.value = c.label;
          list.appendChild(o);
        });
        commune.value = '';
      });
  });
});
