package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
)

// CreatePoll creates a two-option poll through the API at base and returns its id.
func CreatePoll(base string) (string, error) {
	return createPoll(base, `{"question": "Load test", "options": ["A", "B"]}`)
}

// RankedOptions is how many options a poll of CreateRankedPoll has.
const RankedOptions = 5

// CreateRankedPoll creates a ranked poll of RankedOptions options.
func CreateRankedPoll(base string) (string, error) {
	return createPoll(base, `{"question": "Load test", "options": ["A", "B", "C", "D", "E"], "kind": "ranked"}`)
}

// rankingBody is the ballot of vote number n on a ranked poll: the first
// 1..RankedOptions options of the n-th permutation, so that a run gives
// every ranking (325 of them) and results count over all of them.
func rankingBody(n int) string {
	options := []string{"1", "2", "3", "4", "5"}
	for i := len(options) - 1; i > 0; i-- { // the n-th permutation, in factorial base
		j := n % (i + 1)
		n /= i + 1
		options[i], options[j] = options[j], options[i]
	}
	return `{"option_ids":[` + strings.Join(options[:1+n%RankedOptions], ",") + `]}`
}

func createPoll(base, body string) (string, error) {
	res, err := http.Post(base+"/api/v1/polls", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var p struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create poll: status %d: %v", res.StatusCode, err)
	}
	return p.ID, nil
}

// PostgresBallots reads every stored ballot of the polls from the database
// at dbURL, for Compare, and checks that each poll's counter equals its
// stored ballots.
func PostgresBallots(ctx context.Context, dbURL string, polls []string) ([]Ballot, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT poll_id, voter_id FROM ballots WHERE poll_id = ANY($1)`, polls)
	var out []Ballot
	var b Ballot
	if _, err := pgx.ForEachRow(rows, []any{&b.Poll, &b.Voter}, func() error { out = append(out, b); return nil }); err != nil {
		return nil, err
	}
	var counters int
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(ballots), 0) FROM polls WHERE id = ANY($1)`, polls).Scan(&counters); err != nil {
		return nil, err
	}
	if counters != len(out) {
		return out, fmt.Errorf("the polls' counters add up to %d, their stored ballots to %d", counters, len(out))
	}
	return out, nil
}
