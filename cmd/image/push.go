package main

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push writes the image in the archive to repo by digest, adds tag when it
// is given, and returns repo@sha256:.... A tag that already exists must
// name the same digest (ECR tags are immutable). opts carry the
// registry's credentials (imagesig.RegistryAuth).
func Push(archive, repo, tag string, opts ...remote.Option) (name.Digest, error) {
	dir, err := os.MkdirTemp("", "pollstack-push-")
	if err != nil {
		return name.Digest{}, err
	}
	defer os.RemoveAll(dir)
	img, _, err := OpenArchive(archive, dir)
	if err != nil {
		return name.Digest{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	r, err := name.NewRepository(repo)
	if err != nil {
		return name.Digest{}, fmt.Errorf("repository %q: %w", repo, err)
	}
	ref := r.Digest(digest.String())
	if err := remote.Write(ref, img, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("push %s: %w", ref, err)
	}
	if tag != "" {
		t := r.Tag(tag)
		if existing, err := remote.Head(t, opts...); err == nil {
			if existing.Digest != digest {
				return name.Digest{}, fmt.Errorf("tag %s already names %s, not %s", t, existing.Digest, digest)
			}
		} else if err := remote.Tag(t, img, opts...); err != nil {
			return name.Digest{}, fmt.Errorf("tag %s: %w", t, err)
		}
	}
	return ref, nil
}
