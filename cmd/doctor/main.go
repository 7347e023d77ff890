// Command doctor checks a live pollstack deployment on AWS for the known
// failure classes (docs/runbook.md) and prints one line per class, then
// the stack's alarms in ALARM with their runbook sections. It is its
// own binary so that the server image carries only the server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pollstack/pollstack/internal/doctor"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(runDoctor(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// runDoctor is the doctor command: it checks a live
// deployment for the known failure classes and prints one line per class.
// It returns 0 when everything is fine, 1 when anything is wrong or could
// not be checked, and 2 for bad flags.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c doctor.Config
	fs.StringVar(&c.Cluster, "cluster", os.Getenv("POLLSTACK_CLUSTER"), "ECS cluster name or ARN (env POLLSTACK_CLUSTER)")
	fs.StringVar(&c.Service, "service", os.Getenv("POLLSTACK_SERVICE"), "ECS service name or ARN (env POLLSTACK_SERVICE)")
	fs.StringVar(&c.Region, "region", os.Getenv("AWS_REGION"), "AWS region (env AWS_REGION)")
	fs.StringVar(&c.EndpointURL, "endpoint-url", os.Getenv("AWS_ENDPOINT_URL"), "one endpoint for every AWS service, for emulators (env AWS_ENDPOINT_URL)")
	fs.StringVar(&c.AlarmPrefix, "alarm-prefix", os.Getenv("POLLSTACK_ALARM_PREFIX"), "report the alarms in ALARM whose names start with this (env POLLSTACK_ALARM_PREFIX); empty: the cluster's name and a hyphen")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: doctor --cluster NAME --service NAME [--region REGION] [--endpoint-url URL] [--alarm-prefix PREFIX] [--json] [--timeout DURATION]")
		fmt.Fprintln(stderr, "Checks a live deployment for the known failure classes (see docs/runbook.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // the flag package has printed which flag and why
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "doctor: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	for _, req := range []struct{ name, value string }{{"--cluster", c.Cluster}, {"--service", c.Service}} {
		if req.value == "" {
			fmt.Fprintf(stderr, "doctor: flag %s is required\n", req.name)
			return 2
		}
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "doctor: flag --timeout must be positive")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	report, err := doctor.Run(ctx, c)
	if err != nil {
		fmt.Fprintf(stderr, "doctor: %v\n", err)
		return 1
	}
	if *asJSON {
		err = report.WriteJSON(stdout)
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "doctor: write report: %v\n", err)
		return 1
	}
	if !report.OK {
		return 1
	}
	return 0
}
