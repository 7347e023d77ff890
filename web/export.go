package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The results as CSV, for spreadsheets: the API's GET (the results rule, or
// the admin token as a Bearer token) and the admin page's form post (the
// admin token in the body, so that it is never in a URL).

func (s *Server) apiResultsCSV(w http.ResponseWriter, r *http.Request) {
	v, err := s.visibleResults(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeResultsCSV(w, v)
}

func (s *Server) resultsCSVPage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.creatorResults(r, r.PathValue("id"), s.adminToken(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeResultsCSV(w, v)
}

// writeResultsCSV writes one row per option: its id, label, votes and
// percentage of the ballots (rounded as on the results page).
func (s *Server) writeResultsCSV(w http.ResponseWriter, v view) {
	if v.Poll.Meeting {
		writeCSV(w, "poll-"+v.Poll.ID+"-results.csv", meetingResultsRows(v))
		return
	}
	res := s.resultsJSON(v)
	rows := [][]string{{"option_id", "option", "votes", "percent"}}
	for _, o := range res.Options {
		rows = append(rows, []string{strconv.Itoa(o.ID), spreadsheetSafe(o.Label), strconv.Itoa(o.Votes), strconv.Itoa(percent(o.Votes, res.Total))})
	}
	writeCSV(w, "poll-"+v.Poll.ID+"-results.csv", rows)
}

// meetingResultsRows is a meeting poll's results: one row per slot, in
// option order, with its totals and each participant's answer under their
// name (no such columns when names are hidden: the view has no ballots).
// Every cell goes through spreadsheetSafe, the names above all.
func meetingResultsRows(v view) [][]string {
	header := []string{"option_id", "slot", "yes", "if_need_be"}
	for _, b := range v.Participants {
		header = append(header, b.Name)
	}
	rows := [][]string{header}
	for _, t := range v.Poll.SlotTotals(v.Results) {
		rows = append(rows, []string{strconv.Itoa(t.OptionID), t.Slot.Label(), strconv.Itoa(t.Yes), strconv.Itoa(t.IfNeedBe)})
	}
	for _, b := range v.Participants {
		for id, a := range v.Poll.DecodeAnswers(b.OptionIDs) {
			rows[id] = append(rows[id], string(a))
		}
	}
	for _, row := range rows {
		for i := range row {
			row[i] = spreadsheetSafe(row[i])
		}
	}
	return rows
}

// writeCSV answers with a CSV download, its first row a header. The file
// starts with a UTF-8 byte order mark, which spreadsheet programs need to
// read anything but ASCII correctly.
func writeCSV(w http.ResponseWriter, filename string, rows [][]string) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	out := csv.NewWriter(&buf)
	out.UseCRLF = true // RFC 4180
	out.WriteAll(rows)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// spreadsheetSafe keeps a label from being run as a formula: a cell that
// starts with = + - @ (or a tab or carriage return) is a formula to Excel,
// LibreOffice and Google Sheets, so a voter-visible label like
// =HYPERLINK("https://evil.example") would become a live link or worse in
// the creator's spreadsheet. Their fullwidth forms (＝ ＋ － ＠), which
// East Asian input methods type and spreadsheets read as the same
// operators, count too. A leading apostrophe makes it text (OWASP's advice
// on CSV injection).
func spreadsheetSafe(text string) string {
	first, _ := utf8.DecodeRuneInString(text)
	if text != "" && strings.ContainsRune("=+-@\t\r＝＋－＠", first) {
		return "'" + text
	}
	return text
}
