//go:build integration

package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/repo"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// ctrlC runs `make run` on a terminal (a pseudo-terminal that python3's pty
// module opens), waits for the server to start, presses Ctrl-C (SIGINT to
// the foreground process group, as a terminal does) and prints all the
// terminal showed.
const ctrlC = `
import os, pty, select, signal, subprocess, sys, time
master, slave = pty.openpty()
env = dict(os.environ, POLLSTACK_ADDR=sys.argv[1], DATABASE_URL=sys.argv[2])
p = subprocess.Popen(["make", "--no-print-directory", "-C", sys.argv[3], "run"], stdin=slave, stdout=slave, stderr=slave,
    start_new_session=True, env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
out, deadline = b"", time.time() + 120
def read(wait):
    global out
    while select.select([master], [], [], wait)[0]:
        try:
            out += os.read(master, 4096)
        except OSError:
            return
        if b"started" in out and wait > 0.2:
            return
read(1)
while b"started" not in out and time.time() < deadline and p.poll() is None:
    read(1)
os.killpg(p.pid, signal.SIGINT)
p.wait()
read(0.5)
sys.stdout.write(out.decode())
`

// make run, as a person uses it: logs as text lines on the terminal, no
// CloudWatch metric lines, a server key that outlives the process (so that
// browsers keep their polls), and Ctrl-C ends it without an error from make.
func TestMakeRunOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("install python3: the test opens a terminal with its pty module")
	}
	addr := servertest.FreeAddr(t)
	out, err := exec.Command("python3", "-c", ctrlC, addr, "sqlite:"+filepath.Join(t.TempDir(), "run.db"), repo.Root()).CombinedOutput()
	if err != nil {
		t.Fatalf("make run: %v\n%s", err, out)
	}
	shown := string(out)
	for _, want := range []string{"level=INFO msg=started addr=" + addr, "msg=stopped"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the terminal lacks %q:\n%s", want, shown)
		}
	}
	for _, unwanted := range []string{`{"time"`, "CloudWatchMetrics", "make: ***", "no server key configured"} {
		if strings.Contains(shown, unwanted) {
			t.Errorf("the terminal shows %q:\n%s", unwanted, shown)
		}
	}
}
