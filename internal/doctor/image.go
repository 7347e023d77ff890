package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Media types of image manifests and indexes.
const (
	mediaOCIIndex     = "application/vnd.oci.image.index.v1+json"
	mediaOCIManifest  = "application/vnd.oci.image.manifest.v1+json"
	mediaDockerList   = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaDockerSchema = "application/vnd.docker.distribution.manifest.v2+json"
)

// Platform is an OS and CPU architecture in OCI terms (linux/amd64).
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// TaskPlatform returns the platform an ECS task runs on; ECS defaults to
// LINUX and X86_64 when the task definition names none.
func TaskPlatform(rp *ecstypes.RuntimePlatform) Platform {
	p := Platform{OS: "linux", Architecture: "amd64"}
	if rp == nil {
		return p
	}
	if rp.CpuArchitecture == ecstypes.CPUArchitectureArm64 {
		p.Architecture = "arm64"
	}
	if f := string(rp.OperatingSystemFamily); f != "" && f != "LINUX" {
		p.OS = "windows"
	}
	return p
}

// ecrImage is an image reference in an ECR registry.
type ecrImage struct {
	registry, region, repository, tag, digest string
}

var ecrRef = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$`)

// parseECRImage parses an ECR image reference; ok is false for images in
// other registries.
func parseECRImage(ref string) (ecrImage, bool) {
	m := ecrRef.FindStringSubmatch(ref)
	if m == nil {
		return ecrImage{}, false
	}
	img := ecrImage{registry: m[1], region: m[2], repository: m[3], tag: m[4], digest: m[5]}
	if img.tag == "" && img.digest == "" {
		img.tag = "latest"
	}
	return img, true
}

// imagePlatforms returns the platforms an image manifest or index offers.
// For a single manifest it needs the config blob, read through fetchConfig.
func imagePlatforms(mediaType, manifest string, fetchConfig func(digest string) ([]byte, error)) ([]Platform, error) {
	var m struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			MediaType string            `json:"mediaType"`
			Platform  *Platform         `json:"platform"`
			Annot     map[string]string `json:"annotations"`
		} `json:"manifests"`
		Config *struct {
			Digest string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		return nil, fmt.Errorf("parse image manifest: %w", err)
	}
	if mediaType == "" {
		mediaType = m.MediaType
	}
	switch {
	case mediaType == mediaOCIIndex || mediaType == mediaDockerList || (m.Manifests != nil && m.Config == nil):
		var out []Platform
		for _, e := range m.Manifests {
			// Attestation manifests (buildx provenance) carry unknown/unknown.
			if e.Platform == nil || e.Platform.OS == "unknown" || e.Annot["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			out = append(out, *e.Platform)
		}
		return out, nil
	case m.Config != nil:
		blob, err := fetchConfig(m.Config.Digest)
		if err != nil {
			return nil, fmt.Errorf("read image config %s: %w", m.Config.Digest, err)
		}
		var p Platform
		if err := json.Unmarshal(blob, &p); err != nil {
			return nil, fmt.Errorf("parse image config: %w", err)
		}
		return []Platform{p}, nil
	}
	return nil, fmt.Errorf("unknown image manifest media type %q", mediaType)
}

// platformMatches reports whether an image platform runs on the task's.
func platformMatches(img, task Platform) bool {
	if img.OS != task.OS || img.Architecture != task.Architecture {
		return false
	}
	// arm64 images may say v8; ECS Graviton runs arm64/v8.
	return task.Variant == "" || img.Variant == "" || img.Variant == task.Variant
}

func (d *deployment) checkImagePlatform(ctx context.Context) Check {
	want := TaskPlatform(d.taskDef.RuntimePlatform)
	var faults, fixes, checked []string
	for _, c := range d.taskDef.ContainerDefinitions {
		ref := aws.ToString(c.Image)
		img, isECR := parseECRImage(ref)
		if !isECR {
			checked = append(checked, fmt.Sprintf("%s (not in ECR, not checked)", ref))
			continue
		}
		id := ecrtypes.ImageIdentifier{}
		if img.digest != "" {
			id.ImageDigest = aws.String(img.digest)
		} else {
			id.ImageTag = aws.String(img.tag)
		}
		client := d.ecr
		if img.region != d.region {
			client = ecr.NewFromConfig(d.cfg, func(o *ecr.Options) { o.Region = img.region })
		}
		out, err := client.BatchGetImage(ctx, &ecr.BatchGetImageInput{
			RegistryId:         aws.String(img.registry),
			RepositoryName:     aws.String(img.repository),
			ImageIds:           []ecrtypes.ImageIdentifier{id},
			AcceptedMediaTypes: []string{mediaOCIIndex, mediaDockerList, mediaOCIManifest, mediaDockerSchema},
		})
		if err != nil {
			return errored(ImagePlatform, fmt.Errorf("read image %s from ECR: %w", ref, err))
		}
		if len(out.Images) == 0 {
			reason := "not found"
			if len(out.Failures) > 0 {
				reason = aws.ToString(out.Failures[0].FailureReason)
			}
			faults = append(faults, fmt.Sprintf("image %s of container %s is not in ECR (%s)", ref, aws.ToString(c.Name), reason))
			fixes = append(fixes, "push the image for "+want.String()+" or point the task definition at a tag that exists")
			continue
		}
		im := out.Images[0]
		plats, err := imagePlatforms(aws.ToString(im.ImageManifestMediaType), aws.ToString(im.ImageManifest), func(digest string) ([]byte, error) {
			return d.blob(ctx, client, img, digest)
		})
		if err != nil {
			return errored(ImagePlatform, fmt.Errorf("image %s: %w", ref, err))
		}
		match := false
		var names []string
		for _, p := range plats {
			names = append(names, p.String())
			if platformMatches(p, want) {
				match = true
			}
		}
		if !match {
			faults = append(faults, fmt.Sprintf("image %s of container %s is built for %s but the task runs on %s (runtimePlatform %s)",
				ref, aws.ToString(c.Name), orNone(names), want, archWord(want)))
			fixes = append(fixes, fmt.Sprintf("rebuild and push the image for %s (the same variable feeds the task definition's cpu_architecture and the pipeline's build platform), or change the task's runtimePlatform to match", want))
			continue
		}
		checked = append(checked, fmt.Sprintf("%s offers %s", ref, strings.Join(names, ", ")))
	}
	if len(faults) > 0 {
		return failed(ImagePlatform, strings.Join(faults, "; "), strings.Join(dedupe(fixes), "; "))
	}
	return ok(ImagePlatform, "task runs on %s; %s", want, strings.Join(checked, "; "))
}

// blob reads a blob (the image config) through ECR's layer download URL.
func (d *deployment) blob(ctx context.Context, client *ecr.Client, img ecrImage, digest string) ([]byte, error) {
	out, err := client.GetDownloadUrlForLayer(ctx, &ecr.GetDownloadUrlForLayerInput{
		RegistryId: aws.String(img.registry), RepositoryName: aws.String(img.repository), LayerDigest: aws.String(digest),
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, aws.ToString(out.DownloadUrl), nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET config blob: %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

func archWord(p Platform) string {
	if p.Architecture == "arm64" {
		return "ARM64"
	}
	return "X86_64"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no platform"
	}
	return strings.Join(s, ", ")
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func defaultHTTPClient() aws.HTTPClient { return http.DefaultClient }
