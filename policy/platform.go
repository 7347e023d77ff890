// Package policy holds the repository's rule tests: the GitHub Actions
// workflow rules and the planted-problem tests that prove `make scan` fails.
// Its one exported helper reads the CPU architecture that the Terraform
// environments choose, so that the image build and the rule tests take the
// build platform from the same place as the ECS task definition.
package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// platforms maps the ECS runtime_platform cpu_architecture values to OCI platforms.
var platforms = map[string]string{
	"X86_64": "linux/amd64",
	"ARM64":  "linux/arm64",
}

// PlatformFor returns the OCI platform for an ECS cpu_architecture value.
func PlatformFor(cpuArchitecture string) (string, error) {
	p, ok := platforms[cpuArchitecture]
	if !ok {
		return "", fmt.Errorf("cpu_architecture %q: want X86_64 or ARM64", cpuArchitecture)
	}
	return p, nil
}

var (
	variableBlock = regexp.MustCompile(`(?m)^\s*variable\s+"cpu_architecture"\s*\{`)
	defaultValue  = regexp.MustCompile(`(?m)^\s*default\s*=\s*"([^"]*)"`)
)

// CPUArchitecture returns the default of the Terraform variable
// cpu_architecture declared in the variables.tf file at path.
func CPUArchitecture(path string) (string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	loc := variableBlock.FindIndex(src)
	if loc == nil {
		return "", fmt.Errorf("%s: no variable \"cpu_architecture\"", path)
	}
	// The block runs to its matching closing brace.
	depth, end := 0, -1
	for i := loc[1] - 1; i < len(src) && end < 0; i++ {
		switch src[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				end = i
			}
		}
	}
	if end < 0 {
		return "", fmt.Errorf("%s: variable \"cpu_architecture\" is not closed", path)
	}
	m := defaultValue.FindSubmatch(src[loc[1]:end])
	if m == nil {
		return "", fmt.Errorf("%s: variable \"cpu_architecture\" has no string default", path)
	}
	return string(m[1]), nil
}

// ErrNoEnvironments says that envsDir holds no Terraform environment yet:
// there is no task definition whose architecture an image could contradict.
var ErrNoEnvironments = errors.New("no Terraform environment")

// TerraformPlatform returns the OCI platform that every environment under
// envsDir (each <envsDir>/<env>/variables.tf) selects with cpu_architecture.
// The environments must agree: one image serves them all. It returns an
// error wrapping ErrNoEnvironments when no environment has any .tf file.
func TerraformPlatform(envsDir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(envsDir, "*", "variables.tf"))
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		tf, _ := filepath.Glob(filepath.Join(envsDir, "*", "*.tf"))
		if len(tf) == 0 {
			return "", fmt.Errorf("%w under %s", ErrNoEnvironments, envsDir)
		}
		return "", fmt.Errorf("no %s/*/variables.tf: the platform comes from the Terraform variable cpu_architecture", envsDir)
	}
	sort.Strings(files)
	seen := map[string][]string{}
	for _, f := range files {
		arch, err := CPUArchitecture(f)
		if err != nil {
			return "", err
		}
		p, err := PlatformFor(arch)
		if err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		seen[p] = append(seen[p], f)
	}
	if len(seen) != 1 {
		var parts []string
		for p, fs := range seen {
			parts = append(parts, p+" in "+strings.Join(fs, ", "))
		}
		sort.Strings(parts)
		return "", fmt.Errorf("environments disagree on cpu_architecture: %s", strings.Join(parts, "; "))
	}
	for p := range seen {
		return p, nil
	}
	panic("unreachable")
}
