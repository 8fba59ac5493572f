package runner

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
	"github.com/mpsdconf/mpsdconf/report"
)

func TestMergeWorkerReportsKeepsEachSpecOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	it := func(text string, state types.SpecState) types.SpecReport {
		return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: state}
	}
	w1 := &types.Report{SuiteSucceeded: true, StartTime: t0, EndTime: t0.Add(time.Second),
		SpecReports: []types.SpecReport{it("a", types.SpecStatePassed), it("b", types.SpecStateSkipped), it("c", types.SpecStateSkipped)}}
	w2 := &types.Report{SuiteSucceeded: false, StartTime: t0.Add(-time.Second), EndTime: t0.Add(3 * time.Second),
		SpecReports: []types.SpecReport{it("a", types.SpecStateSkipped), it("b", types.SpecStateFailed), it("c", types.SpecStateSkipped),
			{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed}}}
	merged, problems := mergeWorkerReports([]workerOutcome{{report: w1}, {report: w2}, {index: 2, problem: "worker 3 crashed"}})
	if len(problems) != 1 || merged.SuiteSucceeded {
		t.Fatalf("problems %v, succeeded %v", problems, merged.SuiteSucceeded)
	}
	states := map[string]types.SpecState{}
	for _, sr := range merged.SpecReports {
		if _, dup := states[sr.LeafNodeText]; dup {
			t.Errorf("spec %q reported twice", sr.LeafNodeText)
		}
		states[sr.LeafNodeText] = sr.State
	}
	if len(states) != 3 || states["a"] != types.SpecStatePassed || states["b"] != types.SpecStateFailed || states["c"] != types.SpecStateSkipped {
		t.Errorf("merged states %v", states)
	}
	if merged.RunTime != 4*time.Second {
		t.Errorf("run time %v, want 4s", merged.RunTime)
	}
}

// it is a finished spec report; skipped ones carry msg as their skip message.
func it(text string, state types.SpecState, msg string) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, State: state, Failure: types.Failure{Message: msg}}
}

func TestMergeWorkerReportsDropsClaimSkipsAndFlagsSpecsRunTwice(t *testing.T) {
	claimed := outcome.ClaimSkipMessage
	w1 := &types.Report{SuiteSucceeded: true, SpecReports: []types.SpecReport{
		it("a", types.SpecStatePassed, ""), it("b", types.SpecStateSkipped, claimed), it("c", types.SpecStateSkipped, ""),
		it("d", types.SpecStateSkipped, "not applicable to this world")}}
	w2 := &types.Report{SuiteSucceeded: true, SpecReports: []types.SpecReport{
		it("a", types.SpecStateSkipped, claimed), it("b", types.SpecStateFailed, "boom"), it("c", types.SpecStateSkipped, ""),
		it("d", types.SpecStateSkipped, claimed), it("e", types.SpecStateSkipped, outcome.ShardSkipMessage)}}
	merged, problems := mergeWorkerReports([]workerOutcome{{index: 0, report: w1}, {index: 1, report: w2}})
	if len(problems) != 0 || !merged.SuiteSucceeded {
		t.Fatalf("problems %v, succeeded %v", problems, merged.SuiteSucceeded)
	}
	got := map[string]string{}
	for _, sr := range merged.SpecReports {
		if _, dup := got[sr.LeafNodeText]; dup {
			t.Errorf("spec %q reported twice", sr.LeafNodeText)
		}
		got[sr.LeafNodeText] = sr.State.String() + "/" + sr.Failure.Message
	}
	want := map[string]string{"a": "passed/", "b": "failed/boom", "c": "skipped/", "d": "skipped/not applicable to this world"}
	if len(got) != len(want) {
		t.Errorf("merged %v, want %v (claim and shard skips dropped)", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("spec %s: %q, want %q", name, got[name], w)
		}
	}

	twice := &types.Report{SuiteSucceeded: true, SpecReports: []types.SpecReport{it("a", types.SpecStatePassed, "")}}
	_, problems = mergeWorkerReports([]workerOutcome{{index: 0, report: w1}, {index: 2, report: twice}})
	if len(problems) != 1 || !strings.Contains(problems[0], `"a" is reported by both worker 1 and worker 3`) {
		t.Errorf("a spec run by two workers: problems %v", problems)
	}
}

func TestClaimsGiveEachSpecToTheFirstWorkerToAsk(t *testing.T) {
	c := newClaims()
	var seen0, seen1 int
	claim := func(spec string, worker int, seen *int) bool { mine, _ := c.claim(spec, worker, seen); return mine }
	if !claim("x", 0, &seen0) || claim("x", 1, &seen1) || !claim("x", 0, &seen0) || !claim("y", 1, &seen1) {
		t.Fatal("x must go to worker 0 (asking again included), y to worker 1")
	}
	if owners := c.owners(); len(owners) != 2 || owners["x"] != 0 || owners["y"] != 1 {
		t.Errorf("owners %v", owners)
	}
	claim("z", 1, &seen1)
	if mine, news := c.claim("w", 0, &seen0); !mine || strings.Join(news, ",") != "y,z" {
		t.Errorf("worker 0 is told %q were claimed since its last claim, want y,z (never its own)", news)
	}
	if _, news := c.claim("w", 0, &seen0); len(news) != 0 {
		t.Errorf("worker 0 is told again: %q", news)
	}
}

// pipeClient connects a claimClient to c.serve for worker, as the worker process would be.
func pipeClient(t *testing.T, c *claims, worker int) (*claimClient, func()) {
	t.Helper()
	reqR, reqW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ansR, ansW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); c.serve(worker, reqR, ansW) }()
	parentGone := func() { _ = reqR.Close(); _ = ansW.Close(); <-done }
	t.Cleanup(func() { _ = reqW.Close(); _ = ansR.Close(); parentGone() })
	return &claimClient{out: reqW, in: bufio.NewReader(ansR), taken: map[string]bool{}}, parentGone
}

func TestClaimProtocolOverPipes(t *testing.T) {
	c := newClaims()
	one, _ := pipeClient(t, c, 0)
	two, parentGone := pipeClient(t, c, 1)
	odd := "a spec \"quoted\"\nover two lines"
	for _, step := range []struct {
		client *claimClient
		spec   string
		want   bool
	}{{one, odd, true}, {two, odd, false}, {two, "next", true}, {one, "next", false}, {one, odd, true}} {
		got, err := step.client.claim(step.spec)
		if err != nil || got != step.want {
			t.Fatalf("claim %q: %v, %v; want %v", step.spec, got, err, step.want)
		}
	}
	parentGone()
	if mine, err := two.claim(odd); mine || err != nil {
		t.Errorf("a spec the parent said was taken: %v, %v; want false without asking", mine, err)
	}
	if _, err := two.claim("after"); err == nil || !strings.Contains(err.Error(), "parent process") {
		t.Errorf("claim with the parent gone: %v, want an error naming the parent process", err)
	}
}

func TestLostClaimsAreHarnessErrors(t *testing.T) {
	merged := types.Report{SpecReports: []types.SpecReport{it("ran", types.SpecStatePassed, "")}}
	owners := map[string]int{"ran": 0, "lost": 2}
	lost := lostClaims(merged, owners, map[string]string{"lost": "HQ-PRIVATE-403"})
	if len(lost) != 1 {
		t.Fatalf("lost %v, want the one spec without a result", lost)
	}
	class, cause := report.Classify(lost[0])
	if lost[0].FullText() != "lost" || class != report.OutcomeHarnessError || !strings.Contains(cause, "worker 3") {
		t.Errorf("lost spec %q: %s (%s)", lost[0].FullText(), class, cause)
	}
	if id, ok := catalog.RuleIDFromLabels(lost[0].Labels()); !ok || id != "HQ-PRIVATE-403" {
		t.Errorf("lost spec's rule %q", id)
	}
}

func TestKeepShardKeepsOnlyTheShardsSpecs(t *testing.T) {
	var rep types.Report
	names := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
	for _, n := range names {
		rep.SpecReports = append(rep.SpecReports, it(n, types.SpecStatePassed, ""))
	}
	rep.SpecReports = append(rep.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed})
	if got := keepShard(rep, config.Shard{}); len(got.SpecReports) != len(rep.SpecReports) {
		t.Errorf("no shard kept %d of %d", len(got.SpecReports), len(rep.SpecReports))
	}
	total := 0
	for k := 1; k <= 3; k++ {
		shard := config.Shard{Index: k, Count: 3}
		for _, sr := range keepShard(rep, shard).SpecReports {
			if sr.LeafNodeType.Is(types.NodeTypeIt) {
				total++
				if !shard.Contains(sr.FullText()) {
					t.Errorf("shard %s kept %q", shard, sr.FullText())
				}
			}
		}
	}
	if total != len(names) {
		t.Errorf("3 shards kept %d specs, want %d", total, len(names))
	}
}
