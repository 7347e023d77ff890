//go:build integration

package postgres_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollstack/pollstack/internal/testing/pgtest"
	"github.com/pollstack/pollstack/postgres"
)

// A database server whose certificate no RDS root signed (here: a CA of
// the test's, as a man in the middle would present) is refused under
// sslmode=verify-full and verify-ca, and accepted once the URL names that
// CA as sslrootcert: the refusal is the roots', not a broken TLS setup.
func TestVerifyFullTrustsOnlyTheRDSRoots(t *testing.T) {
	dir, err := os.MkdirTemp("", "pollstack-tls-") // t.TempDir's parent is closed to the server's user
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	caFile := writeServerCertificate(t, dir)
	server := pgtest.MustStart(t, "ssl = on",
		"ssl_cert_file = '"+filepath.Join(dir, "server.crt")+"'",
		"ssl_key_file = '"+filepath.Join(dir, "server.key")+"'")
	url := func(query string) string {
		return strings.Replace(server.URL("postgres", server.User, ""), "sslmode=disable", query, 1)
	}
	ctx := context.Background()
	for _, query := range []string{"sslmode=verify-full", "sslmode=verify-ca"} {
		s, err := postgres.Open(ctx, url(query), postgres.Options{})
		if err == nil {
			s.Close()
			t.Errorf("%s: a server certificate from another CA was accepted", query)
			continue
		}
		if !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Errorf("%s: refused for another reason: %v", query, err)
		}
	}
	s, err := postgres.Open(ctx, url("sslmode=verify-full&sslrootcert="+caFile), postgres.Options{})
	if err != nil {
		t.Fatalf("verify-full with the server's CA as sslrootcert: %v", err)
	}
	s.Close()
}

// writeServerCertificate makes a CA and a certificate for 127.0.0.1 signed
// by it in dir, readable by the server's user, and returns the CA's file.
func writeServerCertificate(t *testing.T, dir string) string {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pollstack test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*pem.Block{
		"ca.crt":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.crt": {Type: "CERTIFICATE", Bytes: leafDER},
		"server.key": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	}
	for name, block := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 { // the server runs as nobody (pgtest) and wants its key its own
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "ca.crt")
}
