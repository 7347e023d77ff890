package doctor

import (
	"errors"
	"testing"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestParseECRImage(t *testing.T) {
	tests := []struct {
		ref    string
		ok     bool
		repo   string
		tag    string
		digest string
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/pollstack:v1", true, "pollstack", "v1", ""},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/pollstack", true, "team/pollstack", "latest", ""},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/pollstack@sha256:" + sixtyFour, true, "pollstack", "", "sha256:" + sixtyFour},
		{"public.ecr.aws/nginx/nginx:1", false, "", "", ""},
		{"nginx:latest", false, "", "", ""},
	}
	for _, tt := range tests {
		img, ok := parseECRImage(tt.ref)
		if ok != tt.ok || img.repository != tt.repo || img.tag != tt.tag || img.digest != tt.digest {
			t.Errorf("parseECRImage(%q) = %+v, %v", tt.ref, img, ok)
		}
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestImagePlatforms(t *testing.T) {
	amd64 := Platform{OS: "linux", Architecture: "amd64"}
	arm64 := Platform{OS: "linux", Architecture: "arm64"}
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
	  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
	  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b","size":1,"platform":{"os":"unknown","architecture":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest"}}]}`
	single := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:c","size":1},"layers":[]}`
	tests := []struct {
		name      string
		mediaType string
		manifest  string
		config    string
		task      Platform
		want      bool
	}{
		{"arm64 index on an X86_64 task", mediaOCIIndex, index, "", amd64, false},
		{"arm64 index on an ARM64 task", "", index, "", arm64, true},
		{"single amd64 manifest", mediaOCIManifest, single, `{"architecture":"amd64","os":"linux"}`, amd64, true},
		{"single arm64 manifest", mediaOCIManifest, single, `{"architecture":"arm64","os":"linux"}`, amd64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plats, err := imagePlatforms(tt.mediaType, tt.manifest, func(string) ([]byte, error) {
				if tt.config == "" {
					return nil, errors.New("unexpected config read")
				}
				return []byte(tt.config), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, p := range plats {
				got = got || platformMatches(p, tt.task)
			}
			if got != tt.want {
				t.Errorf("platforms %v on %v: got %v, want %v", plats, tt.task, got, tt.want)
			}
		})
	}
}

func TestTaskPlatform(t *testing.T) {
	if got := TaskPlatform(nil).String(); got != "linux/amd64" {
		t.Errorf("default = %s", got)
	}
	if got := TaskPlatform(&ecstypes.RuntimePlatform{CpuArchitecture: ecstypes.CPUArchitectureArm64, OperatingSystemFamily: ecstypes.OSFamilyLinux}).String(); got != "linux/arm64" {
		t.Errorf("arm64 = %s", got)
	}
}

func TestAudienceOK(t *testing.T) {
	tests := []struct {
		ids  []string
		want bool
	}{
		{[]string{"sts.amazonaws.com"}, true},
		{[]string{"sts.amazonaw.com"}, false},
		{[]string{"sts.amazonaws.com", "sigstore"}, false},
		{nil, false},
		{[]string{"STS.amazonaws.com"}, false},
	}
	for _, tt := range tests {
		if got := audienceOK(tt.ids); got != tt.want {
			t.Errorf("audienceOK(%q) = %v, want %v", tt.ids, got, tt.want)
		}
	}
}
