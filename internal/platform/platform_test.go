package platform_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/platform"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name, json, want, wantErr string
	}{
		{"x86", `{"cpu_architecture": "X86_64"}`, "linux/amd64", ""},
		{"arm", `{"description": "d", "cpu_architecture": "ARM64"}`, "linux/arm64", ""},
		{"unknown architecture", `{"cpu_architecture": "RISCV"}`, "", `cpu_architecture "RISCV"`},
		{"missing", `{}`, "", `cpu_architecture ""`},
		{"misspelt key", `{"cpu_arch": "X86_64"}`, "", `unknown field "cpu_arch"`},
		{"not JSON", `cpu_architecture = "X86_64"`, "", "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "platform.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := platform.Load(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load = %+v, %v; want an error containing %q", c, err, tc.wantErr)
				}
				return
			}
			if err != nil || c.OCIPlatform() != tc.want {
				t.Fatalf("Load = %q, %v; want %q", c.OCIPlatform(), err, tc.want)
			}
		})
	}
}

// The repository's own declaration is valid.
func TestRepositoryChoices(t *testing.T) {
	if _, err := platform.Load(repo.Path(platform.File)); err != nil {
		t.Fatal(err)
	}
}
