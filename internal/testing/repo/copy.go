package repo

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CopyTree copies a file, or a folder with what it holds, to dst, for a
// test that changes, applies or scans a copy of the repository's files.
// Only what is the project's is copied: not the working folders of a run
// (.terraform, .tools), links (a plugin cache's), Terraform state, or
// variable files named for secrets. Other dot folders are the project's
// (the planted workflows' .github). Modes are kept, so scripts stay
// executable.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		name := d.Name()
		switch {
		case d.IsDir() && (name == ".terraform" || name == ".tools"):
			return filepath.SkipDir
		case d.Type()&fs.ModeSymlink != 0,
			strings.HasSuffix(name, ".tfstate"), strings.HasSuffix(name, ".tfstate.backup"),
			strings.HasSuffix(name, ".tfvars") && strings.Contains(name, "secret"):
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}
