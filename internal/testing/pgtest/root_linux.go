package pgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// PostgreSQL refuses to run as root, and CI runs as root: run its binaries
// as the unprivileged user nobody, owning the temporary directory.
const nobody = 65534

func asNobody(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.Dir = os.TempDir()
}

func chownNobody(dir string) error {
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, nobody, nobody)
	})
}
