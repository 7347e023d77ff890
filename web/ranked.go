package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack"
)

// Ranked polls: the instant-runoff count in the results (JSON and pages),
// the ranking ballot form, and the ballot file.

// newView is a poll's view as readers see it. A ranked poll is counted here,
// once per load of the view that every reader shares (the view cache bounds
// loads per poll per second), and only the count is kept: the rankings can
// be many.
func newView(p *pollstack.Poll, r pollstack.Results) view {
	v := view{Poll: p, Results: r}
	if p.Ranked {
		count := p.CountRanked(r.Rankings)
		v.Count = &count
		v.Results.Rankings = nil
	}
	return v
}

// rankedResultsJSON is what results add for a ranked poll.
type rankedResultsJSON struct {
	Rounds []roundJSON `json:"rounds,omitempty"`
	Winner int         `json:"winner,omitempty"` // the winning option's ID
	Tied   []int       `json:"tied,omitempty"`   // the options tied in the final round
}

// roundJSON is one round of the count.
type roundJSON struct {
	Round      int              `json:"round"`
	Votes      []roundVotesJSON `json:"votes"` // the continuing options, in option order
	Continuing int              `json:"continuing"`
	Exhausted  int              `json:"exhausted"`
	Eliminated []int            `json:"eliminated"`
	TieBreak   string           `json:"tie_break,omitempty"` // previous_rounds or lot
}

type roundVotesJSON struct {
	ID    int `json:"id"`
	Votes int `json:"votes"`
}

// addRounds adds the count to a ranked poll's results: its rounds, the
// winner or the tie, and as each option's votes its first choices (round 1).
func (out *resultsJSON) addRounds(p *pollstack.Poll, count pollstack.RankedResult) {
	out.Winner, out.Tied = count.Winner, count.Tied
	for i, r := range count.Rounds {
		round := roundJSON{Round: i + 1, Continuing: r.Continuing, Exhausted: r.Exhausted, Eliminated: r.Eliminated, TieBreak: r.TieBreak, Votes: []roundVotesJSON{}}
		if round.Eliminated == nil {
			round.Eliminated = []int{}
		}
		for _, o := range p.Options {
			if n, ok := r.Votes[o.ID]; ok {
				round.Votes = append(round.Votes, roundVotesJSON{ID: o.ID, Votes: n})
			}
		}
		out.Rounds = append(out.Rounds, round)
	}
	for i, o := range out.Options {
		out.Options[i].Votes = count.Rounds[0].Votes[o.ID]
	}
}

// roundsTable is the count as the results page draws it: a row per option,
// a column per round.
type roundsTable struct {
	Rounds     []int       // 1..n
	Rows       []roundsRow // one per option
	Continuing []int
	Exhausted  []int
	Eliminated []roundOut // per round: who went, and how a tie was broken
	Outcome    outcome
}

// roundOut is who a round eliminated (labels, joined) and how a tie among
// them was broken: "", "previous" (by the earlier rounds) or "lot".
type roundOut struct {
	Names, TieBreak string
}

// outcome is how the count ended: Kind "winner" (Winner, in Round, with
// more than half of Continuing), "tie" (Tied) or "none" (no ballots).
type outcome struct {
	Kind                  string
	Winner                string
	Round, Continuing     int
	TiedFirst, TiedSecond string
}

type roundsRow struct {
	Label string
	Cells []string // votes per round; empty once eliminated
}

func newRoundsTable(p *pollstack.Poll, res resultsJSON) *roundsTable {
	if res.Rounds == nil {
		return nil
	}
	t := &roundsTable{}
	label := make(map[int]string, len(p.Options))
	for _, o := range p.Options {
		label[o.ID] = o.Label
	}
	for _, o := range p.Options {
		row := roundsRow{Label: o.Label}
		for _, r := range res.Rounds {
			cell := ""
			for _, v := range r.Votes {
				if v.ID == o.ID {
					cell = strconv.Itoa(v.Votes)
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	for _, r := range res.Rounds {
		t.Rounds = append(t.Rounds, r.Round)
		t.Continuing, t.Exhausted = append(t.Continuing, r.Continuing), append(t.Exhausted, r.Exhausted)
		var names []string
		for _, id := range r.Eliminated {
			names = append(names, label[id])
		}
		gone := roundOut{Names: strings.Join(names, ", ")}
		switch r.TieBreak {
		case pollstack.TieByPreviousRounds:
			gone.TieBreak = "previous"
		case pollstack.TieByLot:
			gone.TieBreak = "lot"
		}
		t.Eliminated = append(t.Eliminated, gone)
	}
	final := res.Rounds[len(res.Rounds)-1]
	switch {
	case res.Winner != 0:
		t.Outcome = outcome{Kind: "winner", Winner: label[res.Winner], Round: final.Round, Continuing: final.Continuing}
	case len(res.Tied) > 0:
		t.Outcome = outcome{Kind: "tie", TiedFirst: label[res.Tied[0]], TiedSecond: label[res.Tied[1]]}
	default:
		t.Outcome = outcome{Kind: "none"}
	}
	return t
}

// rankingOf reads a ranked ballot form: a rank select per option, named
// rank-<option ID>. It returns the ranks as typed (to show them again) and
// the ranking, or the rule they break.
func rankingOf(p *pollstack.Poll, r *http.Request) (map[int]string, []int, error) {
	typed := make(map[int]string, len(p.Options))
	ranks := make([]string, len(p.Options))
	for i, o := range p.Options {
		ranks[i] = r.PostFormValue("rank-" + strconv.Itoa(o.ID))
		typed[o.ID] = ranks[i]
	}
	ranking, err := pollstack.RankingFromRanks(ranks)
	return typed, ranking, err
}

// RankChoices are the ranks a ballot's selects offer: 1..max_rankings.
func (v pollView) RankChoices() []int {
	out := make([]int, v.Poll.MaxChoices)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// typedRanks are the ranks to show in the selects: as typed, or the
// voter's ballot.
func typedRanks(chosen []int) map[int]string {
	out := make(map[int]string, len(chosen))
	for i, id := range chosen {
		out[id] = strconv.Itoa(i + 1)
	}
	return out
}

// The ballot file, for the creator: the API's GET with the admin token as
// a Bearer token, and the admin page's form post (the token in the body);
// for anyone, the API's GET without a token, once the poll has closed if
// its creator published the ballots (Poll.BallotsOpenToAll).

func (s *Server) apiBallotsCSV(w http.ResponseWriter, r *http.Request) {
	s.writeBallotFile(w, r, bearerToken(r))
}

func (s *Server) ballotsCSVPage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeBallotFile(w, r, r.PostFormValue("token"))
}

// writeBallotFile streams the poll's ballot file (pollstack.BallotFile) to
// whoever may have it (ballotFileView), row by row as the store reads them:
// constant memory, whatever the number of ballots.
func (s *Server) writeBallotFile(w http.ResponseWriter, r *http.Request, token string) {
	id := r.PathValue("id")
	if err := s.limit(r, s.downloads); err != nil { // the file reads every ballot again
		s.writeError(w, r, err)
		return
	}
	v, err := s.ballotFileView(r, id, token)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	h.Set("Content-Disposition", `attachment; filename="`+ballotFileName(id)+`"`)
	h.Set("Cache-Control", "no-store")
	out := stallGuard{w, http.NewResponseController(w)}
	defer out.rc.SetWriteDeadline(time.Time{}) // the connection may serve other requests
	file, err := pollstack.NewBallotFile(out, v.Poll, spreadsheetSafe)
	if err == nil {
		err = s.store.Ballots(r.Context(), id, file.Write)
	}
	if err == nil {
		err = file.Flush()
	}
	if err != nil {
		// The status is sent; a cut-off file is what the client sees.
		s.log.Warn("ballot file cut off", "request_id", requestID(r.Context()), "poll_id", id, "error", err.Error())
	}
}

// ballotFileView is the poll's view for a request of its ballot file:
// anyone's once the creator published the ballots and the poll closed, the
// creator's alone otherwise. A wrong token is refused as such; without one,
// the error says that the token is needed, or that the file is public once
// the poll closes.
func (s *Server) ballotFileView(r *http.Request, id, token string) (view, error) {
	if token != "" {
		return s.creatorResults(r, id, token)
	}
	v, err := s.views.get(r.Context(), id)
	switch {
	case err != nil:
		return view{}, err
	case v.Poll.BallotsOpenToAll(s.now()):
		return v, nil
	case v.Poll.BallotsPublic:
		return view{}, pollstack.ErrBallotsOpen
	}
	return view{}, pollstack.ErrTokenMissing
}

// ballotFileStall bounds how long one write of the ballot file may wait
// for the client. The store streams the file from an open query, holding
// one of its few connections: a client that stops reading must not keep it.
var ballotFileStall = 10 * time.Second

// stallGuard gives each write to the client ballotFileStall to go through.
type stallGuard struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (g stallGuard) Write(p []byte) (int, error) {
	if err := g.rc.SetWriteDeadline(time.Now().Add(ballotFileStall)); err != nil {
		return 0, fmt.Errorf("ballot file: write deadline: %w", err)
	}
	return g.w.Write(p)
}

// ballotFileName names the file after the poll, which `pollstack recount`
// reads back for the lot's seed.
func ballotFileName(pollID string) string { return "poll-" + pollID + "-ballots.csv" }

// inRankOrder is the options of a ranked ballot, first choice first.
func inRankOrder(p *pollstack.Poll, ranking []int) []pollstack.Option {
	var out []pollstack.Option
	for _, id := range ranking {
		if id >= 1 && id <= len(p.Options) {
			out = append(out, p.Options[id-1])
		}
	}
	return out
}
