// Command pollstack runs the polling server and its operational tools.
// This is the only package that knows every adapter: it reads the
// configuration, opens a store and wires it into the web server.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	_ "golang.org/x/crypto/x509roots/fallback" // CA roots for images without /etc/ssl
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	// The first signal starts the drain; a second one (an impatient Ctrl-C)
	// gets the default behaviour and ends the process at once.
	go func() { <-ctx.Done(); stop() }()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "recount":
		return runRecount(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "pollstack", version())
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "pollstack: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
}

// revision is the commit the binary was built from, when the build says so
// (cmd/image: -ldflags -X main.revision=..., with Go's VCS stamp off).
var revision string

// version is the module version and VCS revision the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if len(revision) >= 12 {
		return v + " " + revision[:12]
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
