// Package repo finds the repository's own files and pinned tools, for tests
// and developer commands that run from any package directory.
package repo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Root is the repository's top directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	// This file is internal/testing/repo/repo.go.
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Path joins elements onto the repository's top directory.
func Path(elem ...string) string {
	return filepath.Join(append([]string{Root()}, elem...)...)
}

// ToolsBin is where `make tools` (scripts/install-tools.sh) installs the
// pinned tools.
func ToolsBin() string { return Path(".tools", "bin") }

// RequireTools puts the pinned tools first on PATH for the test and fails it,
// naming the cure, when one of them is missing. Tests never skip for a
// missing tool: a skip would look like a pass.
func RequireTools(tb testing.TB, tools ...string) {
	tb.Helper()
	tb.Setenv("PATH", ToolsBin()+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s is not installed: %s", tool, installHint(tool))
		}
	}
}

func installHint(tool string) string {
	switch tool {
	case "terraform":
		return "install Terraform 1.11 or later (https://developer.hashicorp.com/terraform/install)"
	case "chromium":
		return "install Chromium (Debian: apt-get install chromium)"
	case "git", "go", "python3", "node", "npm":
		return fmt.Sprintf("install %s from the system's packages", tool)
	}
	return "run `make tools` (scripts/install-tools.sh installs the pinned version into .tools/bin)"
}
