package checks

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The shipped commands carry only production code: no test suite, test
// helper or developer tool reaches the server or doctor binaries.
func TestProductionImportsNoTestOrTool(t *testing.T) {
	const module = "github.com/pollstack/pollstack"
	// Packages that exist for tests and developer tools only.
	forbidden := []string{
		"testing",
		module + "/storetest",
		module + "/checks",
		module + "/e2e/",
		module + "/cmd/image",
		module + "/cmd/verify-image",
		module + "/cmd/bench",
		// Everything under internal/testing: test support and developer tools.
		module + "/internal/testing/",
		module + "/internal/imagesig",
		// The pipeline's signature checks (cmd/verify-image).
		"github.com/sigstore/",
	}
	for _, cmd := range []string{"./cmd/pollstack", "./cmd/doctor"} {
		list := exec.Command("go", "list", "-deps", cmd)
		list.Dir = repo.Root()
		out, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", cmd, err, out)
		}
		deps := strings.Fields(string(out))
		for _, dep := range deps {
			for _, bad := range forbidden {
				if dep == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad)) || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("%s depends on %s, a test or tool package", cmd, dep)
				}
			}
		}
		if cmd == "./cmd/pollstack" && slices.Contains(deps, module+"/internal/doctor") {
			t.Errorf("the server binary carries doctor: it has its own command, cmd/doctor")
		}
	}
}
