package pollstack

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The ballot file: every ballot of a poll as CSV (RFC 4180, UTF-8 with a
// byte order mark for spreadsheets), one row per ballot, written as the
// store streams them and read back by `pollstack recount`:
//
//	ballot_id,cast_at,changed_at,receipt_sha256,<label of option 1>,<label of option 2>,...
//	GZ4VQ3KMB7TXE2LA,2026-06-01T12:00:00Z,,,2,,1
//
// ballot_id is random, drawn for each download: it names a row, never a
// voter. Times are RFC 3339 in UTC; changed_at is empty for a ballot never
// changed. receipt_sha256 is the ballot's receipt digest in hex, in a
// verifiable poll (receipt.go), else empty. The option columns are in option ID order: a ranked poll's cell
// holds the option's rank (1 is the first choice; empty: not ranked), any
// other poll's 1 (chosen) or 0. A meeting poll's cells are yes, if_need_be
// or no, after a name column holding the participant's name (absent when
// the creator hides names). A voter's own answer that is not approved has
// no column: its text is the creator's to review, not the file's.

// BallotFileFixed is how many columns come before the options.
const BallotFileFixed = 4

// ballotFileHeader names the columns before the options.
var ballotFileHeader = []string{"ballot_id", "cast_at", "changed_at", "receipt_sha256"}

// BallotFile writes a poll's ballot file.
type BallotFile struct {
	out   *csv.Writer
	poll  *Poll
	guard func(string) string
	fixed int // columns before the options: BallotFileFixed, and the name
	cells []string
}

// NewBallotFile writes the byte order mark and the header row; guard is
// applied to every cell that holds people's text (the labels, a meeting
// participant's name), to keep a spreadsheet from running it as a formula.
// The other cells are the file's own words, numbers and times.
func NewBallotFile(w io.Writer, p *Poll, guard func(string) string) (*BallotFile, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	header := slices.Clone(ballotFileHeader)
	if p.Meeting && !p.HideNames {
		header = append(header, "name")
	}
	f := &BallotFile{out: csv.NewWriter(w), poll: p, guard: guard, fixed: len(header)}
	f.cells = make([]string, f.fixed+len(p.Options))
	f.out.UseCRLF = true
	for _, o := range p.Options {
		header = append(header, guard(o.Label))
	}
	return f, f.out.Write(header)
}

// Write adds one ballot, under a fresh random ballot ID.
func (f *BallotFile) Write(b CastBallot) error {
	cells := f.cells
	cells[0], cells[1], cells[2], cells[3] = ballotID(), b.Cast.UTC().Format(time.RFC3339Nano), "", hex.EncodeToString(b.ReceiptDigest)
	if b.Changed != nil {
		cells[2] = b.Changed.UTC().Format(time.RFC3339Nano)
	}
	if f.poll.Meeting {
		return f.writeAnswers(b)
	}
	for i := range f.poll.Options {
		cells[BallotFileFixed+i] = ""
		if !f.poll.Ranked {
			cells[BallotFileFixed+i] = "0"
		}
	}
	for rank, id := range b.OptionIDs {
		column := f.poll.optionIndex(id)
		switch {
		case column < 0 && f.poll.AllowOther && id >= 1 && id <= MaxOptions:
			continue // a voter's answer that is not approved
		case column < 0:
			return fmt.Errorf("ballot file: option %d is not part of the poll", id)
		}
		cell := "1"
		if f.poll.Ranked {
			cell = strconv.Itoa(rank + 1)
		}
		cells[BallotFileFixed+column] = cell
	}
	return f.out.Write(cells)
}

// writeAnswers finishes a meeting ballot's row: the name, unless hidden,
// and each slot's answer.
func (f *BallotFile) writeAnswers(b CastBallot) error {
	if err := f.poll.checkAnswers(b.OptionIDs); err != nil {
		return fmt.Errorf("ballot file: %w", err)
	}
	if f.fixed > BallotFileFixed {
		f.cells[BallotFileFixed] = f.guard(b.Name)
	}
	answers := f.poll.DecodeAnswers(b.OptionIDs)
	for i, o := range f.poll.Options {
		f.cells[f.fixed+i] = string(answers[o.ID])
	}
	return f.out.Write(f.cells)
}

// ballotID is a row's random ID: 80 bits in base32 (A-Z, 2-7), which a
// spreadsheet shows as it is. A base64url ID could begin with "-", which
// spreadsheets read as a formula.
func ballotID() string {
	b := make([]byte, 10)
	rand.Read(b) // never returns an error
	return base32.StdEncoding.EncodeToString(b)
}

// Flush writes what is buffered.
func (f *BallotFile) Flush() error {
	f.out.Flush()
	return f.out.Error()
}

// ReadRankedBallotFile reads a ranked poll's ballot file: the option labels
// (in option ID order) and its ballots as counts per ranking, added up as
// they are read (MergeRankings). Errors name the row.
func ReadRankedBallotFile(r io.Reader) (labels []string, rankings []Ranking, err error) {
	in := csv.NewReader(r)
	in.ReuseRecord = true
	header, err := in.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("ballot file: header: %w", err)
	}
	header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	if len(header) < BallotFileFixed+1 || !slices.Equal(header[:BallotFileFixed], ballotFileHeader) {
		return nil, nil, fmt.Errorf("ballot file: the header must start %s and name the options", strings.Join(ballotFileHeader, ","))
	}
	labels = append([]string(nil), header[BallotFileFixed:]...)
	counts := map[string]*Ranking{}
	for row := 2; ; row++ {
		record, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("ballot file: %w", err)
		}
		ranking, err := RankingFromRanks(record[BallotFileFixed:])
		if err != nil {
			return nil, nil, fmt.Errorf("ballot file: row %d: %w", row, err)
		}
		key := rankingKey(ranking)
		if counts[key] == nil {
			counts[key] = &Ranking{OptionIDs: ranking}
		}
		counts[key].Ballots++
	}
	for _, r := range counts {
		rankings = append(rankings, *r)
	}
	return labels, MergeRankings(rankings), nil
}

// RankingFromRanks turns ranks as typed, ranks[i] being option i+1's
// (empty: not ranked), into the options in rank order. The ranks must run
// 1, 2, 3... without a gap or a repeat; errors say which rule broke, about
// the field option_ids. The ballot page and the ballot file share it.
func RankingFromRanks(ranks []string) ([]int, error) {
	byRank := make([]int, len(ranks)+1)
	n := 0
	for i, typed := range ranks {
		if typed = strings.TrimSpace(typed); typed == "" {
			continue
		}
		rank, err := strconv.Atoi(typed)
		switch {
		case err != nil || rank < 1 || rank > len(ranks):
			return nil, Invalid("option_ids", "rank_invalid", "Option %d has rank %q; a rank is a number from 1 to %d.", i+1, typed, len(ranks))
		case byRank[rank] != 0:
			return nil, Invalid("option_ids", "rank_repeated", "Rank %d is given to two options (%d and %d); give each rank to one option.", rank, byRank[rank], i+1)
		}
		byRank[rank] = i + 1
		n++
	}
	if n == 0 {
		return nil, Invalid("option_ids", "ranking_required", "Rank at least one option.")
	}
	for rank := 1; rank <= n; rank++ {
		if byRank[rank] == 0 {
			return nil, Invalid("option_ids", "rank_missing", "Rank %d is missing: number your choices 1, 2, 3 and so on, without a gap.", rank)
		}
	}
	return byRank[1 : n+1], nil
}

// Recount counts a ranked poll's ballot file as the server counts the
// poll: the options are the file's columns (IDs 1..n), the lot's seed comes
// from the poll's ID and the ballots (RankedSeed).
func Recount(pollID string, file io.Reader) (labels []string, result RankedResult, err error) {
	labels, rankings, err := ReadRankedBallotFile(file)
	if err != nil {
		return nil, RankedResult{}, err
	}
	ids := make([]int, len(labels))
	for i := range ids {
		ids[i] = i + 1
	}
	return labels, countInstantRunoff(ids, rankings, lazySeed(pollID, rankings)), nil
}

// rankingKey is a ranking as a map key.
func rankingKey(ids []int) string {
	b := make([]byte, 0, 2*len(ids))
	for _, id := range ids {
		b = binary.BigEndian.AppendUint16(b, uint16(id))
	}
	return string(b)
}
