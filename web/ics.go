package web

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pollstack/pollstack"
)

// The decided slot of a meeting poll as an iCalendar file (RFC 5545): the
// few lines one event needs, written here rather than through a library.

// eventICS answers GET /p/{id}/event.ics: one VEVENT for the decided slot.
func (s *Server) eventICS(w http.ResponseWriter, r *http.Request) {
	v, err := s.views.get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !v.Poll.Meeting || v.Poll.Decided == 0 {
		s.writeError(w, r, pollstack.ErrNotDecided)
		return
	}
	body := meetingICS(v.Poll, s.absURL(r, "/p/"+v.Poll.ID+"/results"), s.now())
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="meeting-`+v.Poll.ID+`.ics"`)
	h.Set("Cache-Control", "no-store")
	w.Write([]byte(body))
}

// icsDateTime and icsDate are the UTC date-time and the date forms of RFC
// 5545 (3.3.5 form 2, 3.3.4).
const (
	icsDateTime = "20060102T150405Z"
	icsDate     = "20060102"
)

// meetingICS renders the decided slot of p as a calendar with one event:
// a time slot in UTC, an all-day date as a DATE (no zone can shift it),
// ending the next day (DTEND is exclusive). The UID comes from the poll ID,
// so that a calendar that imports the file again updates the same event.
func meetingICS(p *pollstack.Poll, url string, now time.Time) string {
	slot := p.Slots()[p.Decided-1]
	var b strings.Builder
	line := func(s string) { b.WriteString(foldICS(s)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//pollstack//meeting poll//EN")
	line("CALSCALE:GREGORIAN")
	line("BEGIN:VEVENT")
	line("UID:meeting-" + p.ID + "@pollstack")
	line("DTSTAMP:" + now.UTC().Format(icsDateTime))
	if slot.AllDay() {
		day, _ := time.Parse(pollstack.DateLayout, slot.Date)
		line("DTSTART;VALUE=DATE:" + day.Format(icsDate))
		line("DTEND;VALUE=DATE:" + day.AddDate(0, 0, 1).Format(icsDate))
	} else {
		line("DTSTART:" + slot.Start.UTC().Format(icsDateTime))
		line("DTEND:" + slot.End.UTC().Format(icsDateTime))
	}
	line("SUMMARY:" + escapeICS(p.Question))
	if p.Description != "" {
		line("DESCRIPTION:" + escapeICS(p.Description))
	}
	line("URL:" + url)
	line("END:VEVENT")
	line("END:VCALENDAR")
	return b.String()
}

// escapeICS escapes a TEXT value (RFC 5545 3.3.11).
var escapeICS = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace

// foldICS ends a content line with CRLF, folding it so that no line is
// longer than 75 octets (RFC 5545 3.1): each continuation starts with a
// space, and a UTF-8 sequence is never split.
func foldICS(s string) string {
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}
