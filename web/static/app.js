// pollstack: everything works without this script. It only adds:
// the local time zone for the closing time, copying links, live results, and
// closing and deleting shown on open pages as they happen.
"use strict";
(function () {
  // The closing time: tell the server our offset from UTC, and say so.
  var tz = document.getElementById("tz");
  if (tz) {
    var offset = -new Date().getTimezoneOffset(); // minutes east of UTC
    tz.value = String(offset);
    var hint = document.querySelector("[data-tz-hint]");
    if (hint) {
      var sign = offset < 0 ? "-" : "+", abs = Math.abs(offset);
      var hhmm = String(Math.floor(abs / 60)).padStart(2, "0") + ":" + String(abs % 60).padStart(2, "0");
      hint.textContent = "The time is in your time zone (UTC" + sign + hhmm + "). Leave it empty to close the poll by hand.";
    }
  }

  // Copy buttons.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      var status = button.closest(".field").querySelector("[data-copy-status]");
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) status.textContent = "Copied.";
      }, function () {
        input.select();
        if (status) status.textContent = "Press Ctrl+C (or Cmd+C) to copy.";
      });
    });
  });

  // Live results and state over Server-Sent Events; EventSource reconnects
  // by itself. The results page updates its counts; both it and the poll
  // page show closing and deleting as they happen (the words are in the
  // page, hidden until then).
  if (!window.EventSource) return;
  document.querySelectorAll("[data-events]").forEach(function (el) {
    var live = el.querySelector("[data-live]");
    var ended = false, wait = 5000;
    function show(state) {
      var notice = el.querySelector('[data-state="' + state + '"]');
      if (notice) notice.hidden = false;
      if (live) live.hidden = true;
      // A vote form on the page can no longer be sent.
      document.querySelectorAll("form.vote input, form.vote button").forEach(function (c) { c.disabled = true; });
    }
    function connect() {
      var source = new EventSource(el.getAttribute("data-events"));
      function end(state) {
        ended = true;
        source.close();
        if (state === "gone") {
          var closed = el.querySelector('[data-state="closed"]');
          if (closed) closed.hidden = true;
        }
        show(state);
      }
      source.addEventListener("results", function (e) {
        var data = JSON.parse(e.data);
        wait = 5000;
        if (el.querySelector("[data-total]")) showResults(el, data);
        if (data.closed) {
          show("closed");
        } else if (live) {
          live.hidden = false;
        }
      });
      source.addEventListener("closed", function () { end("closed"); });
      source.addEventListener("gone", function () { end("gone"); });
      source.addEventListener("error", function () {
        // EventSource reconnects by itself after a dropped stream, but gives
        // up for good on an error answer: a 502 from the load balancer while
        // a task dies, a 503 while the database restarts. Start again later,
        // less and less often (a deleted poll answers 404 for ever).
        if (source.readyState !== EventSource.CLOSED || ended) return;
        setTimeout(connect, wait);
        wait = Math.min(wait * 2, 60000);
      });
    }
    connect();
  });

  function showResults(results, data) {
    results.querySelector("[data-total]").textContent = data.total;
    results.querySelector("[data-total-label]").textContent = data.total === 1 ? "vote" : "votes";
    results.querySelector("[data-empty]").hidden = data.total > 0;
    data.options.forEach(function (o) {
      var row = results.querySelector('[data-option="' + o.id + '"]');
      if (!row) return;
      var pct = data.total > 0 ? Math.round(o.votes * 100 / data.total) : 0;
      row.querySelector("[data-votes]").textContent = o.votes;
      row.querySelector("[data-percent]").textContent = pct;
      row.querySelector("[data-bar]").setAttribute("width", pct);
    });
  }
})();
