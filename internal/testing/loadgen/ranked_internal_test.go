package loadgen

import (
	"encoding/json"
	"slices"
	"testing"
)

// A run's ranked ballots are valid rankings, and 600 votes give every one
// of the 325 rankings of five options.
func TestRankingBodyGivesEveryRanking(t *testing.T) {
	seen := map[string]bool{}
	for n := range 600 {
		var b struct {
			OptionIDs []int `json:"option_ids"`
		}
		if err := json.Unmarshal([]byte(rankingBody(n)), &b); err != nil {
			t.Fatal(err)
		}
		sorted := slices.Sorted(slices.Values(b.OptionIDs))
		if len(b.OptionIDs) < 1 || len(slices.Compact(sorted)) != len(b.OptionIDs) || sorted[0] < 1 || sorted[len(sorted)-1] > RankedOptions {
			t.Fatalf("vote %d: %v is no ranking of %d options", n, b.OptionIDs, RankedOptions)
		}
		seen[rankingBody(n)] = true
	}
	if len(seen) != 325 {
		t.Errorf("600 votes gave %d rankings, want all 325", len(seen))
	}
}
