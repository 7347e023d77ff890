package checks

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The heavy suites' build tag only adds files: `make lint` vets the tree
// once, with the tag, and that sees every file only while no file is left
// out by it (//go:build !integration) or by another constraint.
func TestBuildTagOnlyAddsFiles(t *testing.T) {
	constraint := regexp.MustCompile(`(?m)^//go:build (.+)$`)
	root := repo.Root()
	for _, name := range strings.Split(strings.TrimSpace(goFileList(t, root)), "\n") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			continue // deleted in the work tree
		}
		if m := constraint.FindSubmatch(data); m != nil && string(m[1]) != "integration" {
			t.Errorf("%s: //go:build %s: `make lint` (vet with -tags integration) would not see every file", name, m[1])
		}
	}
}
