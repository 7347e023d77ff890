// pollstack: everything works without this script. It only adds:
// times in the viewer's time zone, the time zone of the closing time,
// hiding the parts of the create form that the choices made moot, copying
// links and codes, live results and meeting grids (or counts reloaded now
// and then when no stream is to be had), closing and deleting shown on open
// pages as they happen, opening the admin page from the admin link, and a
// ranked ballot's options put in order by dragging or with buttons.
"use strict";
(function () {
  // The page's language (<html lang>) and its words for this script
  // (the layout's [data-words]); Intl formats numbers, months and plurals.
  var lang = document.documentElement.lang || "en";
  var words = document.querySelector("[data-words]");
  function word(name) { return words ? words.getAttribute("data-" + name) || "" : ""; }
  var numbers = new Intl.NumberFormat(lang);
  var plurals = new Intl.PluralRules(lang);
  var months = new Intl.DateTimeFormat(lang, { day: "numeric", month: "long", year: "numeric" });

  // counted is el's data-<name>-<plural form> for n, with n in place of {n}.
  function counted(el, name, n) {
    var text = el.getAttribute("data-" + name + "-" + plurals.select(n)) ||
      el.getAttribute("data-" + name + "-other") || "";
    return text.replace("{n}", numbers.format(n));
  }

  function monthName(d) {
    var part = months.formatToParts(d).filter(function (p) { return p.type === "month"; })[0];
    return part ? part.value : String(d.getMonth() + 1);
  }

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
    el.textContent = word("datetime").replace("{day}", d.getDate()).replace("{month}", monthName(d))
      .replace("{year}", d.getFullYear()).replace("{time}", pad(d.getHours()) + ":" + pad(d.getMinutes()))
      .replace("{zone}", offsetName(-d.getTimezoneOffset()));
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
        status.textContent = word("sending");
        retry.submit();
        return;
      }
      status.textContent = words ? counted(words, "sending-in", left) : "";
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
        hint.textContent = word("tz-hint").replace("{zone}", name);
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

  // The meeting create form's dates, picked on a month grid: choosing a day
  // fills a row of the list below with its date (the list stays, for the
  // times of each date); choosing it again empties its rows. Arrow keys move
  // by day and week, Page Up and Page Down by month, Home and End to the
  // week's ends; one day of the grid is in the tab order.
  var slots = document.querySelector("[data-calendar]");
  if (slots) calendar(slots);

  function isoDate(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }

  function calendar(fieldset) {
    var list = fieldset.querySelector("ol"), max = parseInt(list.getAttribute("data-max"), 10) || 100;
    // The week starts on Monday; the names of days and months are the
    // page's language's (Intl).
    var longDay = new Intl.DateTimeFormat(lang, { weekday: "long" }), shortDay = new Intl.DateTimeFormat(lang, { weekday: "short" });
    var monthTitle = new Intl.DateTimeFormat(lang, { month: "long", year: "numeric" });
    var dayLabel = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
    var box = document.createElement("div");
    box.className = "calendar";
    box.innerHTML = '<div class="calendar-bar"><p class="calendar-month" aria-live="polite"></p>' +
      '<button type="button" class="secondary" data-month="-1"></button><button type="button" class="secondary" data-month="1"></button></div>' +
      '<table><caption class="hint"></caption><thead><tr></tr></thead><tbody></tbody></table>';
    box.querySelector('[data-month="-1"]').textContent = word("previous-month");
    box.querySelector('[data-month="1"]').textContent = word("next-month");
    box.querySelector("caption").textContent = word("calendar-caption");
    for (var i = 0; i < 7; i++) {
      var monday = new Date(2024, 0, 1 + i, 12), th = document.createElement("th"), abbr = document.createElement("abbr");
      th.scope = "col";
      abbr.title = longDay.format(monday);
      abbr.textContent = shortDay.format(monday);
      th.appendChild(abbr);
      box.querySelector("thead tr").appendChild(th);
    }
    list.parentNode.insertBefore(box, list);
    var rows = function () { return Array.prototype.slice.call(list.querySelectorAll("li.slot-row")); };
    var dateOf = function (row) { return row.querySelector("input[name=date]"); };
    var chosen = rows().map(function (r) { return dateOf(r).value; }).filter(Boolean).sort()[0];
    // Days are counted from noon, which no change of clocks moves to another date.
    var month = chosen ? new Date(chosen + "T12:00") : new Date();
    month.setHours(12, 0, 0, 0);
    month.setDate(1);
    var focusDay = chosen || isoDate(new Date());
    // The times are most likely in the creator's own zone.
    var tzBox = document.getElementById("tz"), zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tzBox && tzBox.value === "UTC" && zone) tzBox.value = zone;

    // renumber keeps each row's ids (and its labels' for) unique.
    function renumber() {
      rows().forEach(function (row, i) {
        row.querySelectorAll("input").forEach(function (input) {
          var label = row.querySelector('label[for="' + input.id + '"]');
          input.id = input.name + "-" + i;
          if (label) label.htmlFor = input.id;
        });
      });
    }
    // addRow appends an empty row like the last one; null at the limit.
    function addRow() {
      var all = rows();
      if (all.length >= max) return null;
      var row = all[all.length - 1].cloneNode(true);
      row.removeAttribute("aria-describedby");
      row.querySelectorAll(".error").forEach(function (e) { e.remove(); });
      row.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("autofocus");
      });
      list.appendChild(row);
      renumber();
      return row;
    }
    function toggle(date) {
      var having = rows().filter(function (r) { return dateOf(r).value === date; });
      if (having.length) {
        having.forEach(function (r) { r.querySelectorAll("input").forEach(function (i) { i.value = ""; }); });
      } else {
        var blank = rows().filter(function (r) {
          return !Array.prototype.some.call(r.querySelectorAll("input"), function (i) { return i.value; });
        })[0] || addRow();
        if (blank) dateOf(blank).value = date;
      }
      draw();
    }
    function draw(focus) {
      var picked = {};
      rows().forEach(function (r) { if (dateOf(r).value) picked[dateOf(r).value] = true; });
      var title = box.querySelector(".calendar-month"), name = monthTitle.format(month);
      if (title.textContent !== name) title.textContent = name;
      var body = box.querySelector("tbody");
      body.textContent = "";
      var first = new Date(month), inMonth = isoDate(month).slice(0, 7);
      first.setDate(1 - (month.getDay() + 6) % 7); // back to Monday
      if (focusDay.slice(0, 7) !== inMonth) focusDay = isoDate(month);
      for (var week = 0; week < 6; week++) {
        var tr = body.insertRow();
        for (var d = 0; d < 7; d++) {
          var day = new Date(first);
          day.setDate(first.getDate() + week * 7 + d);
          var td = tr.insertCell(), iso = isoDate(day);
          if (iso.slice(0, 7) !== inMonth) continue;
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = numbers.format(day.getDate());
          b.setAttribute("data-date", iso);
          b.setAttribute("aria-label", dayLabel.format(day));
          b.setAttribute("aria-pressed", picked[iso] ? "true" : "false");
          b.tabIndex = iso === focusDay ? 0 : -1;
          td.appendChild(b);
        }
      }
      if (focus) box.querySelector('button[data-date="' + focusDay + '"]').focus();
    }
    function moveTo(d) {
      focusDay = isoDate(d);
      month = new Date(d);
      month.setDate(1);
      draw(true);
    }
    box.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      if (b.hasAttribute("data-month")) {
        month.setMonth(month.getMonth() + parseInt(b.getAttribute("data-month"), 10));
        draw();
      } else {
        focusDay = b.getAttribute("data-date");
        toggle(focusDay);
        box.querySelector('button[data-date="' + focusDay + '"]').focus();
      }
    });
    box.addEventListener("keydown", function (e) {
      var b = e.target.closest("button[data-date]");
      if (!b) return;
      var d = new Date(b.getAttribute("data-date") + "T12:00"), weekday = (d.getDay() + 6) % 7;
      var step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7, Home: -weekday, End: 6 - weekday }[e.key];
      if (step !== undefined) d.setDate(d.getDate() + step);
      else if (e.key === "PageUp" || e.key === "PageDown") d.setMonth(d.getMonth() + (e.key === "PageUp" ? -1 : 1));
      else return;
      e.preventDefault();
      moveTo(d);
    });
    // The list stays the form: typing a date there marks it on the grid.
    list.addEventListener("input", function () { draw(); });
    // "Add a row" adds it here, without a round trip.
    var more = fieldset.querySelector("[data-add-row]");
    if (more) more.addEventListener("click", function (e) {
      e.preventDefault();
      var row = addRow();
      if (row) dateOf(row).focus();
      more.hidden = rows().length >= max;
    });
    draw();
  }

  // Copy buttons.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      var status = button.closest(".field").querySelector("[data-copy-status]");
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) status.textContent = word("copied");
      }, function () {
        input.select();
        if (status) status.textContent = word("copy-by-hand");
      });
    });
  });

  // A ranked ballot: its rank selects work without this script. With it,
  // the options become a list to put in order, by dragging them or with
  // buttons (keyboard and screen readers), each move announced; the
  // selects, hidden, stay the form's fields and follow the list.
  document.querySelectorAll("form.vote").forEach(function (form) {
    var selects = Array.prototype.slice.call(form.querySelectorAll(".rank select"));
    if (!selects.length) return;
    var fieldset = selects[0].closest("fieldset");
    var max = selects[0].options.length - 1;
    var items = selects.map(function (s, i) {
      return { index: i, select: s, label: form.querySelector('label[for="' + s.id + '"]').textContent };
    });
    var ranked = items.filter(function (it) { return it.select.value; })
      .sort(function (a, b) { return Number(a.select.value) - Number(b.select.value); });
    var box = document.createElement("div");
    box.className = "ranker";
    box.innerHTML = '<p class="hint" id="ranker-help"></p>' +
      '<p class="ranker-title" id="ranker-ranked"></p><ol class="ranker-list" aria-labelledby="ranker-ranked" aria-describedby="ranker-help" data-list="ranked"></ol>' +
      '<p class="ranker-title" id="ranker-unranked"></p><ul class="ranker-list" aria-labelledby="ranker-unranked" data-list="unranked"></ul>' +
      '<p class="visually-hidden" aria-live="polite" data-announce></p>';
    box.querySelector("#ranker-help").textContent = word("ranker-help") +
      (max < items.length && words ? " " + counted(words, "ranker-max", max) : "");
    box.querySelector("#ranker-ranked").textContent = word("my-ranking");
    box.querySelector("#ranker-unranked").textContent = word("not-ranked");
    // said is a word of this script with an option's label (and numbers) in it.
    function said(name, label, rank, count) {
      return word(name).replace("{label}", label).replace("{rank}", numbers.format(rank || 0)).replace("{count}", numbers.format(count || 0));
    }
    fieldset.appendChild(box);
    fieldset.classList.add("ranker-on");
    var lists = { ranked: box.querySelector('[data-list="ranked"]'), unranked: box.querySelector('[data-list="unranked"]') };
    var announce = box.querySelector("[data-announce]");

    function button(it, move, text, name, disabled) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "ranker-button secondary";
      b.textContent = text;
      b.setAttribute("data-move", move);
      b.setAttribute("aria-label", name);
      b.disabled = disabled;
      b.addEventListener("click", function () { moveItem(it, move); });
      return b;
    }
    function render() {
      lists.ranked.textContent = "";
      lists.unranked.textContent = "";
      ranked.forEach(function (it, k) {
        var li = document.createElement("li");
        li.className = "ranker-item";
        li.draggable = true;
        li.setAttribute("data-index", it.index);
        var label = document.createElement("span");
        label.dir = "auto";
        label.textContent = it.label;
        li.appendChild(label);
        var buttons = document.createElement("span");
        buttons.className = "ranker-buttons";
        buttons.appendChild(button(it, "up", "↑", said("move-up", it.label), k === 0));
        buttons.appendChild(button(it, "down", "↓", said("move-down", it.label), k === ranked.length - 1));
        buttons.appendChild(button(it, "remove", word("remove"), said("remove-label", it.label), false));
        li.appendChild(buttons);
        lists.ranked.appendChild(li);
      });
      items.forEach(function (it) {
        if (ranked.indexOf(it) >= 0) return;
        var li = document.createElement("li");
        li.className = "ranker-item";
        li.setAttribute("data-index", it.index);
        var label = document.createElement("span");
        label.dir = "auto";
        label.textContent = it.label;
        li.appendChild(label);
        li.appendChild(button(it, "add", word("rank"), said("rank-label", it.label), ranked.length >= max));
        lists.unranked.appendChild(li);
      });
      items.forEach(function (it) {
        var k = ranked.indexOf(it);
        it.select.value = k >= 0 ? String(k + 1) : "";
      });
    }
    // moveItem moves an option, redraws the lists, keeps the focus on the
    // option's buttons and says where it went.
    function moveItem(it, move, to) {
      var k = ranked.indexOf(it);
      if (k >= 0) ranked.splice(k, 1);
      if (move === "up") ranked.splice(Math.max(k - 1, 0), 0, it);
      if (move === "down") ranked.splice(Math.min(k + 1, ranked.length), 0, it);
      if (move === "add") ranked.push(it);
      if (move === "to") ranked.splice(Math.min(to, ranked.length), 0, it);
      if (ranked.length > max) ranked.length = max;
      render();
      var li = box.querySelector('[data-index="' + it.index + '"]');
      var again = li && li.querySelector('[data-move="' + move + '"]:not([disabled])');
      (again || (li && li.querySelector("button:not([disabled])")) || li || box).focus();
      var rank = ranked.indexOf(it);
      announce.textContent = rank >= 0 ? said("announce-rank", it.label, rank + 1, ranked.length) : said("announce-unranked", it.label);
    }
    // Dragging: an option dropped on a ranked one takes its place; dropped
    // elsewhere on the ranking, it goes last; on "not ranked", it leaves.
    var dragged = null;
    box.addEventListener("dragstart", function (e) {
      var li = e.target.closest && e.target.closest("[data-index]");
      if (!li) return;
      dragged = items[Number(li.getAttribute("data-index"))];
      if (e.dataTransfer) e.dataTransfer.setData("text/plain", dragged.label);
    });
    box.addEventListener("dragover", function (e) { if (dragged) e.preventDefault(); });
    box.addEventListener("drop", function (e) {
      if (!dragged) return;
      e.preventDefault();
      var it = dragged;
      dragged = null;
      if (e.target.closest('[data-list="unranked"]')) {
        moveItem(it, "remove");
        return;
      }
      var on = e.target.closest('[data-list="ranked"] [data-index]');
      var to = on ? ranked.indexOf(items[Number(on.getAttribute("data-index"))]) : ranked.length;
      moveItem(it, "to", to < 0 ? ranked.length : to);
    });
    box.addEventListener("dragend", function () { dragged = null; });
    render();
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
        var grid = el.querySelector("[data-meeting-grid]");
        if (grid && data.slots) showMeeting(grid, data);
        if (el.querySelector("[data-rounds]")) refreshPart(el, "[data-rounds]");
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
      if (!id || !el.querySelector("[data-total], [data-meeting-grid]") || !window.fetch) return;
      fetch("/api/v1/polls/" + id + "/results", { credentials: "same-origin" }).then(function (res) {
        return res.ok ? res.json() : null;
      }).then(function (data) {
        if (!data || ended) return;
        if (el.querySelector("[data-total]")) showResults(el, data);
        var grid = el.querySelector("[data-meeting-grid]");
        if (grid && data.slots) showMeeting(grid, data);
      }, function () {});
    }
    connect();
  });

  // showMeeting redraws a meeting poll's grid from its results: the totals,
  // the rows in best-first order, the "best" mark, and a column per
  // participant (none when names are hidden). The slot cells stay as drawn.
  var ANSWER_WORDS = { yes: word("yes"), if_need_be: word("if-need-be"), no: word("no") };
  function showMeeting(grid, data) {
    var head = grid.querySelector("thead tr"), body = grid.querySelector("tbody");
    var names = data.participants || [], totals = {}, fixed = 3;
    data.slots.forEach(function (s) { totals[s.id] = s; });
    while (head.children.length > fixed) head.removeChild(head.lastChild);
    names.forEach(function (p) {
      var th = document.createElement("th");
      th.scope = "col";
      th.dir = "auto";
      th.textContent = p.name;
      head.appendChild(th);
    });
    var first = totals[data.best[0]];
    data.best.forEach(function (id) {
      var row = body.querySelector('tr[data-slot="' + id + '"]'), s = totals[id];
      if (!row || !s) return;
      row.querySelector("[data-yes]").textContent = numbers.format(s.yes);
      row.querySelector("[data-if-need-be]").textContent = numbers.format(s.if_need_be);
      var top = (s.yes > 0 || s.if_need_be > 0) && s.yes === first.yes && s.if_need_be === first.if_need_be;
      var badge = row.querySelector(".badge");
      row.classList.toggle("top", top);
      if (top && !badge) {
        badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = word("best");
        row.firstElementChild.append(" ", badge);
      } else if (!top && badge) {
        var before = badge.previousSibling; // ends with the space before the mark
        if (before && before.nodeType === Node.TEXT_NODE) before.textContent = before.textContent.replace(/ $/, "");
        badge.remove();
      }
      while (row.children.length > fixed) row.removeChild(row.lastChild);
      names.forEach(function (p) {
        var answer = p.answers[id] || "no", td = document.createElement("td");
        td.className = "answer-" + answer;
        td.textContent = ANSWER_WORDS[answer];
        row.appendChild(td);
      });
      body.appendChild(row); // in best-first order
    });
  }

  // Parts the server draws: a ranked poll's rounds, and the bars when an
  // option appeared (a voter's own answer). On new counts, fetch the page
  // again (at most once a second per part, one fetch at a time) and put in
  // the part as drawn.
  var refreshing = {};
  function refreshPart(el, selector) {
    var r = refreshing[selector] || (refreshing[selector] = {});
    if (r.busy || !window.fetch || !window.DOMParser) {
      r.again = true;
      return;
    }
    r.busy = true;
    r.again = false;
    fetch(location.pathname, { credentials: "same-origin" }).then(function (res) {
      return res.ok ? res.text() : null;
    }).then(function (html) {
      var fresh = html && new DOMParser().parseFromString(html, "text/html").querySelector(selector);
      var old = el.querySelector(selector);
      if (fresh && old && fresh.innerHTML !== old.innerHTML) old.innerHTML = fresh.innerHTML;
    }, function () {}).then(function () {
      setTimeout(function () {
        r.busy = false;
        if (r.again) refreshPart(el, selector);
      }, 1000);
    });
  }

  function showResults(results, data) {
    var total = results.querySelector("[data-total]");
    total.textContent = numbers.format(data.total);
    results.querySelector("[data-total-label]").textContent = counted(total.parentNode, "label", data.total);
    results.querySelector("[data-empty]").hidden = data.total > 0;
    var missing = false;
    data.options.forEach(function (o) {
      var row = results.querySelector('[data-option="' + o.id + '"]');
      if (!row) {
        missing = true;
        return;
      }
      var pct = data.total > 0 ? Math.round(o.votes * 100 / data.total) : 0;
      row.querySelector("[data-votes]").textContent = numbers.format(o.votes);
      row.querySelector("[data-percent]").textContent = numbers.format(pct);
      row.querySelector("[data-bar]").setAttribute("width", pct);
    });
    if (missing) refreshPart(results, "ul.bars");
  }
})();
