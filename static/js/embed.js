// On another website: size the iframes of a Lingua Sites embed to their content.
// The snippet is an <iframe data-lingua-embed src="https://<school>/embed/..."> and
// this script. Each frame reports its height with postMessage; only messages that
// come from the frame's own window and origin are believed.
(function () {
  "use strict";
  if (window.__linguaEmbed) return;
  window.__linguaEmbed = true;
  var MAX_HEIGHT = 20000;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "lingua-embed:height") return;
    var height = Number(data.height);
    if (!isFinite(height) || height <= 0) return;
    var frames = document.querySelectorAll("iframe[data-lingua-embed]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      var origin;
      try { origin = new URL(frame.src, document.baseURI).origin; } catch (error) { return; }
      if (origin !== event.origin) return;
      frame.style.height = Math.min(Math.ceil(height), MAX_HEIGHT) + "px";
      frame.style.minHeight = "0";
      frame.setAttribute("scrolling", "no");
      return;
    }
  });
})();
