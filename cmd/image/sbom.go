package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// A CycloneDX 1.5 document: only the fields this SBOM fills.
type cdxBOM struct {
	BOMFormat    string          `json:"bomFormat"`
	SpecVersion  string          `json:"specVersion"`
	SerialNumber string          `json:"serialNumber"`
	Version      int             `json:"version"`
	Metadata     cdxMetadata     `json:"metadata"`
	Components   []cdxComponent  `json:"components"`
	Dependencies []cdxDependency `json:"dependencies"`
}

type cdxMetadata struct {
	Timestamp  string        `json:"timestamp"`
	Tools      cdxTools      `json:"tools"`
	Component  cdxComponent  `json:"component"`
	Properties []cdxProperty `json:"properties,omitempty"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	BOMRef     string        `json:"bom-ref,omitempty"`
	Type       string        `json:"type"`
	Name       string        `json:"name"`
	Version    string        `json:"version,omitempty"`
	PURL       string        `json:"purl,omitempty"`
	Hashes     []cdxHash     `json:"hashes,omitempty"`
	Properties []cdxProperty `json:"properties,omitempty"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxDependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

func goPURL(path, version string) string {
	return "pkg:golang/" + path + "@" + version
}

// writeSBOM writes a CycloneDX SBOM of the binary's embedded build
// information: the main module, every module linked into the binary and
// the Go standard library, with the build settings as properties.
func writeSBOM(path string, info *buildinfo.BuildInfo, o BuildOptions, digest v1.Hash, created time.Time) error {
	mainVersion := info.Main.Version
	if mainVersion == "" || mainVersion == "(devel)" {
		mainVersion = "0.0.0-" + o.Revision
	}
	app := cdxComponent{
		BOMRef:  goPURL(info.Main.Path, mainVersion),
		Type:    "application",
		Name:    info.Main.Path,
		Version: mainVersion,
		PURL:    goPURL(info.Main.Path, mainVersion),
		Properties: []cdxProperty{
			{Name: "oci:image:digest", Value: digest.String()},
			{Name: "oci:image:platform", Value: o.Platform},
			{Name: "org.opencontainers.image.source", Value: o.Source},
		},
	}
	var props []cdxProperty
	for _, s := range info.Settings {
		props = append(props, cdxProperty{Name: "go:build:" + s.Key, Value: s.Value})
	}
	stdVersion := strings.TrimPrefix(info.GoVersion, "go")
	std := cdxComponent{BOMRef: goPURL("stdlib", "v"+stdVersion), Type: "library", Name: "stdlib", Version: "v" + stdVersion, PURL: goPURL("stdlib", "v"+stdVersion)}
	comps := []cdxComponent{std}
	deps := []string{std.BOMRef}
	for _, d := range info.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := cdxComponent{BOMRef: goPURL(m.Path, m.Version), Type: "library", Name: m.Path, Version: m.Version, PURL: goPURL(m.Path, m.Version)}
		if m.Sum != "" {
			// The go.sum hash (h1: a SHA-256 over the module's files) has no
			// CycloneDX algorithm of its own; it is kept as a property.
			c.Properties = []cdxProperty{{Name: "go:module:sum", Value: m.Sum}}
		}
		if d.Replace != nil {
			c.Properties = append(c.Properties, cdxProperty{Name: "go:module:replaces", Value: d.Path + "@" + d.Version})
		}
		comps = append(comps, c)
		deps = append(deps, c.BOMRef)
	}
	// The serial number names this SBOM of this image: a UUID (version 8,
	// RFC 9562) from the image digest, so a rebuild writes the same bytes.
	sum := sha256.Sum256([]byte("pollstack SBOM of " + digest.String()))
	serial := sum[:16]
	serial[6] = serial[6]&0x0f | 0x80
	serial[8] = serial[8]&0x3f | 0x80
	bom := cdxBOM{
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.5",
		SerialNumber: fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", serial[0:4], serial[4:6], serial[6:8], serial[8:10], serial[10:]),
		Version:      1,
		Metadata: cdxMetadata{
			Timestamp:  created.Format(time.RFC3339),
			Tools:      cdxTools{Components: []cdxComponent{{Type: "application", Name: "pollstack image builder (debug/buildinfo)"}}},
			Component:  app,
			Properties: props,
		},
		Components:   comps,
		Dependencies: []cdxDependency{{Ref: app.BOMRef, DependsOn: deps}},
	}
	data, err := json.MarshalIndent(bom, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
