package mpsdclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const secret = "XBL3.0 x=abc123;mpsdemu.v1.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl"

func TestDoSendsOptionsAndRecordsExchange(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("ETag", `"e1"`)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"echo":"`+r.Header.Get("Authorization")+`"}`)
	}))
	defer srv.Close()
	var observed int
	c, err := New(srv.URL, WithDefaultContractVersion(105), WithSecrets(secret), WithObserver(func(*Exchange) { observed++ }))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.Do(context.Background(), http.MethodPost, "/handles/query",
		WithAuthorization(secret), WithQuery("include", "relatedInfo,customProperties"), WithQuery("take", "5"),
		WithJSON(map[string]any{"type": "activity"}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Get(HeaderContractVersion) != "105" || got.Header.Get("Authorization") != secret {
		t.Errorf("headers sent: %v", got.Header)
	}
	if got.URL.RawQuery != "include=relatedInfo,customProperties&take=5" {
		t.Errorf("query sent: %q", got.URL.RawQuery)
	}
	if gotBody != `{"type":"activity"}` || got.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("body sent: %q (%s)", gotBody, got.Header.Get("Content-Type"))
	}
	if ex.Status != 201 || ex.ContentType() != "application/json" || observed != 1 {
		t.Errorf("exchange: status %d, content type %q, observed %d", ex.Status, ex.ContentType(), observed)
	}
	text := ex.String()
	if strings.Contains(text, "mpsdemu.v1.c2VjcmV0") || strings.Contains(text, "abc123") {
		t.Fatalf("transcript leaks the secret:\n%s", text)
	}
	for _, want := range []string{"POST ", "/handles/query?include=relatedInfo,customProperties&take=5", "Authorization: XBL3.0 <redacted>", "201 Created", `"echo": "<redacted>"`, "Etag: \"e1\""} {
		if !strings.Contains(text, want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
}

func TestWithoutHeaderRemovesContractVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header[HeaderContractVersion]; ok {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	c, _ := New(srv.URL)
	ex, err := c.Do(context.Background(), http.MethodGet, "/handles/x", WithoutHeader("x-xbl-contract-version"))
	if err != nil || ex.Status != http.StatusOK {
		t.Fatalf("status %d, err %v: header was not removed", ex.Status, err)
	}
}

func TestTransportErrorsAndLimits(t *testing.T) {
	c, _ := New("http://127.0.0.1:1")
	ex, err := c.Do(context.Background(), http.MethodGet, "/handles/x", WithAuthorization(secret))
	if !errors.Is(err, ErrTransport) || ex == nil || ex.Status != 0 {
		t.Fatalf("unreachable target: ex=%v err=%v", ex, err)
	}
	if !strings.Contains(ex.String(), "no response") {
		t.Errorf("transcript does not say no response arrived:\n%s", ex)
	}
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 2048))
	}))
	defer big.Close()
	c, _ = New(big.URL, WithMaxResponseBytes(1024))
	ex, err = c.Do(context.Background(), http.MethodGet, "/")
	if !errors.Is(err, ErrTransport) || len(ex.Body) != 1024 {
		t.Fatalf("oversized body: len %d, err %v", len(ex.Body), err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "::bad"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestRedactorHeader(t *testing.T) {
	r := NewRedactor().With(secret, "short")
	if got := r.Header("authorization", "Bearer zzz"); got != "Bearer <redacted>" {
		t.Errorf("Header = %q", got)
	}
	if got := r.String("a " + secret + " b short"); got != "a <redacted> b short" {
		t.Errorf("String = %q (values under 8 characters are not treated as secrets)", got)
	}
}
