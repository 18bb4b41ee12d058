// Show session times in the visitor's own time zone, with the zone named.
// Without JavaScript the server's UTC times stay.
(function () {
  var format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var when = new Date(element.getAttribute("datetime"));
    if (!isNaN(when)) element.textContent = format.format(when);
  });
})();
