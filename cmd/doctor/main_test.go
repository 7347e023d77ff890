package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDoctorFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"unknown flag", []string{"--cluser", "x"}, "-cluser"},
		{"missing cluster", []string{"--service", "s"}, "--cluster"},
		{"missing service", []string{"--cluster", "c"}, "--service"},
		{"bad timeout", []string{"--cluster", "c", "--service", "s", "--timeout", "soon"}, "-timeout"},
		{"stray argument", []string{"--cluster", "c", "--service", "s", "extra"}, `"extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("POLLSTACK_CLUSTER", "")
			t.Setenv("POLLSTACK_SERVICE", "")
			var stdout, stderr bytes.Buffer
			if got, want := runDoctor(context.Background(), tt.args, &stdout, &stderr), 2; got != want {
				t.Fatalf("exit code: got %d, want %d (stderr %q)", got, want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not name %s", stderr.String(), tt.want)
			}
		})
	}
}
