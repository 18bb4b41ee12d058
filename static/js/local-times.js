// Show session times in the visitor's own time zone, with the zone named.
// Without JavaScript the server's UTC times stay. The detected zone is kept in the
// `tz` cookie (unless the visitor already chose one), so the booking pages and the
// server-rendered booking widget use it too.
(function () {
  var format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var when = new Date(element.getAttribute("datetime"));
    if (!isNaN(when)) element.textContent = format.format(when);
  });
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && !/(^|;\s*)tz=/.test(document.cookie)) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (error) { /* an old browser: the pages keep their default zone */ }
})();
