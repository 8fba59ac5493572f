package tokenfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestWriteReadRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "user1.json")
	f := Open(path)
	ctx := context.Background()
	if _, err := f.Read(ctx); err == nil || !strings.Contains(err.Error(), "mpsdconf login") {
		t.Fatalf("a missing file: %v", err)
	}
	if err := f.Write(ctx, Contents{RefreshToken: "M.C5-first", ClientID: "c", XUID: "1"}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	err = f.Rotate(ctx, func(current string) (string, error) {
		if current != "M.C5-first" {
			t.Errorf("refresh got %q", current)
		}
		return "M.C5-second", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Read(ctx)
	if err != nil || c.RefreshToken != "M.C5-second" || c.ClientID != "c" || c.XUID != "1" || c.Version != Version {
		t.Errorf("after rotation: %+v, %v", c, err)
	}
	boom := errors.New("refused")
	if err := f.Rotate(ctx, func(string) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("a failed refresh: %v", err)
	}
	if c, _ := f.Read(ctx); c.RefreshToken != "M.C5-second" {
		t.Error("a failed refresh changed the stored token")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestConcurrentRotationsNeverReuseAToken runs rotations from many goroutines, each with its
// own File (as separate processes would): every refresh must see the token the previous one
// stored, never one already rotated away.
func TestConcurrentRotationsNeverReuseAToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	if err := Open(path).Write(context.Background(), Contents{RefreshToken: "t0"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	used := map[string]bool{}
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := Open(path).Rotate(context.Background(), func(current string) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				if used[current] {
					return "", fmt.Errorf("refresh token %s used twice", current)
				}
				used[current] = true
				return fmt.Sprintf("t%d", len(used)), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(used) != 12 {
		t.Errorf("%d distinct tokens used, want 12", len(used))
	}
}

func TestProblemsAreNamed(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("M.C5-not-json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad).Read(context.Background()); err == nil || !strings.Contains(err.Error(), "not a token file") || strings.Contains(err.Error(), "M.C5") {
		t.Errorf("a file that is not JSON: %v", err)
	}
	open := filepath.Join(dir, "open.json")
	if err := os.WriteFile(open, []byte(`{"version":1,"refreshToken":"M.C5-x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	f := Open(open)
	f.Warn = func(m string) { warnings = append(warnings, m) }
	if _, err := f.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "chmod 600") {
		t.Errorf("a world-readable file: %v", warnings)
	}
}

func TestReadOnlyFileKeepsTheRunGoing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	if err := Open(path).Write(context.Background(), Contents{RefreshToken: "t0"}); err != nil {
		t.Fatal(err)
	}
	createTemp = func(string, string) (*os.File, error) { return nil, os.ErrPermission } // a mounted, read-only secret
	t.Cleanup(func() { createTemp = os.CreateTemp })
	var warnings []string
	f := Open(path)
	f.Warn = func(m string) { warnings = append(warnings, m) }
	if err := f.Rotate(context.Background(), func(string) (string, error) { return "t1", nil }); err != nil {
		t.Fatalf("a read-only token file stopped the run: %v", err)
	}
	if len(warnings) == 0 || !strings.Contains(strings.Join(warnings, "\n"), "could not be stored") {
		t.Errorf("warnings: %v", warnings)
	}
}
