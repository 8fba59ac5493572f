package emulator

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

func TestServerServesAndCloses(t *testing.T) {
	key, err := NewKey()
	if err != nil || len(key) != 64 {
		t.Fatalf("NewKey: %q %v", key, err)
	}
	if other, _ := NewKey(); other == key {
		t.Fatal("NewKey returned the same key twice")
	}
	srv, err := NewServer(ConfigFromEnvironment(fixtures.DefaultEnvironment(), []byte(key)), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || srv.Emulator == nil {
		t.Fatalf("server %+v", srv)
	}
	resp, err := http.Get(srv.URL + "/handles/00000000-0000-0000-0000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unauthenticated request without contract version answered %d", resp.StatusCode)
	}
	srv.Close()
	if _, err := http.Get(srv.URL + "/"); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestNewServerErrors(t *testing.T) {
	if _, err := NewServer(Config{}, ""); err == nil || !strings.Contains(err.Error(), "start emulator") {
		t.Errorf("a config without key: %v", err)
	}
	cfg := ConfigFromEnvironment(fixtures.DefaultEnvironment(), []byte("k"))
	if _, err := NewServer(cfg, "256.0.0.1:99999"); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Errorf("a bad address: %v", err)
	}
}

func TestNewServerWrapsTheEmulator(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	mark := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	srv, err := NewServer(ConfigFromEnvironment(fixtures.DefaultEnvironment(), []byte(key)), "", mark("outer"), mark("inner"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/handles/00000000-0000-0000-0000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if strings.Join(order, ",") != "outer,inner" || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("middlewares ran as %v, status %d; want outer,inner and the emulator's 401", order, resp.StatusCode)
	}
}
