//go:build integration

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

// The same commit, built twice by scripts/image.sh (as `make image` and CI
// build it) from two clones at different paths, one with an untracked
// file, in environments that differ in everything a build could leak
// (GOAMD64, GOFLAGS, CGO_ENABLED, the repository a fork's CI names, the
// time zone and locale), gives the same archive byte for byte: the same
// image digest and the same SBOM.
func TestRebuildIsReproducible(t *testing.T) {
	repo.RequireTools(t, "git", "go", "bash")
	head := strings.TrimSpace(runIn(t, repo.Root(), nil, "git", "rev-parse", "HEAD"))
	if dirty := runIn(t, repo.Root(), nil, "git", "status", "--porcelain", "--untracked-files=no"); dirty != "" {
		t.Logf("note: the clones build HEAD (%s), not the uncommitted changes:\n%s", head[:12], dirty)
	}
	envs := [][]string{
		{"GITHUB_SHA=" + head, "TZ=UTC", "LANG=C"},
		{"GITHUB_SHA=" + head, "TZ=Pacific/Auckland", "LANG=de_DE.UTF-8", "GOAMD64=v2", "GOFLAGS=-trimpath",
			"CGO_ENABLED=1", "GITHUB_REPOSITORY=mallory/pollstack", "GITHUB_SERVER_URL=https://github.example", "SOURCE_DATE_EPOCH=1"},
	}
	var sums [2][2]string
	for i, env := range envs {
		clone := filepath.Join(t.TempDir(), []string{"a", "clone-at-another-path"}[i])
		runIn(t, "", nil, "git", "clone", "-q", repo.Root(), clone)
		runIn(t, clone, nil, "git", "checkout", "-q", head)
		if i == 1 {
			writeUntracked(t, filepath.Join(clone, "cmd", "pollstack", "notes.txt"))
		}
		runIn(t, clone, env, "bash", "scripts/image.sh")
		for j, f := range []string{"dist/pollstack.oci.tar", "dist/pollstack.cdx.json"} {
			sums[i][j] = fileSHA256(t, filepath.Join(clone, f))
		}
		if i == 0 {
			figures.Print(t, "image digest %s", strings.TrimSpace(runIn(t, clone, nil, "go", "run", "./cmd/image", "digest")))
		}
	}
	if sums[0] != sums[1] {
		t.Errorf("two builds of %s differ: archive %s vs %s, SBOM %s vs %s", head[:12], sums[0][0], sums[1][0], sums[0][1], sums[1][1])
	}
}

// runIn runs a command in dir with extra environment and returns its output.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

func writeUntracked(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("an untracked file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
