// Package platform reads the platform choices that Terraform and the image
// build must agree on. They are declared once, in infra/platform.json: the
// Terraform environments read the file with jsondecode(file(...)) and set the
// ECS task's runtime_platform from it, and cmd/image builds the image for the
// matching OCI platform. Nothing keeps two copies equal, because there is one.
package platform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// File is where the choices live, relative to the repository root.
const File = "infra/platform.json"

// Choices are the platform choices.
type Choices struct {
	Description string `json:"description"`
	// CPUArchitecture is the ECS runtime_platform cpu_architecture: X86_64 or ARM64.
	CPUArchitecture string `json:"cpu_architecture"`
}

// ociPlatforms maps ECS cpu_architecture values to OCI platforms.
var ociPlatforms = map[string]string{
	"X86_64": "linux/amd64",
	"ARM64":  "linux/arm64",
}

// Load reads and checks the choices file at path.
func Load(path string) (Choices, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Choices{}, fmt.Errorf("platform choices: %w", err)
	}
	var c Choices
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Choices{}, fmt.Errorf("platform choices %s: %w", path, err)
	}
	if _, err := OCIPlatform(c.CPUArchitecture); err != nil {
		return Choices{}, fmt.Errorf("platform choices %s: %w", path, err)
	}
	return c, nil
}

// OCIPlatform returns the OCI platform ("linux/amd64") for an ECS
// cpu_architecture value.
func OCIPlatform(cpuArchitecture string) (string, error) {
	p, ok := ociPlatforms[cpuArchitecture]
	if !ok {
		return "", fmt.Errorf("cpu_architecture %q: want X86_64 or ARM64", cpuArchitecture)
	}
	return p, nil
}

// OCIPlatform is the image platform the choices select.
func (c Choices) OCIPlatform() string {
	return ociPlatforms[c.CPUArchitecture]
}
