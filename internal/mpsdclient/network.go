package mpsdclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"
)

// DefaultRequestTimeout is the per-attempt timeout NewHTTPClient uses when none is given.
const DefaultRequestTimeout = 30 * time.Second

// NetworkOptions describe how the harness reaches the target: TLS trust, client
// certificate, proxy and per-attempt timeout. The zero value verifies TLS against the
// system roots, uses the proxy from the environment and times out after 30s.
type NetworkOptions struct {
	// CAFile is a PEM bundle of extra trusted roots, added to the system pool.
	CAFile string
	// InsecureSkipVerify turns TLS certificate verification off.
	InsecureSkipVerify bool
	// ClientCertFile and ClientKeyFile are a PEM client certificate and its key for
	// mutual TLS; give both or neither.
	ClientCertFile, ClientKeyFile string
	// ProxyURL is an http://, https:// or socks5:// proxy; empty means the proxy from
	// the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY).
	ProxyURL string
	// RequestTimeout bounds one HTTP attempt, from sending to the end of the body;
	// zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// NewHTTPClient returns the *http.Client the harness uses for o, built on a clone of
// http.DefaultTransport. Unreadable files and malformed settings are reported with the
// option or file they come from.
func NewHTTPClient(o NetworkOptions) (*http.Client, error) {
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("http.DefaultTransport is not an *http.Transport; cannot clone it")
	}
	tr := base.Clone()
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if tr.TLSClientConfig != nil {
		tlsConf = tr.TLSClientConfig.Clone()
	}
	tlsConf.InsecureSkipVerify = o.InsecureSkipVerify

	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file %q: %w", o.CAFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %q: no PEM certificate found", o.CAFile)
		}
		tlsConf.RootCAs = pool
	}

	switch {
	case o.ClientCertFile != "" && o.ClientKeyFile == "":
		return nil, fmt.Errorf("client certificate %q given without a key file (ClientKeyFile)", o.ClientCertFile)
	case o.ClientCertFile == "" && o.ClientKeyFile != "":
		return nil, fmt.Errorf("client key %q given without a certificate file (ClientCertFile)", o.ClientKeyFile)
	case o.ClientCertFile != "":
		cert, err := tls.LoadX509KeyPair(o.ClientCertFile, o.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %q with key %q: %w", o.ClientCertFile, o.ClientKeyFile, err)
		}
		tlsConf.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = tlsConf

	tr.Proxy = http.ProxyFromEnvironment
	if o.ProxyURL != "" {
		u, err := url.Parse(o.ProxyURL)
		if err != nil {
			return nil, fmt.Errorf("proxy URL %q: %w", o.ProxyURL, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") || u.Host == "" {
			return nil, fmt.Errorf("proxy URL %q: want http://, https:// or socks5:// with a host", u.Redacted())
		}
		tr.Proxy = http.ProxyURL(u)
	}

	timeout := o.RequestTimeout
	switch {
	case timeout < 0:
		return nil, fmt.Errorf("request timeout %s: must not be negative", timeout)
	case timeout == 0:
		timeout = DefaultRequestTimeout
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}
