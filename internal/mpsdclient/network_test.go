package mpsdclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// quietLog discards server errors a test provokes on purpose.
var quietLog = log.New(io.Discard, "", 0)

// writePEM writes one PEM block to a new file in dir and returns its path.
func writePEM(t *testing.T, dir, name, blockType string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverCAFile writes the test server's certificate as a PEM CA bundle.
func serverCAFile(t *testing.T, srv *httptest.Server) string {
	return writePEM(t, t.TempDir(), "ca.pem", "CERTIFICATE", srv.Certificate().Raw)
}

// clientCertificate makes a CA and a client certificate it signs, writes the client
// certificate and key as PEM files, and returns the CA pool and the two paths.
func clientCertificate(t *testing.T) (ca *x509.CertPool, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mpsdconf test client CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "mpsdconf harness"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca = x509.NewCertPool()
	ca.AddCert(caCert)
	return ca, writePEM(t, dir, "client.pem", "CERTIFICATE", der), writePEM(t, dir, "client.key", "PRIVATE KEY", keyDER)
}

func getBody(t *testing.T, h *http.Client, url string) (string, error) {
	t.Helper()
	resp, err := h.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestNewHTTPClientDefaults(t *testing.T) {
	h, err := NewHTTPClient(NetworkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Timeout != DefaultRequestTimeout {
		t.Errorf("Timeout = %s, want %s", h.Timeout, DefaultRequestTimeout)
	}
	tr := h.Transport.(*http.Transport)
	if tr == http.DefaultTransport || tr.Proxy == nil || tr.TLSClientConfig == nil || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("transport: want a verifying clone of DefaultTransport with the environment proxy, got %+v", tr)
	}
	if h, _ := NewHTTPClient(NetworkOptions{RequestTimeout: 5 * time.Second}); h.Timeout != 5*time.Second {
		t.Errorf("RequestTimeout not applied: %s", h.Timeout)
	}
}

func TestNewHTTPClientTLSTrust(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	srv.Config.ErrorLog = quietLog // the rejected handshakes are expected
	srv.StartTLS()
	defer srv.Close()

	h, err := NewHTTPClient(NetworkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var verr *tls.CertificateVerificationError
	if _, err := getBody(t, h, srv.URL); !errors.As(err, &verr) {
		t.Errorf("without CAFile: want a certificate verification error, got %v", err)
	}

	h, err = NewHTTPClient(NetworkOptions{CAFile: serverCAFile(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	if body, err := getBody(t, h, srv.URL); err != nil || body != "hello" {
		t.Errorf("with CAFile: body %q, err %v", body, err)
	}

	h, err = NewHTTPClient(NetworkOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if body, err := getBody(t, h, srv.URL); err != nil || body != "hello" {
		t.Errorf("with InsecureSkipVerify: body %q, err %v", body, err)
	}

	// Through the client: the verification failure is a harness error.
	c, _ := New(srv.URL, WithHTTPClient(&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}))
	if _, err := c.Do(t.Context(), http.MethodGet, "/"); !errors.Is(err, ErrTransport) || !errors.As(err, &verr) || !IsHarnessError(err) {
		t.Errorf("Do against an untrusted server: %v", err)
	}
}

func TestNewHTTPClientMutualTLS(t *testing.T) {
	ca, certFile, keyFile := clientCertificate(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca}
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	defer srv.Close()
	caFile := serverCAFile(t, srv)

	h, err := NewHTTPClient(NetworkOptions{CAFile: caFile, ClientCertFile: certFile, ClientKeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if body, err := getBody(t, h, srv.URL); err != nil || body != "hello mpsdconf harness" {
		t.Errorf("with client certificate: body %q, err %v", body, err)
	}

	h, err = NewHTTPClient(NetworkOptions{CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if body, err := getBody(t, h, srv.URL); err == nil {
		t.Errorf("without client certificate: server accepted, body %q", body)
	}
}

func TestNewHTTPClientProxy(t *testing.T) {
	seen := make(chan string, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.RequestURI
		_, _ = io.WriteString(w, "via proxy")
	}))
	defer proxy.Close()

	h, err := NewHTTPClient(NetworkOptions{ProxyURL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	// The target host does not exist: only the proxy can answer.
	c, _ := New("http://mpsd.target.invalid/base", WithHTTPClient(h))
	ex, err := c.Do(t.Context(), http.MethodGet, "/handles/h1", WithQuery("include", "relatedInfo"))
	if err != nil || string(ex.Body) != "via proxy" {
		t.Fatalf("body %q, err %v", ex.Body, err)
	}
	if got, want := <-seen, "http://mpsd.target.invalid/base/handles/h1?include=relatedInfo"; got != want {
		t.Errorf("proxy saw request URI %q, want the absolute URL %q", got, want)
	}
}

func TestNewHTTPClientErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		o    NetworkOptions
		want string
	}{
		{"unreadable CA file", NetworkOptions{CAFile: missing}, missing},
		{"CA file without certificate", NetworkOptions{CAFile: empty}, empty + `": no PEM certificate`},
		{"cert without key", NetworkOptions{ClientCertFile: "c.pem"}, `"c.pem" given without a key file (ClientKeyFile)`},
		{"key without cert", NetworkOptions{ClientKeyFile: "k.pem"}, `"k.pem" given without a certificate file (ClientCertFile)`},
		{"bad key pair", NetworkOptions{ClientCertFile: empty, ClientKeyFile: missing}, `client certificate "` + empty + `" with key "` + missing + `"`},
		{"proxy scheme", NetworkOptions{ProxyURL: "ftp://proxy:21"}, "want http://, https:// or socks5://"},
		{"proxy without host", NetworkOptions{ProxyURL: "http://"}, "want http://, https:// or socks5://"},
		{"proxy unparsable", NetworkOptions{ProxyURL: "::bad"}, `proxy URL "::bad"`},
		{"negative timeout", NetworkOptions{RequestTimeout: -time.Second}, "must not be negative"},
	} {
		h, err := NewHTTPClient(tc.o)
		if err == nil || h != nil {
			t.Errorf("%s: accepted (%v)", tc.name, h)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.want)
		}
	}
	if _, err := NewHTTPClient(NetworkOptions{ProxyURL: "socks5://127.0.0.1:1080"}); err != nil {
		t.Errorf("socks5 proxy rejected: %v", err)
	}
}
