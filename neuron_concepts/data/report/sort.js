
(function(){
  var sel = document.getElementById('sort'), main = document.querySelector('main');
  var order = Array.prototype.slice.call(document.querySelectorAll('.unit'));
  sel.addEventListener('change', function(){
    var key = sel.value ? 'data-f-' + sel.value : null;
    var val = function(u){ var v = u.getAttribute(key); return v === null ? -Infinity : parseFloat(v); };
    var units = order.slice();
    if (key) units.sort(function(a, b){ return val(b) - val(a); });
    units.forEach(function(u){ main.appendChild(u); });
  });
})();
