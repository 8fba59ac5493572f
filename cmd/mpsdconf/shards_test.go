package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/report"
)

// specOutcomes maps each spec of a run's report.json to its outcome class.
func specOutcomes(s report.Summary) map[string]string {
	out := make(map[string]string, len(s.Specs))
	for _, sp := range s.Specs {
		out[sp.Name] = sp.Outcome
	}
	return out
}

// sameOutcomes reports the first difference between two runs' specs and outcomes, or "".
func sameOutcomes(a, b map[string]string) string {
	for name, o := range a {
		if b[name] != o {
			return fmt.Sprintf("spec %q: %q vs %q", name, o, b[name])
		}
	}
	for name, o := range b {
		if _, ok := a[name]; !ok {
			return fmt.Sprintf("spec %q: missing vs %q", name, o)
		}
	}
	return ""
}

// junitCounts are the counts of a junit.xml: tests, failures, errors, disabled (skipped).
func junitCounts(t *testing.T, dir string) [4]int {
	t.Helper()
	var doc reporters.JUnitTestSuites
	if err := xml.Unmarshal([]byte(readAll(t, filepath.Join(dir, report.JUnitFile))), &doc); err != nil {
		t.Fatal(err)
	}
	return [4]int{doc.Tests, doc.Failures, doc.Errors, doc.Disabled}
}

// TestShardsMergeIntoTheSingleRun runs the suite against one emulator process with a fault
// (so that some specs fail and one is blocked) and a label filter (so that some are skipped)
// once whole and once as 3 shards of the same seed (one of them in 2 processes, one picked
// through JOB_COMPLETION_INDEX), merges the shards, and checks that the merge reports what the
// single run reports.
func TestShardsMergeIntoTheSingleRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run skipped in -short mode")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const key = "shard-test-key"
	url, stop := startEmulatorProcess(t, ctx, bin, key, "--fault", "session-update-keeps-changenumber")
	defer stop()
	root := t.TempDir()
	target := []string{"--target", url, "--emulator-token-key", key, "--seed", "11", "--label-filter", "!(endpoint: containsAny handles-query)"}
	single := runBinary(t, ctx, filepath.Join(root, "single"), nil, target...)
	if tot := single.summary.Totals; single.code != report.ExitFail || tot.Failed == 0 || tot.Blocked == 0 || tot.Skipped == 0 {
		t.Fatalf("single run: exit %d, %s; want failed, blocked and skipped specs\n%s", single.code, single.summary.Totals.Line(), tailString(single.output, 3000))
	}
	shardArgs := [][]string{{"--shard", "1/3"}, {"--shard", "2/3", "--procs", "2"}, {"--shard", "index/3"}}
	sum := 0
	for k, extra := range shardArgs {
		dir := filepath.Join(root, "shards", fmt.Sprintf("shard-%d", k))
		res := runBinary(t, ctx, dir, []string{config.EnvJobCompletionIndex + "=2"}, append(append([]string{}, target...), extra...)...)
		shard := config.Shard{Index: k + 1, Count: 3}
		if res.summary.Metadata.Shard != shard.String() || res.code < 0 || res.code > 1 {
			t.Fatalf("shard %s: exit %d, report.json says shard %q\n%s", shard, res.code, res.summary.Metadata.Shard, tailString(res.output, 3000))
		}
		for _, sp := range res.summary.Specs {
			if !shard.Contains(sp.Name) {
				t.Errorf("shard %s reports %q, a spec of shard %d", shard, sp.Name, config.ShardOf(sp.Name, 3))
			}
		}
		sum += res.summary.Totals.Specs
	}
	if sum != single.summary.Totals.Specs {
		t.Errorf("the shards report %d specs together, the single run %d", sum, single.summary.Totals.Specs)
	}

	mergedDir := filepath.Join(root, "merged")
	merge := exec.CommandContext(ctx, bin, "merge", "--report-dir", mergedDir, "--shards", "3", filepath.Join(root, "shards"))
	out, _ := merge.CombinedOutput()
	if code := merge.ProcessState.ExitCode(); code != single.code {
		t.Fatalf("merge exit %d, the single run's %d\n%s", code, single.code, out)
	}
	merged, err := report.ReadSummary(filepath.Join(mergedDir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if merged.Verdict != single.summary.Verdict || merged.Totals != single.summary.Totals {
		t.Errorf("merged %s %s, single run %s %s", merged.Verdict, merged.Totals.Line(), single.summary.Verdict, single.summary.Totals.Line())
	}
	if diff := sameOutcomes(specOutcomes(single.summary), specOutcomes(merged)); diff != "" {
		t.Errorf("merged and single run differ: %s", diff)
	}
	if got, want := junitCounts(t, mergedDir), junitCounts(t, single.dir); got != want {
		t.Errorf("junit.xml counts (tests, failures, errors, disabled): merged %v, single run %v", got, want)
	}
	if merged.Metadata.RandomSeed != 11 || merged.Metadata.Procs != 4 || merged.Metadata.Requests.Requests == 0 {
		t.Errorf("merged metadata: %+v", merged.Metadata)
	}

	// The same merge judged against expectations written from the single run is green: every
	// failure and blocked spec of the shards is expected, by rule or by full spec name.
	expFile := filepath.Join(root, "expectations.yaml")
	gen := exec.CommandContext(ctx, bin, "expectations", "--from", single.dir, "--output", expFile)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("expectations --from: %v\n%s", err, out)
	}
	judged := exec.CommandContext(ctx, bin, "merge", "--report-dir", filepath.Join(root, "judged"), "--shards", "3", "--expectations", expFile, filepath.Join(root, "shards"))
	out, _ = judged.CombinedOutput()
	if code := judged.ProcessState.ExitCode(); code != report.ExitPass {
		t.Errorf("merge --expectations: exit %d, want 0 (every failure expected)\n%s", code, out)
	}
	if s, err := report.ReadSummary(filepath.Join(root, "judged")); err != nil || s.Totals.Expected != s.Totals.Failed+s.Totals.Blocked || s.Expectations == nil {
		t.Errorf("merge --expectations: %v, totals %+v", err, s.Totals)
	}

	// One shard short is not a verdict.
	if err := os.RemoveAll(filepath.Join(root, "shards", "shard-1")); err != nil {
		t.Fatal(err)
	}
	short := exec.CommandContext(ctx, bin, "merge", "--report-dir", filepath.Join(root, "short"), "--shards", "3", filepath.Join(root, "shards"))
	out, _ = short.CombinedOutput()
	if code := short.ProcessState.ExitCode(); code != report.ExitHarness || !strings.Contains(string(out), "shard 2/3 is missing") {
		t.Errorf("merge without shard 2: exit %d, want 2 naming the missing shard\n%s", code, out)
	}
}

// TestShardSettingErrorsExit2 checks that bad --shard values are configuration errors.
func TestShardSettingErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		value, index, want string
	}{
		{"4/3", "", "K must be a whole number from 1 to 3"},
		{"1/0", "", "at least 1"},
		{"index/3", "", config.EnvJobCompletionIndex},
		{"index/3", "3", "from 0 to 2"},
	} {
		t.Run(tc.value+" "+tc.index, func(t *testing.T) {
			t.Setenv(config.EnvJobCompletionIndex, tc.index)
			code, _, stderr := runCLI(t, "run", "--shard", tc.value, "--report-dir", t.TempDir())
			if code != 2 || !strings.Contains(stderr, "configuration error: shard") || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s", code, stderr)
			}
		})
	}
}
