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
	res, err := http.Post(base+"/api/v1/polls", "application/json", strings.NewReader(`{"question": "Load test", "options": ["A", "B"]}`))
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
