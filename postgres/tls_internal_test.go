package postgres

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A URL that asks to verify the server trusts the RDS roots that ship in
// the binary, unless it names its own; one that does not verify is left
// alone.
func TestTrustRDS(t *testing.T) {
	tests := []struct {
		query string
		want  func(*x509.CertPool) bool
	}{
		{"sslmode=verify-full", func(p *x509.CertPool) bool { return p == RDSRoots() }},
		{"sslmode=verify-ca", func(p *x509.CertPool) bool { return p == RDSRoots() }},
		{"sslmode=verify-full&sslrootcert=system", func(p *x509.CertPool) bool { return p != nil && p != RDSRoots() }},
		{"sslmode=require", func(p *x509.CertPool) bool { return p == nil }},
		{"sslmode=prefer", func(p *x509.CertPool) bool { return p == nil }},
	}
	for _, tt := range tests {
		cc, err := pgconn.ParseConfig("postgres://app@db.example.internal:5432/pollstack?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		trustRDS(cc)
		if got := cc.TLSConfig.RootCAs; !tt.want(got) {
			t.Errorf("%s: roots %v", tt.query, got)
		}
	}
}

// The bundle holds the current RDS roots of the regions, us-east-1's
// among them, and nothing that is not an RDS root.
func TestRDSBundle(t *testing.T) {
	var names []string
	for rest := rdsBundle; ; {
		var cert *x509.Certificate
		var ok bool
		cert, rest, ok = nextCert(t, rest)
		if !ok {
			break
		}
		if !cert.IsCA || !strings.HasPrefix(cert.Subject.CommonName, "Amazon RDS ") {
			t.Errorf("not an RDS root: %s", cert.Subject)
		}
		names = append(names, cert.Subject.CommonName)
	}
	for _, want := range []string{"Amazon RDS us-east-1 Root CA RSA2048 G1", "Amazon RDS us-east-1 Root CA ECC384 G1", "Amazon RDS us-east-1 Root CA RSA4096 G1"} {
		if !strings.Contains(strings.Join(names, "\n"), want) {
			t.Errorf("the bundle lacks %s", want)
		}
	}
	if len(names) < 60 {
		t.Errorf("only %d roots in the bundle", len(names))
	}
}

func nextCert(t *testing.T, b []byte) (*x509.Certificate, []byte, bool) {
	t.Helper()
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, nil, false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert, rest, true
}
