package mpsdclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// benchResponse is a small handle-like JSON body, the typical size of an MPSD answer.
const benchResponse = `{"version":1,"type":"activity","id":"6ed1d40f-2c2f-4c3f-8f84-7d1f2f5b6a11",` +
	`"sessionRef":{"scid":"7492baca-c1b4-440d-a391-b7ef4d40c1f4","templateName":"LobbySession","name":"bench"},` +
	`"titleId":"1934211234","ownerXuid":"2814600000000101","createTime":"2026-03-14T09:26:53.5897932Z"}`

// benchAuthorization is a stand-in secret: the client must redact it when rendering.
const benchAuthorization = "XBL3.0 x=1234567890;mpsdemu.v1.bench-token-payload.bench-token-signature"

// BenchmarkClientDo measures one Client.Do round trip (a POST with a JSON body) against a
// loopback httptest server that answers a small JSON body, and the same with the exchange
// rendered (Exchange.String, with Authorization and the registered secret redacted), as a
// failure message or trace does.
func BenchmarkClientDo(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(benchResponse))
	}))
	defer srv.Close()
	httpClient, err := mpsdclient.NewHTTPClient(mpsdclient.NetworkOptions{})
	if err != nil {
		b.Fatalf("NewHTTPClient: %v", err)
	}
	c, err := mpsdclient.New(srv.URL, mpsdclient.WithHTTPClient(httpClient), mpsdclient.WithSecrets(benchAuthorization))
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	body := map[string]any{
		"version":    1,
		"type":       "activity",
		"sessionRef": map[string]any{"scid": "7492baca-c1b4-440d-a391-b7ef4d40c1f4", "templateName": "LobbySession", "name": "bench"},
	}
	ctx := context.Background()
	do := func(b *testing.B) *mpsdclient.Exchange {
		ex, err := c.Do(ctx, http.MethodPost, "/handles",
			mpsdclient.WithAuthorization(benchAuthorization), mpsdclient.WithJSON(body))
		if err != nil {
			b.Fatalf("Do: %v", err)
		}
		if ex.Status != http.StatusCreated {
			b.Fatalf("status %d, want 201", ex.Status)
		}
		return ex
	}
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			do(b)
		}
	})
	b.Run("rendered", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if s := do(b).String(); strings.Contains(s, benchAuthorization) {
				b.Fatal("the rendered exchange shows the Authorization value")
			}
		}
	})
}
