
(function(){
  var units = Array.prototype.slice.call(document.querySelectorAll('.unit'));
  var q = document.getElementById('search'), fl = document.getElementById('layer'),
      fm = document.getElementById('method'), fa = document.getElementById('agree'),
      fh = document.getElementById('hit'), hl = document.getElementById('hitlabel'),
      count = document.getElementById('count');
  var info = units.map(function(u){
    return {el: u, layer: u.getAttribute('data-layer'), low: u.getAttribute('data-layer').toLowerCase(),
            unit: u.getAttribute('data-unit'), gt: u.getAttribute('data-gt') === '1',
            words: u.getAttribute('data-text').split(' ').filter(Boolean)};
  });
  var layerNames = {}, gtLayers = {};
  info.forEach(function(u){ layerNames[u.low] = true; if (u.gt) gtLayers[u.layer] = true; });
  function parse(text){  // words; 'unit N' (or a bare N) is one unit exactly; a layer's name is that layer
    var toks = text.toLowerCase().split(/[\s,]+/).filter(Boolean), out = {unit: null, terms: []};
    for (var i = 0; i < toks.length; i++){
      if (toks[i] === 'unit' && i + 1 < toks.length && /^[0-9]+$/.test(toks[i + 1])){ out.unit = toks[++i]; }
      else if (/^[0-9]+$/.test(toks[i])){ out.unit = toks[i]; }
      else { out.terms.push(toks[i]); }
    }
    return out;
  }
  function term(u, t){
    if (layerNames[t]) return u.low === t;
    if (u.low.indexOf(t) === 0) return true;
    return u.words.some(function(w){ return w.indexOf(t) === 0; });
  }
  function update(){
    var qq = parse(q.value), layer = fl.value, method = fm.value, agree = fa.value, shown = 0;
    var gtHere = layer ? !!gtLayers[layer] : Object.keys(gtLayers).length > 0;
    if (hl){ hl.classList.toggle('hidden', !gtHere); if (!gtHere) fh.value = ''; }
    var hitv = fh ? fh.value : '';
    info.forEach(function(u){
      var hits = u.el.getAttribute('data-hits').split(' ').filter(Boolean);
      var ok = (!layer || u.layer === layer) && (qq.unit === null || u.unit === qq.unit) &&
        qq.terms.every(function(t){ return term(u, t); }) &&
        (!agree || u.el.getAttribute('data-agree') === agree) &&
        (!hitv || (u.gt && ((hitv === 'hit') === (method ? hits.indexOf(method) >= 0 : hits.length > 0))));
      u.el.classList.toggle('hidden', !ok);
      if (ok) shown++;
      u.el.querySelectorAll('.m').forEach(function(m){
        m.classList.toggle('mhidden', !!method && m.getAttribute('data-method') !== method);
      });
    });
    count.textContent = shown + ' of ' + units.length + ' units shown';
  }
  [q, fl, fm, fa, fh].forEach(function(e){
    if (!e) return;
    e.addEventListener('input', update);
    e.addEventListener('change', update);
  });
  update();
  var zoom = document.getElementById('zoom'), zimg = document.getElementById('zorig'),
      zcrop = document.getElementById('zcrop'), zrect = document.getElementById('zrect'),
      zcap = document.getElementById('zcap'), box = null;
  function draw(){
    var w = zimg.naturalWidth, h = zimg.naturalHeight, ctx = zcrop.getContext('2d');
    ctx.clearRect(0, 0, zcrop.width, zcrop.height);
    ctx.drawImage(zimg, box[0] * w, box[1] * h, (box[2] - box[0]) * w, (box[3] - box[1]) * h,
                  0, 0, zcrop.width, zcrop.height);
  }
  zimg.addEventListener('load', draw);
  document.querySelector('main').addEventListener('click', function(ev){
    var t = ev.target;
    if (t.tagName !== 'IMG' || !t.getAttribute('data-orig')) return;
    box = t.getAttribute('data-box').split(' ').map(Number);
    zrect.style.left = (box[0] * 100) + '%';
    zrect.style.top = (box[1] * 100) + '%';
    zrect.style.width = ((box[2] - box[0]) * 100) + '%';
    zrect.style.height = ((box[3] - box[1]) * 100) + '%';
    zcap.textContent = t.getAttribute('title') + ' (' + t.getAttribute('data-method') +
      '): the whole image, the crop box in red';
    zoom.classList.remove('hidden');
    if (zimg.getAttribute('src') === t.getAttribute('data-orig') && zimg.complete) draw();
    else zimg.setAttribute('src', t.getAttribute('data-orig'));
  });
  function close(){ zoom.classList.add('hidden'); }
  document.getElementById('zclose').addEventListener('click', close);
  zoom.addEventListener('click', function(ev){ if (ev.target === zoom) close(); });
  document.addEventListener('keydown', function(ev){ if (ev.key === 'Escape') close(); });
})();
