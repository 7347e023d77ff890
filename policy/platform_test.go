package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTerraformPlatform(t *testing.T) {
	variable := func(arch string) string {
		return "variable \"cpu_architecture\" {\n  description = \"CPU architecture.\"\n  type        = string\n  default     = \"" + arch + "\"\n\n  validation {\n    condition     = contains([\"X86_64\", \"ARM64\"], var.cpu_architecture)\n    error_message = \"X86_64 or ARM64.\"\n  }\n}\n"
	}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    string
		wantErr string
	}{
		{"both x86", map[string]string{"lean/variables.tf": variable("X86_64"), "enterprise/variables.tf": `variable "other" {}` + "\n" + variable("X86_64")}, "linux/amd64", ""},
		{"arm", map[string]string{"lean/variables.tf": variable("ARM64")}, "linux/arm64", ""},
		{"disagree", map[string]string{"lean/variables.tf": variable("X86_64"), "enterprise/variables.tf": variable("ARM64")}, "", "environments disagree"},
		{"unknown", map[string]string{"lean/variables.tf": variable("RISCV")}, "", `cpu_architecture "RISCV"`},
		{"no variable", map[string]string{"lean/variables.tf": `variable "name" {}`}, "", `no variable "cpu_architecture"`},
		{"no default", map[string]string{"lean/variables.tf": "variable \"cpu_architecture\" {\n  type = string\n}\n"}, "", "has no string default"},
		{"no variables.tf", map[string]string{"lean/main.tf": "locals {}\n"}, "", "no "},
		{"no environment", map[string]string{}, "", ErrNoEnvironments.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := TerraformPlatform(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("TerraformPlatform = %q, %v; want an error containing %q", got, err, tc.wantErr)
				}
				if tc.name == "no environment" && !errors.Is(err, ErrNoEnvironments) {
					t.Errorf("error %v does not wrap ErrNoEnvironments", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("TerraformPlatform = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
