package mpsdclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeCredential hands out values from a list: each renewal gives the next one.
type fakeCredential struct {
	mu        sync.Mutex
	values    []string
	renewable bool
	renewErr  error // a passing failure of the next renewal
	renewals  int
	refused   string
	dead      bool
}

func (f *fakeCredential) Name() string { return "user2" }

func (f *fakeCredential) Authorization(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return "", fmt.Errorf("%w: refused earlier", ErrCredentialRefused)
	}
	return f.values[f.renewals], nil
}

func (f *fakeCredential) Renew(_ context.Context, refused string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.renewErr != nil {
		return "", f.renewErr
	}
	if !f.renewable || f.renewals+1 >= len(f.values) {
		return "", fmt.Errorf("%w: its source cannot renew", ErrNotRenewable)
	}
	f.renewals++
	return f.values[f.renewals], nil
}

func (f *fakeCredential) Refuse(status int, cause string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dead, f.refused = true, fmt.Sprintf("%d %s", status, cause)
}

// tokenServer accepts only the given Authorization values and counts requests.
func tokenServer(t *testing.T, accepted ...string) (*httptest.Server, *int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		for _, a := range accepted {
			if r.Header.Get("Authorization") == a {
				w.WriteHeader(http.StatusNotFound)
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "unauthorized: token has expired (%s)", r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

const (
	oldValue = "XBL3.0 x=1111;old-token-0123456789"
	newValue = "XBL3.0 x=1111;new-token-9876543210"
)

func TestCredentialRenewedOnceAfterA401(t *testing.T) {
	srv, requests := tokenServer(t, newValue)
	c, err := New(srv.URL, WithCircuitBreaker(1))
	if err != nil {
		t.Fatal(err)
	}
	cred := &fakeCredential{values: []string{oldValue, newValue}, renewable: true}
	ex, err := c.Do(context.Background(), http.MethodGet, "/handles/x", WithCredential(cred))
	if err != nil {
		t.Fatalf("renewed request failed: %v", err)
	}
	if ex.Status != http.StatusNotFound || !ex.Renewed || *requests != 2 || c.Stats().Renewals != 1 {
		t.Errorf("status %d renewed %v, %d requests, %d renewals; want 404 on the second request", ex.Status, ex.Renewed, *requests, c.Stats().Renewals)
	}
	if text := ex.String(); strings.Contains(text, "new-token") || !strings.Contains(text, "renewed credential") {
		t.Errorf("transcript leaks the renewed value or hides the renewal:\n%s", text)
	}
	if cred.dead {
		t.Error("a renewed credential was refused")
	}
	// The breaker saw answers, not failures: later requests still go out.
	if _, err := c.Do(context.Background(), http.MethodGet, "/handles/y", WithCredential(cred)); err != nil {
		t.Errorf("the next request: %v", err)
	}
}

func TestCredentialRefusedTwiceIsAHarnessError(t *testing.T) {
	srv, requests := tokenServer(t) // accepts nothing
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cred := &fakeCredential{values: []string{oldValue, newValue}, renewable: true}
	ex, err := c.Do(context.Background(), http.MethodGet, "/handles/x", WithCredential(cred))
	if !errors.Is(err, ErrCredentialRefused) || !IsHarnessError(err) || ex == nil || ex.Status != 401 || *requests != 2 {
		t.Fatalf("err %v, exchange %v, %d requests; want ErrCredentialRefused after two 401s", err, ex, *requests)
	}
	for _, want := range []string{"credential of user2 refused (401)", "refused again after renewing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "new-token") || strings.Contains(err.Error(), "old-token") || strings.Contains(cred.refused, "token-") {
		t.Errorf("the error or the refusal shows a token: %v / %s", err, cred.refused)
	}
	// Nothing more is sent as the refused identity.
	ex, err = c.Do(context.Background(), http.MethodGet, "/handles/y", WithCredential(cred))
	if ex != nil || !errors.Is(err, ErrCredentialRefused) || *requests != 2 {
		t.Errorf("after the refusal: exchange %v, err %v, %d requests; want nothing sent", ex, err, *requests)
	}
}

func TestCredentialThatCannotRenewIsRefusedAtTheFirst401(t *testing.T) {
	srv, requests := tokenServer(t)
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cred := &fakeCredential{values: []string{oldValue}}
	_, err = c.Do(context.Background(), http.MethodGet, "/handles/x", WithCredential(cred))
	if !errors.Is(err, ErrCredentialRefused) || *requests != 1 || !strings.Contains(err.Error(), "not renewed: cannot be renewed: its source cannot renew") {
		t.Fatalf("err %v after %d requests; want a refusal after one", err, *requests)
	}
	if !strings.Contains(cred.refused, "401 unauthorized: token has expired") {
		t.Errorf("refusal cause %q does not say what the target answered", cred.refused)
	}
}

func TestCredentialNotRenewedJustThenIsNotRefused(t *testing.T) {
	srv, requests := tokenServer(t, newValue)
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cred := &fakeCredential{values: []string{oldValue, newValue}, renewable: true, renewErr: context.Canceled}
	_, err = c.Do(context.Background(), http.MethodGet, "/handles/x", WithCredential(cred))
	if !errors.Is(err, ErrCredentialUnavailable) || errors.Is(err, ErrCredentialRefused) || !IsHarnessError(err) || cred.dead {
		t.Fatalf("a renewal that failed just then: %v (refused: %v)", err, cred.dead)
	}
	cred.renewErr = nil
	if ex, err := c.Do(context.Background(), http.MethodGet, "/handles/y", WithCredential(cred)); err != nil || ex.Status != 404 || *requests != 3 {
		t.Errorf("the next request did not renew and pass: %v, %d requests", err, *requests)
	}
	if _, err := c.Do(context.Background(), http.MethodGet, "/handles/z", WithCredential(cred), WithAuthorization("XBL3.0 x=1;forged-value-0123")); err == nil {
		t.Error("a request with both a credential and an Authorization value was sent")
	}
}

func TestDeliberateAuthorizationIsNeverRenewed(t *testing.T) {
	srv, requests := tokenServer(t)
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.Do(context.Background(), http.MethodGet, "/handles/x", WithAuthorization("XBL3.0 x=1;forged-token-value"))
	if err != nil || ex.Status != 401 || *requests != 1 {
		t.Errorf("a forged value's 401 must be an ordinary answer: %v, %d requests", err, *requests)
	}
}

func TestRedactorLearnsSecretsAndXBLValues(t *testing.T) {
	r := NewRedactor()
	text := "a XBL3.0 x=123;eyJabc.def-ghi and 'xbl3.0 x=9;zzzzzz' then refresh M.C5_abcdefgh"
	got := r.String(text)
	if strings.Contains(got, "eyJabc") || strings.Contains(got, "zzzzzz") || !strings.Contains(got, "XBL3.0 <redacted>") {
		t.Errorf("XBL values not redacted: %s", got)
	}
	if !strings.Contains(got, "M.C5_abcdefgh") {
		t.Fatal("precondition: an unknown refresh token is not redacted until it is added")
	}
	r.Add("M.C5_abcdefgh")
	if got := r.String(text); strings.Contains(got, "M.C5_abcdefgh") {
		t.Errorf("an added secret is still shown: %s", got)
	}
	err := r.Error(fmt.Errorf("wrapped: %w", ErrCredentialRefused))
	if !errors.Is(err, ErrCredentialRefused) {
		t.Error("a redacted error no longer unwraps")
	}
}
