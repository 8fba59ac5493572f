package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/report"
)

func TestShardRulesBalancesSpecsAndKeepsRulesWhole(t *testing.T) {
	var plan report.Summary
	add := func(rule string, n int, outcome string) {
		for i := 0; i < n; i++ {
			plan.Specs = append(plan.Specs, report.SpecResult{Name: rule + string(rune('a'+i)), Rule: rule, Outcome: outcome})
		}
	}
	add("BIG", 24, report.OutcomePassed)
	add("MID", 10, report.OutcomePassed)
	add("S1", 8, report.OutcomePassed)
	add("S2", 6, report.OutcomePassed)
	add("FILTERED", 5, report.OutcomeSkipped)
	shards, total := shardRules(plan, 3)
	if total != 48 || len(shards) != 3 {
		t.Fatalf("total %d shards %v", total, shards)
	}
	seen := map[string]int{}
	for _, s := range shards {
		for _, r := range s {
			seen[r]++
		}
	}
	if seen["FILTERED"] != 0 || seen["BIG"] != 1 || seen["MID"] != 1 || seen["S1"] != 1 || seen["S2"] != 1 {
		t.Errorf("rules not assigned exactly once: %v", shards)
	}
	if strings.Join(shards[0], ",") != "BIG" {
		t.Errorf("the biggest rule should have a shard of its own: %v", shards)
	}
	few, _ := shardRules(plan, 16)
	if len(few) != 4 {
		t.Errorf("16 processes for 4 rules: %d shards, want 4", len(few))
	}
}

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
