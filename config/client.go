package config

import (
	"time"

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// NewClient builds the run's one HTTP client for target from the network, retry and rate
// settings; what it shows is redacted with redactor (Credentials.Redactor: every secret the
// run's credentials fetch, and the emulator key). Its errors are *Error.
func (r Resolved) NewClient(target string, redactor *mpsdclient.Redactor) (*mpsdclient.Client, error) {
	client, err := r.newClient(target, redactor)
	return client, NewError(err)
}

func (r Resolved) newClient(target string, redactor *mpsdclient.Redactor) (*mpsdclient.Client, error) {
	httpClient, err := mpsdclient.NewHTTPClient(mpsdclient.NetworkOptions{
		CAFile:             r.TLS.CAFile,
		InsecureSkipVerify: r.TLS.InsecureSkipVerify,
		ClientCertFile:     r.TLS.ClientCert,
		ClientKeyFile:      r.TLS.ClientKey,
		ProxyURL:           r.Proxy,
		RequestTimeout:     r.RequestTimeout.D(),
	})
	if err != nil {
		return nil, err
	}
	return mpsdclient.New(target,
		mpsdclient.WithHTTPClient(httpClient),
		mpsdclient.WithDefaultContractVersion(r.TestWorld.ContractVersion),
		mpsdclient.WithRedactor(redactor),
		mpsdclient.WithRetryPolicy(mpsdclient.RetryPolicy{
			MaxRetries: r.Retry.MaxRetries, MaxWait: r.Retry.MaxWait.D(), DefaultBackoff: time.Second,
		}),
		mpsdclient.WithRateLimit(r.RateLimit),
		mpsdclient.WithCircuitBreaker(r.MaxConsecutiveFailures),
	)
}
