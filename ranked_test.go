package pollstack_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pollstack/pollstack"
)

// ballots reads rankings written as "N: 1 2 3" (N ballots ranking options
// 1, 2, 3 in that order).
func ballots(t testing.TB, lines ...string) []pollstack.Ranking {
	t.Helper()
	var out []pollstack.Ranking
	for _, line := range lines {
		count, ranking, _ := strings.Cut(line, ":")
		n, err := strconv.Atoi(count)
		if err != nil {
			t.Fatalf("bad ballots line %q", line)
		}
		out = append(out, pollstack.Ranking{OptionIDs: ints(t, strings.Fields(ranking)), Ballots: n})
	}
	return out
}

func ints(t testing.TB, fields []string) []int {
	t.Helper()
	ids := make([]int, len(fields))
	for i, f := range fields {
		var err error
		if ids[i], err = strconv.Atoi(f); err != nil {
			t.Fatalf("bad option ID %q", f)
		}
	}
	return ids
}

func options(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i + 1
	}
	return ids
}

// round is what a test expects of one round.
type round struct {
	votes                 map[int]int
	continuing, exhausted int
	eliminated            []int
	tieBreak              string
}

func checkRounds(t *testing.T, got pollstack.RankedResult, want []round) {
	t.Helper()
	if len(got.Rounds) != len(want) {
		t.Fatalf("got %d rounds, want %d: %+v", len(got.Rounds), len(want), got.Rounds)
	}
	for i, w := range want {
		g := got.Rounds[i]
		if !reflect.DeepEqual(g.Votes, w.votes) || g.Continuing != w.continuing || g.Exhausted != w.exhausted ||
			!reflect.DeepEqual(g.Eliminated, w.eliminated) || g.TieBreak != w.tieBreak {
			t.Errorf("round %d:\n got %+v\nwant %+v", i+1, g, w)
		}
	}
}

func TestInstantRunoffTextbook(t *testing.T) {
	seed := []byte("seed")
	for _, tt := range []struct {
		name    string
		options int
		ballots []string
		rounds  []round
		winner  int
		tied    []int
	}{{
		name: "majority in round one", options: 3,
		ballots: []string{"6: 1 2", "3: 2", "2: 3 1"},
		rounds:  []round{{votes: map[int]int{1: 6, 2: 3, 3: 2}, continuing: 11}},
		winner:  1,
	}, {
		name: "several eliminations", options: 4,
		ballots: []string{"8: 1", "7: 2 1", "5: 3 2", "4: 4 3"},
		rounds: []round{
			{votes: map[int]int{1: 8, 2: 7, 3: 5, 4: 4}, continuing: 24, eliminated: []int{4}},
			{votes: map[int]int{1: 8, 2: 7, 3: 9}, continuing: 24, eliminated: []int{2}},
			{votes: map[int]int{1: 15, 3: 9}, continuing: 24},
		},
		winner: 1,
	}, {
		name: "options without votes go together", options: 5,
		ballots: []string{"5: 1", "4: 2", "2: 3 2"},
		rounds: []round{
			{votes: map[int]int{1: 5, 2: 4, 3: 2, 4: 0, 5: 0}, continuing: 11, eliminated: []int{4, 5}},
			{votes: map[int]int{1: 5, 2: 4, 3: 2}, continuing: 11, eliminated: []int{3}},
			{votes: map[int]int{1: 5, 2: 6}, continuing: 11},
		},
		winner: 2,
	}, {
		// 4 of 9 ballots is no majority; once the 2 that rank only option 3
		// are exhausted, 4 of the 7 continuing ballots is.
		name: "exhausted ballots shrink the threshold", options: 3,
		ballots: []string{"4: 1", "3: 2", "2: 3"},
		rounds: []round{
			{votes: map[int]int{1: 4, 2: 3, 3: 2}, continuing: 9, eliminated: []int{3}},
			{votes: map[int]int{1: 4, 2: 3}, continuing: 7, exhausted: 2},
		},
		winner: 1,
	}, {
		// Options 2 and 3 tie for last in round 2; in round 1 option 3 had fewer.
		name: "tie for last broken by the previous round", options: 4,
		ballots: []string{"10: 1", "6: 2", "5: 3", "1: 4 3", "3: 4"},
		rounds: []round{
			{votes: map[int]int{1: 10, 2: 6, 3: 5, 4: 4}, continuing: 25, eliminated: []int{4}},
			{votes: map[int]int{1: 10, 2: 6, 3: 6}, continuing: 22, exhausted: 3, eliminated: []int{3}, tieBreak: pollstack.TieByPreviousRounds},
			{votes: map[int]int{1: 10, 2: 6}, continuing: 16, exhausted: 9},
		},
		winner: 1,
	}, {
		name: "tie in the final round", options: 3,
		ballots: []string{"4: 1", "4: 2 3", "1: 3"},
		rounds: []round{
			{votes: map[int]int{1: 4, 2: 4, 3: 1}, continuing: 9, eliminated: []int{3}},
			{votes: map[int]int{1: 4, 2: 4}, continuing: 8, exhausted: 1},
		},
		tied: []int{1, 2},
	}, {
		name: "no ballots", options: 2,
		rounds: []round{{votes: map[int]int{1: 0, 2: 0}}},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			got := pollstack.CountInstantRunoff(options(tt.options), ballots(t, tt.ballots...), seed)
			checkRounds(t, got, tt.rounds)
			if got.Winner != tt.winner || !reflect.DeepEqual(got.Tied, tt.tied) {
				t.Errorf("winner %d, tied %v; want %d, %v", got.Winner, got.Tied, tt.winner, tt.tied)
			}
		})
	}
}

// A tie for last with no earlier round to break it is drawn by lot: the
// same seed always draws the same option, and the seed (not the options'
// order) decides, so across seeds both options are drawn.
func TestInstantRunoffTieBrokenByLot(t *testing.T) {
	rankings := ballots(t, "5: 1", "3: 2 1", "3: 3 2")
	drawn := map[int]bool{}
	for i := range 64 {
		seed := pollstack.RankedSeed("poll"+strconv.Itoa(i), rankings)
		got := pollstack.CountInstantRunoff(options(3), rankings, seed)
		first := got.Rounds[0]
		if first.TieBreak != pollstack.TieByLot || len(first.Eliminated) != 1 {
			t.Fatalf("round 1 = %+v, want one option eliminated by lot", first)
		}
		if again := pollstack.CountInstantRunoff(options(3), rankings, seed); !reflect.DeepEqual(again, got) {
			t.Fatalf("the same seed drew differently: %+v then %+v", got, again)
		}
		out := first.Eliminated[0]
		drawn[out] = true
		// Whoever is drawn, the rest of the count follows from it.
		want := map[int]int{2: 1, 3: 2}[out] // the drawn option's ballots go to the other one
		if got.Winner != want {
			t.Errorf("seed %d eliminated %d: winner %d, want %d", i, out, got.Winner, want)
		}
	}
	if !drawn[2] || !drawn[3] {
		t.Errorf("64 seeds drew only %v: the lot does not depend on the seed", drawn)
	}
}

func TestRankedSeedIgnoresOrderAndSplitting(t *testing.T) {
	a := pollstack.RankedSeed("p", ballots(t, "2: 1 2", "1: 2"))
	b := pollstack.RankedSeed("p", ballots(t, "1: 2", "1: 1 2", "1: 1 2"))
	if string(a) != string(b) {
		t.Error("the same ballots, listed differently, give different seeds")
	}
	for _, other := range [][]byte{
		pollstack.RankedSeed("q", ballots(t, "2: 1 2", "1: 2")),
		pollstack.RankedSeed("p", ballots(t, "2: 2 1", "1: 2")),
		pollstack.RankedSeed("p", ballots(t, "3: 1 2", "1: 2")),
	} {
		if string(a) == string(other) {
			t.Error("a different poll or different ballots give the same seed")
		}
	}
}

// RankedSeed hashes the rankings in MergeRankings's order, whatever keys
// it sorts by: checked against that definition, written out, for random
// rankings with small option IDs (one-byte keys) and with large or
// negative ones (four-byte keys).
func TestRankedSeedIsTheDefinedHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		ids := []int{1, 2, 3, 4}
		if i%2 == 1 {
			ids = []int{-7, 0, 255, 256, 70000}
		}
		var rankings []pollstack.Ranking
		for range 1 + rng.IntN(30) {
			perm := rng.Perm(len(ids))
			r := pollstack.Ranking{Ballots: rng.IntN(3)}
			for _, k := range perm[:1+rng.IntN(len(perm))] {
				r.OptionIDs = append(r.OptionIDs, ids[k])
			}
			rankings = append(rankings, r)
		}
		h := sha256.New()
		h.Write([]byte("p"))
		for _, r := range pollstack.MergeRankings(rankings) {
			binary.Write(h, binary.BigEndian, uint32(len(r.OptionIDs)))
			for _, id := range r.OptionIDs {
				binary.Write(h, binary.BigEndian, uint32(id))
			}
			binary.Write(h, binary.BigEndian, uint64(r.Ballots))
		}
		if got, want := pollstack.RankedSeed("p", rankings), h.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("rankings %v: seed %x, want %x", rankings, got, want)
		}
	}
}

// A real election: Minneapolis's 2017 mayoral race, from its cast-vote
// record, against the round-by-round report of RCTab (see the file's
// header for the source and the conversion).
func TestInstantRunoffMinneapolis2017(t *testing.T) {
	names, rankings, rctab := readElection(t, "testdata/minneapolis-2017-mayor.txt")
	if total := sumBallots(rankings); total != 104484 {
		t.Fatalf("the file has %d ballots, want 104484", total)
	}
	got := pollstack.CountInstantRunoff(options(len(names)), rankings, pollstack.RankedSeed("minneapolis-2017", rankings))
	next := 0
	for _, r := range got.Rounds {
		if next < len(rctab) && r.Continuing == rctab[next].continuing && reflect.DeepEqual(withVotes(r.Votes), rctab[next].votes) {
			next++
		}
		if r.Continuing+r.Exhausted != 104484 {
			t.Errorf("round %+v loses ballots", r)
		}
	}
	if next != len(rctab) {
		t.Errorf("RCTab's round %d (%+v) is not among ours:\n%+v", next+1, rctab[next], got.Rounds)
	}
	if names[got.Winner-1] != "Jacob Frey" {
		t.Errorf("winner %d, want Jacob Frey", got.Winner)
	}
	final := got.Rounds[len(got.Rounds)-1]
	if final.Votes[1] != 46704 || final.Votes[4] != 34970 {
		t.Errorf("final round %v, want Frey 46704, Dehn 34970", final.Votes)
	}
}

// withVotes drops the options without votes (RCTab's report lists them all).
func withVotes(votes map[int]int) map[int]int {
	out := map[int]int{}
	for id, n := range votes {
		if n > 0 {
			out[id] = n
		}
	}
	return out
}

func sumBallots(rankings []pollstack.Ranking) int {
	n := 0
	for _, r := range rankings {
		n += r.Ballots
	}
	return n
}

// readElection reads a test election (format in the file's header).
func readElection(t *testing.T, path string) (names []string, rankings []pollstack.Ranking, rctab []round) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		word, rest, _ := strings.Cut(lines.Text(), " ")
		fields := strings.Fields(rest)
		switch word {
		case "option":
			names = append(names, rest)
		case "ballots":
			n := ints(t, fields[:1])[0]
			rankings = append(rankings, pollstack.Ranking{OptionIDs: ints(t, fields[1:]), Ballots: n})
		case "rctab":
			r := round{continuing: ints(t, fields[:1])[0], votes: map[int]int{}}
			for _, f := range fields[1:] {
				id, votes, _ := strings.Cut(f, "=")
				r.votes[ints(t, []string{id})[0]] = ints(t, []string{votes})[0]
			}
			rctab = append(rctab, r)
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return names, rankings, rctab
}

func TestValidateRankedPoll(t *testing.T) {
	draft := pollstack.PollDraft{Question: "Lunch?", Options: []string{"Soup", "Salad", "Pie"}, Kind: pollstack.PollRanked}
	p, _, err := draft.NewPoll(now)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Ranked || !p.Multiple || p.MinChoices != 1 || p.MaxChoices != 3 || p.Kind() != pollstack.PollRanked {
		t.Errorf("ranked poll = %+v, want ranked with max rankings 3 (every option)", p)
	}
	for _, tt := range []struct {
		name        string
		edit        func(d *pollstack.PollDraft)
		field, code string
	}{
		{"max rankings 1", func(d *pollstack.PollDraft) { d.MaxRankings = 1 }, "", ""},
		{"max rankings 0 means every option", func(d *pollstack.PollDraft) { d.MaxRankings = 0 }, "", ""},
		{"max rankings past the options", func(d *pollstack.PollDraft) { d.MaxRankings = 4 }, "max_rankings", "max_rankings_range"},
		{"negative max rankings", func(d *pollstack.PollDraft) { d.MaxRankings = -1 }, "max_rankings", "max_rankings_range"},
		{"max rankings on a single choice poll", func(d *pollstack.PollDraft) { d.Kind, d.MaxRankings = pollstack.PollSingle, 2 }, "max_rankings", "max_rankings_unranked"},
		{"choice limits on a ranked poll", func(d *pollstack.PollDraft) { d.MaxChoices = 2 }, "max_choices", "choices_ranked"},
		{"multiple on a ranked poll", func(d *pollstack.PollDraft) { d.Multiple = true }, "multiple", "multiple_kind"},
		{"unknown kind", func(d *pollstack.PollDraft) { d.Kind = "approval" }, "kind", "kind_invalid"},
		{"kind multiple", func(d *pollstack.PollDraft) { d.Kind = pollstack.PollMultiple }, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := draft
			tt.edit(&d)
			_, _, err := d.NewPoll(now)
			checkInvalid(t, err, tt.field, tt.code)
		})
	}
}

func checkInvalid(t *testing.T, err error, field, code string) {
	t.Helper()
	e := pollstack.ErrorOf(err)
	switch {
	case code == "" && err != nil:
		t.Errorf("unexpected error %v", err)
	case code != "" && (e == nil || e.Field != field || e.Code != code):
		t.Errorf("error %v, want %s on field %s", err, code, field)
	}
}

func TestCheckRankedBallot(t *testing.T) {
	p := &pollstack.Poll{Options: []pollstack.Option{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}}, Multiple: true, Ranked: true, MinChoices: 1, MaxChoices: 3}
	for _, tt := range []struct {
		ranking []int
		code    string
	}{
		{[]int{3, 1, 2}, ""},
		{[]int{4}, ""},
		{nil, "ranking_required"},
		{[]int{1, 2, 3, 4}, "rankings_too_many"},
		{[]int{2, 2}, "option_repeated"},
		{[]int{5}, "option_unknown"},
		{[]int{0, 1}, "option_unknown"},
	} {
		field := ""
		if tt.code != "" {
			field = "option_ids"
		}
		checkInvalid(t, p.CheckBallot(tt.ranking), field, tt.code)
	}
}

// BenchmarkCountInstantRunoff counts 1,000,000 ballots, as a ranked poll's
// results do: over its distinct rankings. "five options" is a typical poll
// (every ranking of 5 options is one of 325); "twenty options" is the worst
// case, nearly every ballot a ranking of its own.
func BenchmarkCountInstantRunoff(b *testing.B) {
	for _, bb := range []struct {
		name    string
		options int
	}{{"five options", 5}, {"twenty options", 20}} {
		rankings := randomBallots(1_000_000, bb.options, rand.New(rand.NewPCG(1, 2)))
		distinct := pollstack.MergeRankings(rankings)
		seed := pollstack.RankedSeed("bench", distinct)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportMetric(float64(len(distinct)), "rankings")
			for b.Loop() {
				pollstack.CountInstantRunoff(options(bb.options), distinct, seed)
			}
		})
	}
}

// randomBallots returns n single ballots ranking 1..k of the options, with
// earlier options more popular, so that counts differ and rounds transfer.
func randomBallots(n, options int, rng *rand.Rand) []pollstack.Ranking {
	out := make([]pollstack.Ranking, n)
	for i := range out {
		perm := rng.Perm(options)
		if rng.IntN(2) == 0 && perm[0] > 0 { // a lean towards the first options
			perm[0] = rng.IntN(perm[0] + 1)
			perm = uniqueFirst(perm)
		}
		ids := make([]int, 1+rng.IntN(len(perm)))
		for j := range ids {
			ids[j] = perm[j] + 1
		}
		out[i] = pollstack.Ranking{OptionIDs: ids, Ballots: 1}
	}
	return out
}

// uniqueFirst removes the later copy of perm[0], keeping perm a permutation
// of what it holds.
func uniqueFirst(perm []int) []int {
	out := perm[:1]
	for _, v := range perm[1:] {
		if v != perm[0] {
			out = append(out, v)
		}
	}
	return out
}

func TestBallotFile(t *testing.T) {
	ranked := &pollstack.Poll{Ranked: true, Multiple: true, MaxChoices: 3, Options: []pollstack.Option{{ID: 1, Label: "=A"}, {ID: 2, Label: "B"}, {ID: 3, Label: "C, or not"}}}
	var buf strings.Builder
	f, err := pollstack.NewBallotFile(&buf, ranked, func(s string) string { return "'" + s })
	if err != nil {
		t.Fatal(err)
	}
	cast := now
	changed := now.Add(time.Minute)
	f.Write(pollstack.CastBallot{OptionIDs: []int{3, 1}, Cast: cast, Changed: &changed})
	f.Write(pollstack.CastBallot{OptionIDs: []int{2}, Cast: cast, ReceiptDigest: []byte{0xab, 0x01}})
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\r\n")
	if lines[0] != "\uFEFFballot_id,cast_at,changed_at,receipt_sha256,'=A,'B,\"'C, or not\"" {
		t.Errorf("header %q", lines[0])
	}
	if !strings.HasSuffix(lines[1], ",2026-06-01T12:00:00Z,2026-06-01T12:01:00Z,,2,,1") || !strings.HasSuffix(lines[2], ",2026-06-01T12:00:00Z,,ab01,,1,") {
		t.Errorf("rows %q", lines[1:])
	}
	if id1, id2 := strings.Split(lines[1], ",")[0], strings.Split(lines[2], ",")[0]; len(id1) != 16 || id1 == id2 {
		t.Errorf("ballot IDs %q, %q: want random, 16 characters", id1, id2)
	}
	labels, rankings, err := pollstack.ReadRankedBallotFile(strings.NewReader(buf.String()))
	want := []pollstack.Ranking{{OptionIDs: []int{2}, Ballots: 1}, {OptionIDs: []int{3, 1}, Ballots: 1}}
	if err != nil || len(labels) != 3 || !reflect.DeepEqual(rankings, want) {
		t.Errorf("read back %v, %v, %v; want %v", labels, rankings, err, want)
	}

	single := &pollstack.Poll{Options: []pollstack.Option{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}}}
	buf.Reset()
	f, _ = pollstack.NewBallotFile(&buf, single, func(s string) string { return s })
	f.Write(pollstack.CastBallot{OptionIDs: []int{2}, Cast: cast})
	f.Flush()
	if row := strings.Split(buf.String(), "\r\n")[1]; !strings.HasSuffix(row, ",,0,1") {
		t.Errorf("single choice row %q, want 0 and 1 per option", row)
	}
}

// A ballot ID is a cell a spreadsheet must show as it is: one that begins
// with - (a base64url letter, once in 64 rows) was read as a formula and
// shown as #NAME?. Every ID of a long file begins with a letter or digit.
func TestBallotFileIDsAreNeverFormulas(t *testing.T) {
	poll := &pollstack.Poll{Options: []pollstack.Option{{ID: 1, Label: "A"}}}
	var buf strings.Builder
	f, err := pollstack.NewBallotFile(&buf, poll, func(s string) string { return s })
	if err != nil {
		t.Fatal(err)
	}
	for range 2000 {
		f.Write(pollstack.CastBallot{OptionIDs: []int{1}, Cast: now})
	}
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	for i, row := range strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")[1:] {
		id, _, _ := strings.Cut(row, ",")
		if id == "" || !unicode.IsLetter(rune(id[0])) && !unicode.IsDigit(rune(id[0])) {
			t.Fatalf("row %d: ballot ID %q does not begin with a letter or digit", i+1, id)
		}
	}
}
