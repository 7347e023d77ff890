package postgres

import (
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// rdsBundle holds the Amazon RDS root certificates of every region, written
// by scripts/rds-ca-bundle.sh. Shipped in the binary, so the image needs no
// CA file and no download at start.
//
//go:embed rds-ca-bundle.pem
var rdsBundle []byte

// RDSRoots returns the pool of the Amazon RDS root certificates.
var RDSRoots = sync.OnceValue(func() *x509.CertPool {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rdsBundle) {
		panic("postgres: rds-ca-bundle.pem holds no certificate")
	}
	return pool
})

// trustRDS makes a connection that verifies the server's certificate
// (sslmode=verify-full or verify-ca) and names no sslrootcert trust the RDS
// roots only, not the machine's: a certificate any public CA would sign
// for the host is refused. sslrootcert=FILE or sslrootcert=system choose
// other roots, as libpq's do.
func trustRDS(cc *pgconn.Config) {
	configs := []*tls.Config{cc.TLSConfig}
	for _, fb := range cc.Fallbacks {
		configs = append(configs, fb.TLSConfig)
	}
	for _, tc := range configs {
		verifies := tc != nil && (!tc.InsecureSkipVerify || tc.VerifyPeerCertificate != nil)
		if verifies && tc.RootCAs == nil {
			tc.RootCAs = RDSRoots()
		}
	}
}
