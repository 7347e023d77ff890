package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/groupcommit"
)

// Vote queues the ballot for the next group commit and waits until its
// transaction committed.
func (s *Store) Vote(ctx context.Context, b pollstack.Ballot) error {
	err := s.votes.Submit(ctx, b)
	if errors.Is(err, groupcommit.ErrClosed) {
		return pollstack.Unavailable(err)
	}
	return err
}

func byPoll(b pollstack.Ballot) string { return b.PollID }

// storeBallots writes one batch. The rules that need the poll (options,
// single or multiple choice, the voter key of its duplicate check, whether
// it allows changes) are checked first, against a cached copy of the poll
// (see cachedPolls); then one statement, in its own implicit
// transaction, inserts the admitted ballots of the polls that are still open
// (those of "code" polls only with a code the poll has), lets the primary
// key turn a ballot that lost a race into a conflict, replaces the ballots
// that changed and moves the counters; once that has committed, the change
// feed hears of the polls it touched (see notify). Whether a poll is open is
// decided inside that statement, under the poll row's lock, so a vote and a
// close cannot cross; the lock is held for one statement and its commit
// only. A batch with changes first locks its polls in a statement of its own
// (see storeBatchSQL), and a batch in which one voter comes twice (a vote
// and a change racing) takes one statement per round (pollstack.Rounds), all
// in one transaction.
func (s *Store) storeBallots(ctx context.Context, ballots []pollstack.Ballot) ([]error, error) {
	outcomes, stale, err := s.storeOnce(ctx, ballots)
	// An edit came between the admission and the statement: admit those
	// ballots again against the poll as it now is. Edits are by hand, so
	// a second round nearly always finds the version it reads.
	for try := 0; len(stale) > 0 && err == nil; try++ {
		if try == maxEditRetries {
			for _, i := range stale {
				outcomes[i] = pollstack.ErrUnavailable
			}
			break
		}
		again := make([]pollstack.Ballot, len(stale))
		for j, i := range stale {
			again[j] = ballots[i]
			s.forget(ballots[i].PollID)
		}
		var retried []error
		var staleAgain []int
		retried, staleAgain, err = s.storeOnce(ctx, again)
		for j, i := range stale {
			outcomes[i] = retried[j]
		}
		for j := range staleAgain {
			staleAgain[j] = stale[staleAgain[j]]
		}
		stale = staleAgain
	}
	return outcomes, err
}

// maxEditRetries bounds how often a ballot is admitted again because its
// poll was edited meanwhile.
const maxEditRetries = 3

// storeOnce admits and writes a batch once; stale lists the ballots left
// alone because their poll's version changed after they were admitted.
func (s *Store) storeOnce(ctx context.Context, ballots []pollstack.Ballot) (outcomes []error, stale []int, err error) {
	polls, err := s.cachedPolls(ctx, pollstack.PollIDs(ballots))
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	keys, outcomes := pollstack.Admit(ballots, polls, now)
	rounds := pollstack.Rounds(ballots, keys, outcomes)
	if len(rounds) == 0 {
		return outcomes, nil, nil
	}
	var done batchDone
	err = s.with(ctx, func(c *pgxpool.Conn) error {
		return writeRounds(ctx, c, &done, polls, ballots, keys, rounds, outcomes, now)
	})
	if err != nil {
		return nil, nil, markUnavailable(fmt.Errorf("postgres: vote batch: %w", err))
	}
	s.announcer.announce(done.touched) // committed
	for i, b := range ballots {
		p, key := polls[b.PollID], [2]string{b.PollID, keys[i]}
		switch {
		case outcomes[i] != nil:
		case !done.open[b.PollID]:
			outcomes[i] = s.whyNotOpen(ctx, b.PollID)
		case done.stale[key]:
			stale = append(stale, i)
		case b.Change && done.changed[key]:
		case !b.Change && done.stored[key]:
		case p.DuplicateCheck == pollstack.CheckCode && !done.known[key]:
			outcomes[i] = pollstack.ErrInvalidCode
		case b.Change:
			outcomes[i] = pollstack.ErrNotVoted
		default:
			outcomes[i] = p.DuplicateError()
		}
	}
	return outcomes, stale, nil
}

// writeRounds stores the rounds of a batch and commits them. Voters' own
// answers are placed first, under the same poll locks (placeOthers).
func writeRounds(ctx context.Context, c *pgxpool.Conn, done *batchDone, polls map[string]*pollstack.Poll, ballots []pollstack.Ballot, keys []string, rounds [][]int, outcomes []error, now time.Time) error {
	others := writeIns(ballots, outcomes)
	if len(rounds) == 1 && !others && !changes(ballots, outcomes) { // nearly always: one statement, its own transaction
		return done.run(ctx, c, polls, ballots, keys, rounds[0], now)
	}
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		// Lock the polls before the batch statement takes its snapshot:
		// every ballot a change replaces is then as committed, even by
		// another server, since whoever wrote it held the same lock.
		if _, err := tx.Exec(ctx, `SELECT FROM polls WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, pollstack.PollIDs(ballots)); err != nil {
			return err
		}
		if others {
			if err := placeOthers(ctx, tx, polls, ballots, keys, outcomes, now); err != nil {
				return err
			}
			rounds = pollstack.Rounds(ballots, keys, outcomes)
		}
		for _, round := range rounds {
			if err := done.run(ctx, tx, polls, ballots, keys, round, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeIns reports whether a batch has an admitted ballot with the voter's
// own answer.
func writeIns(ballots []pollstack.Ballot, outcomes []error) bool {
	for i, b := range ballots {
		if b.Other != "" && outcomes[i] == nil {
			return true
		}
	}
	return false
}

// placeOthers places the own answers of a batch's admitted ballots
// (pollstack.PlaceOther) among their polls' options, adding new options,
// and adds each answer's option to its ballot; an answer that finds no room
// gets its outcome. The polls are locked (writeRounds), and every vote on
// them takes the same lock, so these reads see every option and ballot
// committed before, and two voters writing the same answer at once make one
// option. A ballot that the batch statement will refuse (poll closed,
// voted already, unknown code) adds nothing.
func placeOthers(ctx context.Context, tx pgx.Tx, polls map[string]*pollstack.Poll, ballots []pollstack.Ballot, keys []string, outcomes []error, now time.Time) error {
	answers := make(map[string][]pollstack.StoredOption) // each poll's options as this batch left them
	for i := range ballots {
		b := &ballots[i]
		if outcomes[i] != nil || b.Other == "" {
			continue
		}
		var takes, voted bool
		err := tx.QueryRow(ctx, `SELECT closed_at IS NULL AND (closes_at IS NULL OR closes_at > $3)
    AND (duplicate_check <> 'code' OR EXISTS (SELECT 1 FROM voter_codes WHERE poll_id = $1 AND code = $2)),
    EXISTS (SELECT 1 FROM ballots WHERE poll_id = $1 AND voter_id = $2)
FROM polls WHERE id = $1`, b.PollID, keys[i], now).Scan(&takes, &voted)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("place answer: %w", err)
		}
		switch {
		case voted: // a ballot without its answer's option must not reach the batch statement
			outcomes[i] = polls[b.PollID].DuplicateError()
			continue
		case !takes:
			continue // the batch statement leaves it out, and storeBallots says why
		}
		options, ok := answers[b.PollID]
		if !ok {
			if options, err = storedOptions(ctx, tx, b.PollID, ""); err != nil {
				return err
			}
		}
		id, added, err := pollstack.PlaceOther(polls[b.PollID], options, b.Other)
		if err != nil {
			outcomes[i] = err
			continue
		}
		if added != nil {
			if _, err := tx.Exec(ctx, `WITH last AS (UPDATE polls SET last_option_id = greatest(last_option_id, $2) WHERE id = $1)
				INSERT INTO options (poll_id, id, label, status) VALUES ($1, $2, $3, $4)`, b.PollID, added.ID, added.Label, string(added.Status)); err != nil {
				return fmt.Errorf("add answer: %w", err)
			}
			options = append(options, *added)
		}
		answers[b.PollID] = options
		b.OptionIDs = pollstack.WithOther(b.OptionIDs, id)
	}
	return nil
}

// storedOptions reads the poll's options with their status and votes; a
// status other than "" keeps those only.
func storedOptions(ctx context.Context, q querier, pollID string, status pollstack.AnswerStatus) ([]pollstack.StoredOption, error) {
	rows, err := q.Query(ctx, `SELECT id, label, status, votes FROM options WHERE poll_id = $1 AND $2 IN ('', status) ORDER BY id`, pollID, string(status))
	if err != nil {
		return nil, fmt.Errorf("read options: %w", err)
	}
	var id int16
	var votes int64
	var label, st string
	var out []pollstack.StoredOption
	_, err = pgx.ForEachRow(rows, []any{&id, &label, &st, &votes}, func() error {
		out = append(out, pollstack.StoredOption{Option: pollstack.Option{ID: int(id), Label: label}, Status: pollstack.AnswerStatus(st), Votes: int(votes)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read options: %w", err)
	}
	return out, nil
}

// PendingAnswers returns the voters' answers that wait for the creator.
func (s *Store) PendingAnswers(ctx context.Context, pollID string) ([]pollstack.StoredOption, error) {
	if _, err := s.Poll(ctx, pollID); err != nil {
		return nil, err
	}
	var out []pollstack.StoredOption
	err := s.with(ctx, func(c *pgxpool.Conn) (err error) {
		out, err = storedOptions(ctx, c, pollID, pollstack.AnswerPending)
		return err
	})
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: pending answers: %w", err))
	}
	return out, nil
}

// ReviewAnswer approves or rejects a pending answer and tells the change
// feed, in one statement.
func (s *Store) ReviewAnswer(ctx context.Context, pollID string, optionID int, approve bool) error {
	status := pollstack.AnswerRejected
	if approve {
		status = pollstack.AnswerApproved
	}
	err := s.execOne(ctx, "review answer", `WITH reviewed AS (UPDATE options SET status = $3 WHERE poll_id = $1 AND id = $2 AND status = 'pending' RETURNING poll_id)
SELECT pg_notify('`+changesChannel+`', poll_id) FROM reviewed`, pollID, optionID, string(status))
	if errors.Is(err, pollstack.ErrPollNotFound) {
		return pollstack.ErrAnswerNotPending
	}
	return err
}

// changes reports whether a batch has an admitted change.
func changes(ballots []pollstack.Ballot, outcomes []error) bool {
	for i, b := range ballots {
		if b.Change && outcomes[i] == nil {
			return true
		}
	}
	return false
}

// batchDone is what the batch statement reported: the open polls, the polls
// it stored or changed ballots of, and by (poll, voter key) the ballots
// stored and changed and the voter codes found.
type batchDone struct {
	open, touched          map[string]bool
	stored, changed, known map[[2]string]bool
	stale                  map[[2]string]bool
}

// run writes one round of a batch (the ballots at the indexes) with
// storeBatchSQL, and records what it did.
func (d *batchDone) run(ctx context.Context, q querier, polls map[string]*pollstack.Poll, ballots []pollstack.Ballot, keys []string, round []int, now time.Time) error {
	if d.open == nil {
		d.open, d.touched = map[string]bool{}, map[string]bool{}
		d.stored, d.changed, d.known = map[[2]string]bool{}, map[[2]string]bool{}, map[[2]string]bool{}
		d.stale = map[[2]string]bool{}
	}
	var pollIDs, voterKeys, options, kinds, names, receipts []string
	var versions []int32
	for _, i := range round {
		kind := "vote"
		if ballots[i].Change {
			kind = "change"
		}
		pollIDs, voterKeys = append(pollIDs, ballots[i].PollID), append(voterKeys, keys[i])
		options, kinds = append(options, joinInts(ballots[i].OptionIDs)), append(kinds, kind)
		names, receipts = append(names, ballots[i].Name), append(receipts, hex.EncodeToString(ballots[i].ReceiptDigest))
		versions = append(versions, int32(polls[ballots[i].PollID].Version))
	}
	rows, err := q.Query(ctx, storeBatchSQL, pollIDs, voterKeys, options, now, kinds, names, receipts, versions)
	if err != nil {
		return err
	}
	var kind, pollID, voterKey string
	_, err = pgx.ForEachRow(rows, []any{&kind, &pollID, &voterKey}, func() error {
		switch kind {
		case "open":
			d.open[pollID] = true
		case "stored":
			d.stored[[2]string{pollID, voterKey}] = true
			d.touched[pollID] = true
		case "changed":
			d.changed[[2]string{pollID, voterKey}] = true
			d.touched[pollID] = true
		case "code":
			d.known[[2]string{pollID, voterKey}] = true
		case "stale":
			d.stale[[2]string{pollID, voterKey}] = true
		}
		return nil
	})
	return err
}

// storeBatchSQL stores a batch: $1, $2, $3, $5, $6, $7, $8 are one row per
// ballot (poll, voter key, options as "1,3", 'vote' or 'change', a meeting
// participant's name or empty, a verifiable poll's receipt digest in hex or
// empty, and the poll version the ballot was admitted against), $4 is the
// time; a
// voter key appears once per poll (pollstack.Rounds). It answers one row per
// open poll ('open', id), per stored ballot ('stored', poll, voter key), per
// changed ballot ('changed', poll, voter key), and per voter code found,
// used or not ('code', poll, code key), and per ballot admitted against
// another version than the poll now has ('stale', poll, voter key), which
// it leaves alone: an edit came between.
//
// A voter code is looked up only for ballots of "code" polls, one index
// probe each; the ballot's poll check comes from the locked poll row, so the
// foreign keys that hold the duplicate-check rules are always met.
//
// A change replaces a ballot as this statement's snapshot shows it, so its
// batch runs after a statement of its own has locked the polls (see
// storeBallots): in READ COMMITTED the snapshot, taken after the lock, holds
// every change committed by anyone, and nobody can change these ballots until
// this transaction commits. (Within this statement alone, the snapshot
// predates the wait on the poll lock: a change committed meanwhile by another
// server would be counted away twice; TestChangesAcrossServers catches it.)
// The counters move by the new options minus the old (a meeting ballot's
// negative IDs move if_need_be, pollstack.EncodeAnswers); so do a ranked poll's
// counts per ranking (rankings), a rising count by an upsert and a falling
// one by an update, so that the schema's "never below zero" holds on every
// row written, each moved once per batch.
const storeBatchSQL = `
WITH open AS (
    SELECT id, duplicate_check, ranked, version FROM polls
    WHERE id = ANY($1) AND closed_at IS NULL AND (closes_at IS NULL OR closes_at > $4)
    ORDER BY id FOR NO KEY UPDATE
), batch AS (
    SELECT b.poll_id, b.voter_id, b.options, b.kind, nullif(b.name, '') AS name, o.duplicate_check,
        decode(nullif(b.receipt, ''), 'hex') AS receipt_digest,
        o.version = b.version AS current,
        o.duplicate_check = 'code' AND EXISTS (
            SELECT 1 FROM voter_codes c WHERE c.poll_id = b.poll_id AND c.code = b.voter_id) AS known_code
    FROM unnest($1::text[], $2::text[], $3::text[], $5::text[], $6::text[], $7::text[], $8::int[]) AS b (poll_id, voter_id, options, kind, name, receipt, version)
    JOIN open o ON o.id = b.poll_id
), inserted AS (
    INSERT INTO ballots (poll_id, voter_id, option_ids, created_at, duplicate_check, code, name, receipt_digest)
    SELECT poll_id, voter_id, string_to_array(options, ',')::smallint[], $4, duplicate_check,
        CASE WHEN known_code THEN voter_id END, name, receipt_digest
    FROM batch
    WHERE kind = 'vote' AND current AND (duplicate_check <> 'code' OR known_code)
    ON CONFLICT DO NOTHING
    RETURNING poll_id, voter_id, option_ids
), replaced AS (
    SELECT bl.poll_id, bl.voter_id, bl.option_ids, string_to_array(b.options, ',')::smallint[] AS new_ids, b.name
    FROM ballots bl JOIN batch b ON b.poll_id = bl.poll_id AND b.voter_id = bl.voter_id
    WHERE b.kind = 'change' AND b.current
), changed AS (
    UPDATE ballots bl SET option_ids = r.new_ids, changed_at = $4, name = r.name
    FROM replaced r
    WHERE bl.poll_id = r.poll_id AND bl.voter_id = r.voter_id
    RETURNING bl.poll_id, bl.voter_id, r.option_ids AS old_ids, r.new_ids
), counted_polls AS (
    UPDATE polls SET ballots = ballots + d.n, last_vote_at = $4
    FROM (SELECT poll_id, count(*) AS n FROM inserted GROUP BY poll_id) AS d
    WHERE polls.id = d.poll_id
), counted_options AS (
    UPDATE options SET votes = options.votes + d.yes, if_need_be = options.if_need_be + d.if_need_be
    FROM (
        SELECT poll_id, abs(option_id) AS option_id,
            coalesce(sum(n) FILTER (WHERE option_id > 0), 0) AS yes,
            coalesce(sum(n) FILTER (WHERE option_id < 0), 0) AS if_need_be
        FROM (
            SELECT poll_id, unnest(option_ids) AS option_id, 1 AS n FROM inserted
            UNION ALL SELECT poll_id, unnest(new_ids), 1 FROM changed
            UNION ALL SELECT poll_id, unnest(old_ids), -1 FROM changed
        ) AS moves GROUP BY poll_id, abs(option_id)
    ) AS d
    WHERE (d.yes <> 0 OR d.if_need_be <> 0) AND options.poll_id = d.poll_id AND options.id = d.option_id
), ranking_moves AS (
    SELECT m.poll_id, m.ranking, sum(m.n) AS n FROM (
        SELECT poll_id, option_ids AS ranking, 1 AS n FROM inserted
        UNION ALL SELECT poll_id, new_ids, 1 FROM changed
        UNION ALL SELECT poll_id, old_ids, -1 FROM changed
    ) AS m JOIN open o ON o.id = m.poll_id AND o.ranked
    GROUP BY m.poll_id, m.ranking HAVING sum(m.n) <> 0
), rankings_up AS (
    INSERT INTO rankings (poll_id, ranking, ballots)
    SELECT poll_id, ranking, n FROM ranking_moves WHERE n > 0
    ON CONFLICT (poll_id, ranking) DO UPDATE SET ballots = rankings.ballots + excluded.ballots
), rankings_down AS (
    UPDATE rankings SET ballots = rankings.ballots + d.n
    FROM ranking_moves d
    WHERE d.n < 0 AND rankings.poll_id = d.poll_id AND rankings.ranking = d.ranking
)
SELECT 'open', id, '' FROM open
UNION ALL
SELECT 'stored', poll_id, voter_id FROM inserted
UNION ALL
SELECT 'changed', poll_id, voter_id FROM changed
UNION ALL
SELECT 'code', poll_id, voter_id FROM batch WHERE known_code
UNION ALL
SELECT 'stale', poll_id, voter_id FROM batch WHERE NOT current`

func joinInts(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, ",")
}

// BallotOf returns the options of the poll's ballot under the voter key.
func (s *Store) BallotOf(ctx context.Context, pollID, voterKey string) ([]int, error) {
	var options []int16
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT option_ids FROM ballots WHERE poll_id = $1 AND voter_id = $2`, pollID, voterKey).Scan(&options)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, pollstack.ErrNotVoted
	}
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgres: ballot: %w", err))
	}
	return fromInt16s(options), nil
}

// NameOf returns the name on the ballot under the voter key.
func (s *Store) NameOf(ctx context.Context, pollID, voterKey string) (string, error) {
	var name string
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT coalesce(name, '') FROM ballots WHERE poll_id = $1 AND voter_id = $2`, pollID, voterKey).Scan(&name)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", pollstack.ErrNotVoted
	}
	if err != nil {
		return "", markUnavailable(fmt.Errorf("postgres: name: %w", err))
	}
	return name, nil
}

// HasVoted reports whether the poll has a ballot under the voter key.
func (s *Store) HasVoted(ctx context.Context, pollID, voterKey string) (bool, error) {
	var voted bool
	err := s.with(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ballots WHERE poll_id = $1 AND voter_id = $2)`, pollID, voterKey).Scan(&voted)
	})
	if err != nil {
		return false, markUnavailable(fmt.Errorf("postgres: has voted: %w", err))
	}
	return voted, nil
}
