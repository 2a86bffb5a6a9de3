// cnnkit image search page: plain JavaScript, no dependencies. Talks to the JSON API next to it (docs/serve.md).
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var state = { stats: null, token: sessionStorage.getItem('cnnkit-token') || '', objectUrls: [] };

  function headers() {
    return state.token ? { 'Authorization': 'Bearer ' + state.token } : {};
  }

  function api(path, options) {
    options = options || {};
    options.headers = headers();
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 401) {
          $('token-box').hidden = false;
        }
        if (!response.ok) {
          var error = new Error(body.error || ('HTTP ' + response.status));
          error.status = response.status;
          throw error;
        }
        return body;
      });
    });
  }

  function show(text, isError) {
    var message = $('message');
    message.textContent = text;
    message.className = 'message' + (isError ? ' error' : '');
    message.hidden = !text;
  }

  function forget() {
    state.objectUrls.forEach(URL.revokeObjectURL);
    state.objectUrls = [];
  }

  // Images come from the API; with a token they are fetched with the header and shown from a blob URL.
  function setImage(img, url) {
    if (!state.token) {
      img.src = url;
      return;
    }
    fetch(url, { headers: headers() }).then(function (r) { return r.ok ? r.blob() : null; }).then(function (blob) {
      if (blob) {
        var objectUrl = URL.createObjectURL(blob);
        state.objectUrls.push(objectUrl);
        img.src = objectUrl;
      }
    });
  }

  function openImage(event, url) {
    if (!state.token) {
      return; // the link opens the image itself
    }
    event.preventDefault();
    var win = window.open('', '_blank');
    fetch(url, { headers: headers() }).then(function (r) { return r.blob(); }).then(function (blob) {
      var objectUrl = URL.createObjectURL(blob);
      if (win) { win.location = objectUrl; } else { window.location = objectUrl; }
    });
  }

  function loadStats() {
    api('api/stats').then(function (stats) {
      state.stats = stats;
      $('token-box').hidden = true;
      var parts = [stats.images.toLocaleString() + ' images', stats.extractor + ' (' + stats.dimension + '-d, '
        + stats.metric + ')', 'store ' + stats.store];
      if (stats.classifier) {
        parts.push('classifier: ' + stats.classifier.labels.length + ' labels');
      }
      $('stats').textContent = parts.join(' · ');
    }).catch(function (error) {
      $('stats').textContent = 'not connected';
      show(error.message, true);
    });
  }

  function top() {
    return $('top').value;
  }

  function busy(on) {
    document.body.classList.toggle('busy', on);
  }

  function showQuery(name, imageUrl, fromApi) {
    $('query').hidden = false;
    $('query-name').textContent = name;
    if (fromApi) {
      setImage($('query-img'), imageUrl);
    } else {
      $('query-img').src = imageUrl;
    }
    $('labels').hidden = true;
    $('labels').textContent = '';
    $('query-took').textContent = 'searching…';
  }

  function searchFile(file) {
    if (!file) {
      return;
    }
    if (file.type && file.type.indexOf('image/') !== 0) {
      show('"' + (file.name || 'the file') + '" is not an image (' + file.type + ')', true);
      return;
    }
    forget();
    show('');
    var preview = URL.createObjectURL(file);
    state.objectUrls.push(preview);
    showQuery(file.name || 'pasted image', preview, false);
    var form = new FormData();
    form.append('image', file, file.name || 'pasted.png');
    form.append('top', top());
    busy(true);
    api('api/search', { method: 'POST', body: form }).then(render).catch(fail).then(function () { busy(false); });
    if (state.stats && state.stats.classifier) {
      var classifyForm = new FormData();
      classifyForm.append('image', file, file.name || 'pasted.png');
      api('api/classify', { method: 'POST', body: classifyForm }).then(renderLabels).catch(function (error) {
        show('classifier: ' + error.message, true);
      });
    }
  }

  function searchId(item) {
    forget();
    show('');
    showQuery(item.name, item.thumbnail, true);
    busy(true);
    window.scrollTo({ top: 0, behavior: 'smooth' });
    api('api/search?id=' + encodeURIComponent(item.id) + '&top=' + top()).then(render).catch(fail)
      .then(function () { busy(false); });
  }

  function fail(error) {
    $('query-took').textContent = '';
    show(error.message + (error.status === 503 ? ' (the server is busy: try again)' : ''), true);
  }

  function render(body) {
    $('query-took').textContent = body.results.length + ' nearest of ' + (state.stats ? state.stats.images
      .toLocaleString() : '?') + ' · ' + body.took_ms.toFixed(0) + ' ms';
    var list = $('results');
    list.textContent = '';
    body.results.forEach(function (item) {
      list.appendChild(tile(item));
    });
  }

  function tile(item) {
    var li = document.createElement('li');
    li.className = 'tile';
    li.dataset.id = item.id;
    li.dataset.rank = item.rank;

    var pick = document.createElement('button');
    pick.className = 'pick';
    pick.type = 'button';
    pick.title = 'Search with ' + item.name;
    var img = document.createElement('img');
    img.alt = item.name;
    img.loading = 'lazy';
    setImage(img, item.thumbnail);
    var meta = document.createElement('span');
    meta.className = 'meta';
    var file = document.createElement('span');
    file.className = 'file';
    file.textContent = item.name;
    file.title = item.id;
    var distance = document.createElement('span');
    distance.className = 'distance';
    distance.textContent = 'distance ' + item.distance.toFixed(4);
    meta.appendChild(file);
    meta.appendChild(distance);
    pick.appendChild(img);
    pick.appendChild(meta);
    pick.addEventListener('click', function () { searchId(item); });

    var rank = document.createElement('span');
    rank.className = 'rank';
    rank.textContent = item.rank;

    var open = document.createElement('a');
    open.className = 'open';
    open.href = item.image;
    open.target = '_blank';
    open.rel = 'noopener';
    open.textContent = 'open';
    open.title = 'Open the full image';
    open.addEventListener('click', function (event) { openImage(event, item.image); });

    li.appendChild(pick);
    li.appendChild(rank);
    li.appendChild(open);
    return li;
  }

  function renderLabels(body) {
    var list = $('labels');
    list.textContent = '';
    body.predictions.forEach(function (p) {
      var li = document.createElement('li');
      var name = document.createElement('span');
      name.className = 'name';
      name.textContent = p.label;
      var meter = document.createElement('span');
      meter.className = 'meter';
      var fill = document.createElement('span');
      fill.style.width = (100 * p.probability).toFixed(1) + '%';
      meter.appendChild(fill);
      var value = document.createElement('span');
      value.className = 'p';
      value.textContent = (100 * p.probability).toFixed(1) + '%';
      li.appendChild(name);
      li.appendChild(meter);
      li.appendChild(value);
      list.appendChild(li);
    });
    list.hidden = body.predictions.length === 0;
  }

  var drop = $('drop');
  ['dragenter', 'dragover'].forEach(function (type) {
    drop.addEventListener(type, function (event) { event.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (type) {
    drop.addEventListener(type, function (event) { event.preventDefault(); drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (event) {
    searchFile(event.dataTransfer.files[0]);
  });
  $('file').addEventListener('change', function (event) {
    searchFile(event.target.files[0]);
    event.target.value = '';
  });
  document.addEventListener('paste', function (event) {
    var items = (event.clipboardData || {}).items || [];
    for (var i = 0; i < items.length; i++) {
      if (items[i].kind === 'file' && items[i].type.indexOf('image/') === 0) {
        searchFile(items[i].getAsFile());
        return;
      }
    }
  });
  $('token-form').addEventListener('submit', function (event) {
    event.preventDefault();
    state.token = $('token').value.trim();
    sessionStorage.setItem('cnnkit-token', state.token);
    loadStats();
  });

  loadStats();
}());
