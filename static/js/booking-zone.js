// Booking pages: show times in the browser's own zone. The server renders the zone
// of the `tz` cookie (else the teacher's zone, named on the page). When there was no
// cookie, the page carries data-detect-zone; this keeps the browser's zone in the
// cookie and reloads once if it differs. The next request has the cookie, so it
// never loops; without JavaScript or cookies the page keeps the named default zone.
(function () {
  var marker = document.querySelector("[data-detect-zone]");
  if (!marker || /(^|;\s*)tz=/.test(document.cookie)) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { return; }
  if (!zone) return;
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  if (zone !== marker.getAttribute("data-detect-zone") && /(^|;\s*)tz=/.test(document.cookie)) {
    window.location.reload();
  }
})();
