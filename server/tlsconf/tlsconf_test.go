package tlsconf

import (
	"crypto/tls"
	"path/filepath"
	"testing"
)

func TestSelfSignedIsKeptAndServes(t *testing.T) {
	dir := t.TempDir()
	cfg, fp, err := SelfSigned(dir, []string{"proctor.example.kz"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fp) != 64 {
		t.Fatalf("fingerprint %q", fp)
	}
	_, fp2, err := SelfSigned(dir, nil)
	if err != nil || fp2 != fp {
		t.Fatalf("second start made a new certificate: %s vs %s (%v)", fp2, fp, err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got := Fingerprint(conn.ConnectionState().PeerCertificates[0].Raw); got != fp {
		t.Fatalf("served certificate %s, printed fingerprint %s", got, fp)
	}
	if _, _, err := Config(filepath.Join(dir, "nope.crt"), filepath.Join(dir, "nope.key")); err == nil {
		t.Fatal("missing files accepted")
	}
}
