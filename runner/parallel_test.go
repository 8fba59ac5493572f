package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

func TestShardRulesBalancesSpecsAndKeepsRulesWhole(t *testing.T) {
	var plan Summary
	add := func(rule string, n int, outcome string) {
		for i := 0; i < n; i++ {
			plan.Specs = append(plan.Specs, SpecResult{Name: rule + string(rune('a'+i)), Rule: rule, Outcome: outcome})
		}
	}
	add("BIG", 24, OutcomePassed)
	add("MID", 10, OutcomePassed)
	add("S1", 8, OutcomePassed)
	add("S2", 6, OutcomePassed)
	add("FILTERED", 5, OutcomeSkipped)
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

func TestWorkerWorlds(t *testing.T) {
	base := fixtures.DefaultEnvironment()
	embedded := resolved{world: base, embedded: true}
	worlds, err := workerWorlds(embedded, 3)
	if err != nil || worlds[2].Identities["user1"].XUID != "2814602000000101" {
		t.Fatalf("embedded worlds: %v %v", err, worlds)
	}
	configured := base
	configured.Identities = map[string]fixtures.Identity{}
	for name, id := range base.Identities {
		id.AuthorizationEnv = "TEST_AUTH_" + name
		configured.Identities[name] = id
	}
	pool := map[string]fixtures.Identity{}
	for name, id := range base.Identities {
		id.XUID = strings.Replace(id.XUID, "28146", "28147", 1)
		if id.Server {
			id.XUID = ""
		}
		id.AuthorizationEnv = ""
		id.Authorization = "XBL3.0 x=p;pool-" + name
		pool[name] = id
	}
	r := resolved{Config: Config{Target: "https://mpsd.example", IdentityPools: []map[string]fixtures.Identity{pool}}, world: configured}
	if _, err := workerWorlds(r, 3); err == nil || !strings.Contains(err.Error(), "identityPools") {
		t.Errorf("3 processes with one pool: %v", err)
	}
	if _, err := workerWorlds(r, 2); err == nil || !strings.Contains(err.Error(), "TEST_AUTH_") {
		t.Errorf("unset authorizationEnv: %v", err)
	}
	for name := range base.Identities {
		t.Setenv("TEST_AUTH_"+name, "XBL3.0 x=1;tok-"+name)
	}
	worlds, err = workerWorlds(r, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := worlds[0].Identities["user2"]; got.Authorization != "XBL3.0 x=1;tok-user2" || got.AuthorizationEnv != "" {
		t.Errorf("process 1 identity not resolved: %+v", got)
	}
	if got := worlds[1].Identities["user1"]; got.Authorization != "XBL3.0 x=p;pool-user1" || got.XUID != "2814700000000101" {
		t.Errorf("process 2 does not use the pool: %+v", got)
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
