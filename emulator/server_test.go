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
