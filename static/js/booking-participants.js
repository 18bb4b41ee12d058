// Booking form of a group: show as many participant rows as seats chosen.
// Without this script every row shows and the rows beyond the seats are left empty.
(function () {
  var seats = document.getElementById("id_seats");
  var rows = document.querySelectorAll("[data-participant-row]");
  if (!seats || !rows.length) return;
  function sync() {
    var count = parseInt(seats.value, 10) || 1;
    rows.forEach(function (row) {
      var beyond = parseInt(row.getAttribute("data-participant-row"), 10) > count;
      var filled = Array.prototype.some.call(row.querySelectorAll("input"), function (input) { return input.value; });
      row.hidden = beyond && !filled;
    });
  }
  seats.addEventListener("change", sync);
  sync();
})();
