package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func membership(run, who, name string) Entry {
	return Entry{RunID: run, Kind: KindMembership, Identity: who, SCID: "7492baca-c1b4-440d-a391-b7ef4d40c1f4", Template: "LobbySession", Name: name}
}

func handle(run, who, id string) Entry {
	return Entry{RunID: run, Kind: KindHandle, Identity: who, ID: id}
}

func openTemp(t *testing.T) (*Journal, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.journal")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j, path
}

func TestRecordAndReadRoundTrip(t *testing.T) {
	j, path := openTemp(t)
	want := []Entry{
		membership("r1", "user1", "mc-r1-a"),
		handle("r1", "user1", "0d5e6f2a-1b2c-4d3e-8f9a-0b1c2d3e4f5a"),
		membership("r1", "user1", "mc-r1-a").Done(),
	}
	for _, e := range want {
		if err := j.Record(e); err != nil {
			t.Fatalf("Record(%+v): %v", e, err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Read = %+v\nwant %+v", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("journal mode %o, want 600", perm)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"kind":"membership","identity":"user1","scid":`) {
		t.Errorf("journal line format changed:\n%s", raw)
	}
}

func TestOpenAppends(t *testing.T) {
	j, path := openTemp(t)
	if err := j.Record(handle("r1", "user1", "a")); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j2.Record(handle("r1", "user2", "b")); err != nil {
		t.Fatal(err)
	}
	_ = j2.Close()
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Fatalf("reopening did not append: %+v", got)
	}
}

func TestConcurrentRecord(t *testing.T) {
	j, path := openTemp(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// A long name makes torn or interleaved lines show up as malformed JSON.
				name := fmt.Sprintf("mc-r1-%d-%d-%s", w, i, strings.Repeat("x", 60))
				if err := j.Record(membership("r1", "user1", name)); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_ = j.Close()
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*each {
		t.Fatalf("read %d entries, want %d", len(got), writers*each)
	}
	seen := map[string]bool{}
	for _, e := range got {
		seen[e.Name] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct entries, want %d", len(seen), writers*each)
	}
}

func TestReadToleratesTruncatedLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crashed.journal")
	content := `{"runId":"r1","kind":"handle","identity":"user1","id":"a"}` + "\n" +
		`{"runId":"r1","kind":"membership","identity":"user1","scid":"7492ba`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatalf("a truncated last line is an error: %v", err)
	}
	if len(got) != 1 || got[0].ID != "a" {
		t.Fatalf("Read = %+v, want the one complete entry", got)
	}
}

func TestReadReportsMalformedLineNumber(t *testing.T) {
	cases := map[string]struct {
		content string
		want    string
	}{
		"broken JSON": {
			`{"runId":"r1","kind":"handle","identity":"user1","id":"a"}` + "\n" + `{"runId":` + "\n" +
				`{"runId":"r1","kind":"handle","identity":"user1","id":"b"}` + "\n",
			":2: malformed entry",
		},
		"complete but truncated-looking last line with newline": {
			`{"runId":"r1","kind":"handle","identity":"user1","id":"a"}` + "\n" + `{"runId":"r1"` + "\n",
			":2: malformed entry",
		},
		"unknown kind": {
			"\n" + `{"runId":"r1","kind":"session","identity":"user1"}` + "\n",
			":2: invalid entry: kind \"session\"",
		},
		"handle without id": {
			`{"runId":"r1","kind":"handle","identity":"user1"}` + "\n",
			":1: invalid entry: a handle needs an id",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.journal")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	if _, err := Read(filepath.Join(t.TempDir(), "none.journal")); err == nil {
		t.Fatal("reading a missing journal succeeded")
	}
}

func TestNilJournal(t *testing.T) {
	var j *Journal
	if err := j.Record(handle("r1", "user1", "a")); err != nil {
		t.Errorf("nil Record: %v", err)
	}
	if err := j.Record(Entry{}); err != nil {
		t.Errorf("nil Record of an invalid entry: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
	if j.Path() != "" {
		t.Errorf("nil Path = %q", j.Path())
	}
}

func TestRecordRejectsInvalidAndClosed(t *testing.T) {
	j, _ := openTemp(t)
	for _, e := range []Entry{
		{Kind: KindHandle, Identity: "user1", ID: "a"},
		{RunID: "r1", Kind: KindMembership, Identity: "user1", Name: "x"},
		{RunID: "r1", Kind: KindDone, Identity: "user1", ID: "a"},
		{RunID: "r1", Kind: KindHandle, ID: "a"},
	} {
		if err := j.Record(e); err == nil {
			t.Errorf("Record(%+v) accepted an invalid entry", e)
		}
	}
	_ = j.Close()
	if err := j.Record(handle("r1", "user1", "a")); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Record after Close = %v, want a closed error", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPending(t *testing.T) {
	m1 := membership("r1", "user1", "mc-r1-a")
	m2 := membership("r1", "user2", "mc-r1-a")
	h1 := handle("r1", "user1", "AAAA")
	h2 := handle("r1", "user1", "bbbb")
	other := handle("r2", "user1", "cccc")
	rejoin := membership("r1", "user1", "mc-r1-b")
	doneH1 := h1.Done()
	doneH1.ID = "aaaa" // ids compare case-insensitively
	entries := []Entry{m1, m2, h1, other, h2, doneH1, m2.Done(), rejoin, rejoin.Done(), rejoin, m1}
	got := Pending(entries, "r1")
	want := []Entry{m1, h2, rejoin}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Pending = %+v\nwant %+v", got, want)
	}
	if got := Pending(entries, "r3"); len(got) != 0 {
		t.Errorf("Pending for an unknown run = %+v", got)
	}
}
