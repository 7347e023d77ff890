// pollstack: everything works without this script. It only adds:
// times in the viewer's time zone, the time zone of the closing time,
// hiding the parts of the create form that the choices made moot, copying
// links and codes, live results (or counts reloaded now and then when no
// stream is to be had), closing and deleting shown on open pages as they
// happen, and opening the admin page from the admin link.
"use strict";
(function () {
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];

  function pad(n) { return String(n).padStart(2, "0"); }

  // "UTC+02:00" for minutes east of UTC; "UTC" for none.
  function offsetName(minutes) {
    if (minutes === 0) return "UTC";
    var abs = Math.abs(minutes);
    return "UTC" + (minutes < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  // The server writes times in UTC; show them in the viewer's zone, in the
  // same words, naming the offset of that date (summer time included).
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) return;
    el.title = el.textContent;
    el.textContent = d.getDate() + " " + MONTHS[d.getMonth()] + " " + d.getFullYear() + ", " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + " " + offsetName(-d.getTimezoneOffset());
  });

  // The admin link carries the token in its fragment, which the browser
  // never sends: post it from the admin page's form, and drop it from the
  // address bar and history.
  // The link may also be opened on the admin page itself (only the
  // fragment changes), hence hashchange.
  function useAdminLink() {
    if (location.hash.length <= 1) return;
    var login = document.querySelector("[data-admin-login]");
    if (login) {
      login.querySelector("input[name=token]").value = decodeURIComponent(location.hash.slice(1));
      history.replaceState(null, "", location.pathname);
      login.submit();
    } else if (document.body.classList.contains("page-admin")) {
      // This browser's creator cookie opened the page: the token is not needed.
      history.replaceState(null, "", location.pathname);
    }
  }
  useAdminLink();
  window.addEventListener("hashchange", useAdminLink);

  // A form refused by a rate limit comes back filled in, with the wait the
  // server asked for: count it down, then send the form again by itself.
  var retry = document.querySelector("form[data-retry-after]");
  if (retry) {
    var left = Math.max(1, parseInt(retry.getAttribute("data-retry-after"), 10) || 1);
    var status = document.createElement("p");
    status.className = "hint";
    status.setAttribute("role", "status");
    status.setAttribute("data-retry-status", "");
    retry.appendChild(status);
    var tick = function () {
      if (left <= 0) {
        status.textContent = "Sending again…";
        retry.submit();
        return;
      }
      status.textContent = "Sending again in " + left + (left === 1 ? " second…" : " seconds…");
      left--;
      setTimeout(tick, 1000);
    };
    tick();
  }

  // A voter code's link carries the code in its fragment, which the browser
  // never sends: fill the code box with it, and drop it from the address bar.
  var codeBox = document.querySelector("form.vote input[name=code]");
  var codeInLink = /^#code=([0-9A-Za-z-]{1,40})$/.exec(location.hash);
  if (codeBox && codeInLink) {
    if (!codeBox.value) codeBox.value = codeInLink[1];
    history.replaceState(null, "", location.pathname + location.search);
  }

  // The closing time is typed in the browser's zone: send the server that
  // zone's offset at the chosen time (not today's, which differs across a
  // change to or from summer time), and say which zone it is.
  var tz = document.getElementById("tz");
  var closes = document.getElementById("closes_at");
  if (tz && closes) {
    var hint = document.querySelector("[data-tz-hint]");
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var describe = function () {
      var at = closes.value ? new Date(closes.value) : new Date();
      if (isNaN(at.getTime())) at = new Date();
      var offset = -at.getTimezoneOffset(); // minutes east of UTC
      tz.value = String(offset);
      if (hint) {
        var name = offsetName(offset);
        if (zone && zone !== "UTC" && zone !== "Etc/UTC") name = zone + " (" + name + ")";
        hint.textContent = "The time is in your time zone, " + name + ". Leave it empty to close the poll by hand.";
      }
    };
    describe();
    closes.addEventListener("input", describe);
    closes.form.addEventListener("submit", describe);
  }

  // A part of the create form that means something only with one choice of
  // a radio group is shown (and sent) only then: the choice limits with
  // several options, the number of voter codes with the code check.
  function onlyWith(block, name, id) {
    var radio = document.getElementById(id);
    if (!block || !radio) return;
    var toggle = function () {
      block.hidden = !radio.checked;
      block.querySelectorAll("input").forEach(function (input) { input.disabled = !radio.checked; });
    };
    toggle();
    document.querySelectorAll('input[name="' + name + '"]').forEach(function (r) {
      r.addEventListener("change", toggle);
    });
  }
  onlyWith(document.querySelector("[data-limits]"), "choice", "choice-multiple");
  onlyWith(document.querySelector("[data-codes]"), "duplicate_check", "check-code");

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
      // A vote form on the page can no longer be sent, and looks it.
      document.querySelectorAll("form.vote input, form.vote button").forEach(function (c) { c.disabled = true; });
      document.body.classList.add("is-closed");
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
      // The creator edited the poll: a page with a ballot says so, keeping
      // what the voter chose; the others show the poll as it now is.
      source.addEventListener("edited", function () {
        var notice = el.querySelector('[data-state="edited"]');
        if (notice) notice.hidden = false;
        else window.location.reload();
      });
      source.addEventListener("gone", function () { end("gone"); });
      source.addEventListener("error", function () {
        // EventSource reconnects by itself after a dropped stream, but gives
        // up for good on an error answer: a 502 from the load balancer while
        // a task dies, a 503 while the database restarts, a 429 or 503 when
        // this address or the server holds as many streams as it may. Start
        // again later, less and less often (a deleted poll answers 404 for
        // ever), and meanwhile reload the counts each time.
        if (source.readyState !== EventSource.CLOSED || ended) return;
        reload();
        setTimeout(connect, wait);
        wait = Math.min(wait * 2, 60000);
      });
    }
    // reload fetches the counts once, for a page that shows them, while
    // the stream is away.
    function reload() {
      var id = (el.getAttribute("data-events").match(/^\/p\/([^/]+)\/events(\?|$)/) || [])[1];
      if (!id || !el.querySelector("[data-total]") || !window.fetch) return;
      fetch("/api/v1/polls/" + id + "/results", { credentials: "same-origin" }).then(function (res) {
        return res.ok ? res.json() : null;
      }).then(function (data) {
        if (data && !ended) showResults(el, data);
      }, function () {});
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
