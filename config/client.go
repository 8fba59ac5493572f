package config

import (
	"time"

	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// NewClient builds the run's one HTTP client for target from the network, retry and rate
// settings; every secret of ids and the emulator key is redacted from what it shows. Its
// errors are *Error.
func (r Resolved) NewClient(target string, ids *identity.Store) (*mpsdclient.Client, error) {
	client, err := r.newClient(target, ids)
	return client, NewError(err)
}

func (r Resolved) newClient(target string, ids *identity.Store) (*mpsdclient.Client, error) {
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
		mpsdclient.WithSecrets(ids.Secrets()...),
		mpsdclient.WithSecrets(r.EmulatorTokenKey),
		mpsdclient.WithRetryPolicy(mpsdclient.RetryPolicy{
			MaxRetries: r.Retry.MaxRetries, MaxWait: r.Retry.MaxWait.D(), DefaultBackoff: time.Second,
		}),
		mpsdclient.WithRateLimit(r.RateLimit),
		mpsdclient.WithCircuitBreaker(r.MaxConsecutiveFailures),
	)
}
