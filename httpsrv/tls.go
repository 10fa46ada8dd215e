package httpsrv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"time"
)

// ErrCertPin means the server at the token's https URL showed another certificate
// than the one the token pins: something in between answered for the source (a
// TLS-intercepting proxy, an attacker), or the token belongs to another run.
var ErrCertPin = errors.New("httpsrv: the server's TLS certificate is not the one the token pins")

// ErrUntrusted means the server at an https URL without a pin showed a certificate
// this machine does not trust (self-signed, expired, for another name). Retrying
// cannot change that.
var ErrUntrusted = errors.New("httpsrv: the server's TLS certificate is not trusted here")

// SelfSigned returns a TLS server configuration with a new certificate for host
// (a name or an IP address; it only labels the certificate) and the certificate's
// pin: the SHA-256 of its SubjectPublicKeyInfo. The key lives only in memory, so
// each run has its own. A client that pins it needs no certificate authority.
func SelfSigned(host string) (*tls.Config, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "synco-lite " + host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0), // not checked by a pinning client; a bound for anything else
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else if host != "" {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS13,
	}
	return cfg, pinOf(cert), nil
}

func pinOf(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return sum[:]
}

// pinnedTLS accepts exactly the server certificate whose pin is pin. Chain, name
// and validity checks are off on purpose: TLS 1.3 has the server prove it holds the
// certificate's key, and the pin says the key is the source's.
func pinnedTLS(pin []byte) *tls.Config {
	pin = bytes.Clone(pin)
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, //nolint:gosec // replaced by the pin check in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(pinOf(cs.PeerCertificates[0]), pin) {
				return ErrCertPin
			}
			return nil
		},
	}
}
