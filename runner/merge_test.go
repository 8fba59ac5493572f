package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/report"
)

// mergeSpecs are the spec tree of the merge tests: "spec 0" fails, "spec 1" was left out by
// the label filter, the others pass.
const mergeSpecs = 30

func mergeSpec(i int) types.SpecReport {
	sr := it(fmt.Sprintf("spec %d", i), types.SpecStatePassed, "")
	switch i {
	case 0:
		sr.State, sr.Failure = types.SpecStateFailed, types.Failure{Message: "the target broke the rule"}
	case 1:
		sr.State = types.SpecStateSkipped
	}
	return sr
}

// shardReports builds the Ginkgo reports of the n shards of a run, as keepShard leaves them.
func shardReports(n int) []types.Report {
	reps := make([]types.Report, n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := range reps {
		reps[k] = types.Report{SuiteSucceeded: true, StartTime: t0, EndTime: t0.Add(time.Duration(k+1) * time.Second),
			PreRunStats: types.PreRunStats{TotalSpecs: mergeSpecs, SpecsThatWillRun: mergeSpecs - 1}}
	}
	for i := 0; i < mergeSpecs; i++ {
		sr := mergeSpec(i)
		k := config.ShardOf(sr.FullText(), n) - 1
		reps[k].SpecReports = append(reps[k].SpecReports, sr)
	}
	return reps
}

// writeShard writes one shard's ginkgo-report.json and report.json into dir.
func writeShard(t *testing.T, dir string, rep types.Report, shard string, seed int64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteGinkgoReport(dir, rep); err != nil {
		t.Fatal(err)
	}
	meta := report.Metadata{RunID: "run-" + strings.ReplaceAll(shard, "/", "-"), RandomSeed: seed, Procs: 2, Shard: shard,
		LabelFilter: "evidence: containsAny {doc}", Requests: report.RequestStats{Requests: 10, Retries: 1},
		StartedAt: rep.StartTime, Duration: rep.EndTime.Sub(rep.StartTime)}
	raw, err := json.Marshal(report.Summarize(meta, rep))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, report.JSONFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeShards writes the 3 shards of a run into root/shard-0..2, edited by edit first.
func writeShards(t *testing.T, root string, edit func(k int, rep *types.Report, seed *int64)) {
	t.Helper()
	for k, rep := range shardReports(3) {
		seed := int64(42)
		if edit != nil {
			edit(k, &rep, &seed)
		}
		writeShard(t, filepath.Join(root, fmt.Sprintf("shard-%d", k)), rep, fmt.Sprintf("%d/3", k+1), seed)
	}
}

func TestMergeJoinsShardsLikeOneRun(t *testing.T) {
	root := t.TempDir()
	writeShards(t, root, nil)
	out := filepath.Join(root, "merged") // inside the folder searched: must not be read back
	for range 2 {
		s, err := Merge(MergeOptions{ReportDir: out, Shards: 3, Dirs: []string{root}}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		want := report.Totals{Specs: mergeSpecs, Passed: mergeSpecs - 2, Failed: 1, Skipped: 1}
		if s.Verdict != report.VerdictFail || s.Totals != want {
			t.Errorf("verdict %s, totals %+v; want fail, %+v", s.Verdict, s.Totals, want)
		}
		m := s.Metadata
		if m.Requests.Requests != 30 || m.Requests.Retries != 3 || m.Procs != 6 || m.RandomSeed != 42 || m.RunID != "run-1-3" ||
			m.Shard != "merged 3 shards: 1/3, 2/3, 3/3" || m.DurationSeconds != 3 {
			t.Errorf("merged metadata %+v", m)
		}
	}
	for _, f := range []string{report.JUnitFile, report.JSONFile, report.MarkdownFile, report.HTMLFile, "summary.json", "traceability.md", report.GinkgoFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("merged reports lack %s: %v", f, err)
		}
	}
}

func TestMergeRefusesAnIncompleteOrInconsistentSetOfShards(t *testing.T) {
	cases := map[string]struct {
		edit   func(k int, rep *types.Report, seed *int64)
		dirs   func(root string) []string
		shards int
		want   string
	}{
		"a lost spec": {edit: func(k int, rep *types.Report, _ *int64) {
			if k == 1 {
				rep.SpecReports = rep.SpecReports[1:]
			}
		}, shards: 3, want: "1 of the 30 specs of the shards' spec tree are in no shard's report"},
		"a duplicated spec": {edit: func(k int, rep *types.Report, _ *int64) {
			if k == 1 {
				rep.SpecReports = append(rep.SpecReports, shardReports(3)[0].SpecReports[0])
			}
		}, want: "is reported by both shard 1/3"},
		"a spec in the wrong shard": {edit: func(k int, rep *types.Report, _ *int64) {
			if k == 1 {
				rep.SpecReports = append(rep.SpecReports, shardReports(3)[0].SpecReports[0])
			}
		}, want: "the report of shard 2/3"},
		"a missing shard": {dirs: func(root string) []string {
			return []string{filepath.Join(root, "shard-0"), filepath.Join(root, "shard-2")}
		}, shards: 3, want: "shard 2/3 is missing"},
		"a shard twice": {dirs: func(root string) []string {
			return []string{root, filepath.Join(root, "shard-2")}
		}, shards: 3, want: "shard 3/3 is there 2 times"},
		"different seeds": {edit: func(k int, _ *types.Report, seed *int64) {
			if k == 2 {
				*seed = 7
			}
		}, shards: 3, want: "different seeds: shard 1/3"},
		"another number of shards": {shards: 4, want: "is not one of 4 shards"},
		"no shard reports": {dirs: func(root string) []string {
			return []string{filepath.Join(root, "shard-0", "nothing-here")}
		}, want: "no ginkgo-report.json"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeShards(t, root, tc.edit)
			dirs := []string{root}
			if tc.dirs != nil {
				dirs = tc.dirs(root)
			}
			out := filepath.Join(t.TempDir(), "merged")
			_, err := Merge(MergeOptions{ReportDir: out, Shards: tc.shards, Dirs: dirs}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if _, statErr := os.Stat(out); statErr == nil {
				t.Error("a merge that failed wrote reports")
			}
		})
	}
}

func TestMergeWithoutShardCountMergesWhatIsThere(t *testing.T) {
	root := t.TempDir()
	writeShards(t, root, func(k int, _ *types.Report, seed *int64) {
		if k == 2 {
			*seed = 7
		}
	})
	var warnings strings.Builder
	s, err := Merge(MergeOptions{ReportDir: filepath.Join(root, "out"), Dirs: []string{filepath.Join(root, "shard-1"), filepath.Join(root, "shard-2")}}, &warnings)
	if err != nil {
		t.Fatal(err)
	}
	want := len(shardReports(3)[1].SpecReports) + len(shardReports(3)[2].SpecReports)
	if s.Totals.Specs != want || !strings.Contains(warnings.String(), "warning: the shards ran with different seeds") {
		t.Errorf("%d specs (want %d); output:\n%s", s.Totals.Specs, want, warnings.String())
	}
}
