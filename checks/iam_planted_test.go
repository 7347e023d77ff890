//go:build integration

package checks

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
)

// A deploy policy that names an action AWS does not have: the iam-policies
// gate renders both environments from a planted copy of infra/
// (POLLSTACK_PLATFORM_INFRA, which e2e/platform renders instead of the
// repository's), validates every IAM document against AWS's data and names
// the action. (The clean run is `make scan`'s own: rendering twice here
// would double the cost; the gate must name the planted action, so a
// failure of anything else does not pass this test.)
func TestScanCatchesAnActionThatDoesNotExist(t *testing.T) {
	requireTools(t, "go", "terraform", "node")
	infra := filepath.Join(t.TempDir(), "infra")
	copyTree(t, repo.Path("infra"), infra)
	policies := filepath.Join(infra, "modules", "cicd", "main.tf")
	data, err := os.ReadFile(policies)
	if err != nil {
		t.Fatal(err)
	}
	first := regexp.MustCompile(`Action\s*=\s*\[`)
	loc := first.FindIndex(data)
	if loc == nil {
		t.Fatal("the cicd module has no Action list to plant into")
	}
	planted := string(data[:loc[1]]) + `"s3:GetObjekt", ` + string(data[loc[1]:])
	writeFile(t, policies, planted)
	t.Setenv("POLLSTACK_PLATFORM_INFRA", infra)
	gates := []string{"iam-policies"}
	out, failed := scan(t, repo.Root(), gates...)
	wantFailed(t, out, failed, gates, map[string][]string{
		"iam-policies": {"action s3:GetObjekt is no action AWS knows", "module.stack.module.cicd."},
	})
}
