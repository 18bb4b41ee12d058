// The booking widget block: show the open times in the visitor's own time zone.
// The server renders the first days (in ?tz=, the tz cookie, or UTC); this asks the
// slots API again for the browser's zone, or the zone chosen in the form, and redraws.
// Without JavaScript the form reloads the page with ?tz= (the server checks the zone).
// The zone field is a text input with a short <datalist>; on first focus this fills
// the list with every zone the browser knows, and checks a typed zone before asking.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;

  function localToday(zone) {
    // YYYY-MM-DD of now in the zone ("en-CA" formats dates that way).
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .format(new Date());
  }

  function addDays(isoDate, days) {
    var date = new Date(isoDate + "T12:00:00Z");
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  function dateLabel(isoDate, options) {
    return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: "UTC" }, options))
      .format(new Date(isoDate + "T12:00:00Z"));
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function seatsText(widget, seats) {
    if (seats === undefined || seats === null) return "";
    return seats === 1 ? widget.dataset.seatsOne : widget.dataset.seatsMany.replace("%(n)s", seats);
  }

  function slotUrl(widget, slot) {
    if (slot.session_id) return widget.dataset.sessionUrl.replace(/\/0\/$/, "/" + slot.session_id + "/");
    var utc = new Date(slot.start).toISOString().replace(/\.\d{3}Z$/, "Z");
    return widget.dataset.slotUrl + "?start=" + encodeURIComponent(utc);
  }

  function draw(widget, first, days, slots) {
    var list = widget.querySelector("[data-widget-days]");
    var byDay = {};
    slots.forEach(function (slot) {
      // The API answers with the offset of the requested zone: the text is local time.
      var day = slot.start.slice(0, 10);
      (byDay[day] = byDay[day] || []).push(slot);
    });
    var items = [];
    for (var n = 0; n < days; n++) {
      var day = addDays(first, n);
      var times = byDay[day] || [];
      var item = element("li", "widget-day" + (times.length ? "" : " widget-day-empty"));
      var heading = element("h4", "widget-date");
      heading.appendChild(element("span", "widget-weekday", dateLabel(day, { weekday: "short" })));
      heading.appendChild(document.createTextNode(" " + dateLabel(day, { day: "numeric", month: "short" })));
      item.appendChild(heading);
      if (times.length) {
        var ul = element("ul", "widget-times");
        ul.setAttribute("role", "list");
        times.forEach(function (slot) {
          var li = element("li");
          var link = element("a", "widget-time", slot.start.slice(11, 16));
          link.href = slotUrl(widget, slot);
          var extra = ", " + dateLabel(day, { weekday: "long", day: "numeric", month: "long" });
          var seats = seatsText(widget, slot.seats_left);
          link.appendChild(element("span", "visually-hidden", extra + (seats ? ", " + seats : "")));
          li.appendChild(link);
          ul.appendChild(li);
        });
        item.appendChild(ul);
      } else {
        item.appendChild(element("p", "widget-none", widget.dataset.empty));
      }
      items.push(item);
    }
    list.replaceChildren.apply(list, items);
  }

  function show(widget, zone, remember) {
    var days = parseInt(widget.dataset.days, 10) || 7;
    var first = localToday(zone);
    var url = widget.dataset.api + "?" + new URLSearchParams({ start: first, end: addDays(first, days - 1), tz: zone });
    var error = widget.querySelector("[data-widget-error]");
    widget.setAttribute("aria-busy", "true");
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        draw(widget, data.start, days, data.slots);
        widget.dataset.zone = data.timezone;
        var input = widget.querySelector("input[name=tz]");
        if (input) input.value = data.timezone;
        var name = widget.querySelector("[data-zone-name]");
        if (name) name.textContent = data.timezone;
        if (error) error.hidden = true;
        if (remember) document.cookie = "tz=" + data.timezone + "; path=/; max-age=31536000; samesite=lax";
      })
      .catch(function () {
        if (error) error.hidden = false;
      })
      .finally(function () {
        widget.removeAttribute("aria-busy");
      });
  }

  function isZone(name) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: name });
      return true;
    } catch (error) {
      return false;
    }
  }

  function fillZones(list) {
    if (!list || list.dataset.full || typeof Intl.supportedValuesOf !== "function") return;
    var have = {};
    Array.prototype.forEach.call(list.options, function (option) { have[option.value] = true; });
    var options = [];
    Intl.supportedValuesOf("timeZone").forEach(function (name) {
      if (have[name]) return;
      var option = document.createElement("option");
      option.value = name;
      options.push(option);
    });
    list.append.apply(list, options);
    list.dataset.full = "true";
  }

  function zoneError(widget, input, show) {
    var note = widget.querySelector("[data-zone-error]");
    if (!note) return;
    note.textContent = show ? note.dataset.message : "";
    note.hidden = !show;
    if (show) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  document.querySelectorAll("[data-booking-widget]").forEach(function (widget) {
    var form = widget.querySelector("[data-zone-form]");
    if (form) {
      var input = form.elements.tz;
      input.addEventListener("focus", function () { fillZones(form.querySelector("[data-zone-list]")); }, { once: true });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var zone = input.value.trim();
        if (!zone || !isZone(zone)) {
          zoneError(widget, input, true);
          input.focus();
          return;
        }
        zoneError(widget, input, false);
        show(widget, zone, true);
      });
    }
    var browserZone;
    try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (error) { browserZone = null; }
    if (!widget.hasAttribute("data-zone-chosen") && browserZone && browserZone !== widget.dataset.zone) {
      show(widget, browserZone, false);
    }
  });
})();
