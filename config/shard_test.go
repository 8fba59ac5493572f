package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// specNames are spec-like full texts: containers, the spec's sentence, a rule's wording.
func specNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("[handles-query] POST /handles/query with type %d answers 400 when the owner is missing #%d", i%7, i)
	}
	return names
}

func TestEverySpecIsInExactlyOneShard(t *testing.T) {
	names := specNames(500)
	for n := 1; n <= 8; n++ {
		sizes := make([]int, n)
		for _, name := range names {
			in := 0
			for k := 1; k <= n; k++ {
				if (Shard{Index: k, Count: n}).Contains(name) {
					in++
					sizes[k-1]++
				}
			}
			if in != 1 {
				t.Fatalf("%d shards: %q is in %d of them", n, name, in)
			}
			if got := ShardOf(name, n); got < 1 || got > n {
				t.Fatalf("ShardOf(%q, %d) = %d", name, n, got)
			}
		}
		for k, size := range sizes {
			if size == 0 || size > 2*len(names)/n {
				t.Errorf("%d shards: shard %d has %d of %d specs: badly spread %v", n, k+1, size, len(names), sizes)
			}
		}
	}
	if !(Shard{}).Contains(names[0]) {
		t.Error("a run that is not sharded must run every spec")
	}
}

// TestShardChoiceIsStable pins the choice (FNV-1a of the full text, mod N): shards of one run
// may be run by different builds on different machines, and must still agree.
func TestShardChoiceIsStable(t *testing.T) {
	cases := []struct {
		name string
		n    int
		want int
	}{
		{"", 4, 2},                 // FNV-1a offset basis 0x811c9dc5 % 4 = 1
		{"a", 4, 1},                // 0xe40c292c % 4 = 0
		{"foobar", 3, 2},           // 0xbf9cf968 % 3 = 1
		{"any spec at all", 1, 1},  // one shard holds everything
		{"any spec at all", 0, 1},  // so does no sharding
		{"any spec at all", -3, 1}, // and nonsense
	}
	for _, tc := range cases {
		if got := ShardOf(tc.name, tc.n); got != tc.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", tc.name, tc.n, got, tc.want)
		}
	}
	for _, name := range specNames(50) {
		if ShardOf(name, 5) != ShardOf(strings.Clone(name), 5) {
			t.Fatalf("%q changes shard between calls", name)
		}
	}
}

func TestParseShard(t *testing.T) {
	env := func(index string) func(string) string {
		return func(k string) string {
			if k == EnvJobCompletionIndex {
				return index
			}
			return ""
		}
	}
	good := []struct {
		value, index string
		want         Shard
	}{
		{"", "", Shard{}},
		{"1/1", "", Shard{1, 1}},
		{"3/4", "", Shard{3, 4}},
		{" 2 / 8 ", "", Shard{2, 8}},
		{"index/4", "0", Shard{1, 4}},
		{"index/4", "3", Shard{4, 4}},
	}
	for _, tc := range good {
		got, err := ParseShard(tc.value, env(tc.index))
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) with index %q = %v, %v; want %v", tc.value, tc.index, got, err, tc.want)
		}
	}
	if s := (Shard{3, 4}); s.String() != "3/4" || (Shard{}).String() != "" {
		t.Errorf("String: %q, %q", s.String(), Shard{}.String())
	}
	bad := []struct{ value, index, want string }{
		{"0/4", "", "from 1 to 4"},
		{"5/4", "", "from 1 to 4"},
		{"1/0", "", "at least 1"},
		{"2/-1", "", "at least 1"},
		{"two/4", "", "from 1 to 4"},
		{"3", "", "K/N"},
		{"3/x", "", "K/N"},
		{"index/4", "", EnvJobCompletionIndex},
		{"index/4", "4", "from 0 to 3"},
		{"index/4", "-1", "from 0 to 3"},
		{"index/4", "one", "from 0 to 3"},
	}
	for _, tc := range bad {
		if _, err := ParseShard(tc.value, env(tc.index)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseShard(%q) with index %q: error %v, want one mentioning %q", tc.value, tc.index, err, tc.want)
		}
	}
}

func TestResolveShard(t *testing.T) {
	t.Setenv(EnvJobCompletionIndex, "2")
	r, err := Resolve(Config{Shard: "index/3"})
	if err != nil || r.SpecShard != (Shard{3, 3}) {
		t.Fatalf("index/3 with JOB_COMPLETION_INDEX=2: %v, %v", r.SpecShard, err)
	}
	_, err = Resolve(Config{Shard: "4/3"})
	var cfgErr *Error
	if err == nil || !errors.As(err, &cfgErr) || !strings.Contains(err.Error(), "shard") {
		t.Errorf("shard 4/3: %v, want a configuration error naming the shard", err)
	}
	t.Setenv(EnvJobCompletionIndex, "")
	if _, err := Resolve(Config{Shard: "index/3"}); err == nil || !errors.As(err, &cfgErr) {
		t.Errorf("index/3 without JOB_COMPLETION_INDEX: %v, want a configuration error", err)
	}
}

func TestShardFromFlagAndEnvironment(t *testing.T) {
	cfg, err := Load(nil, []string{"MPSDCONF_SHARD=2/5"})
	if err != nil || cfg.Shard != "2/5" {
		t.Fatalf("MPSDCONF_SHARD: %q, %v", cfg.Shard, err)
	}
}

// Shards of one run may run at once against one target: where identities are minted, each
// shard's processes act as their own identity sets, and too many are refused.
func TestShardsActAsTheirOwnUsers(t *testing.T) {
	resolve := func(shard string, procs int) Resolved {
		t.Helper()
		cfg := Default()
		cfg.Shard, cfg.Procs = shard, procs
		r, err := Resolve(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	user1 := func(r Resolved) string {
		t.Helper()
		w, err := r.ShardWorld()
		if err != nil {
			t.Fatal(err)
		}
		return w.World.Identities["user1"].XUID
	}
	one, two, three := resolve("1/3", 1), resolve("2/3", 1), resolve("3/3", 1)
	if user1(one) != one.TestWorld.Identities["user1"].XUID || user1(one) == user1(two) || user1(two) == user1(three) {
		t.Errorf("shards share users: %s %s %s", user1(one), user1(two), user1(three))
	}
	if got := resolve("2/3", 4).ShardIdentityOffset(); got != 4 {
		t.Errorf("shard 2 with 4 processes starts at identity set %d, want 4", got)
	}
	worlds, err := resolve("2/3", 4).ProcessWorlds(4)
	if err != nil || worlds[0].World.Identities["user1"].XUID == one.TestWorld.Identities["user1"].XUID {
		t.Errorf("shard 2's first worker acts as shard 1's users: %v", err)
	}
	if _, err := resolve("4/4", 5).ProcessWorlds(5); err == nil || !strings.Contains(err.Error(), "fewer processes per shard") {
		t.Errorf("shard 4 of 4 with 5 processes each: %v", err)
	}
	if resolve("", 1).ShardIdentityOffset() != 0 {
		t.Error("an unsharded run is offset")
	}
}

func TestShardsOfConfiguredIdentitiesUseTheirOwnSetsWhereThereAreEnough(t *testing.T) {
	world := fixtures.DefaultEnvironment()
	for name, id := range world.Identities {
		id.Authorization = "XBL3.0 x=1;t-" + name
		world.Identities[name] = id
	}
	pool := func(k int) map[string]fixtures.Identity {
		p := map[string]fixtures.Identity{}
		for name, id := range world.Identities {
			if !id.Server {
				id.XUID = strings.Replace(id.XUID, "28146", fmt.Sprintf("2814%d", 6+k), 1)
			}
			p[name] = id
		}
		return p
	}
	resolve := func(shard string, procs int, pools ...map[string]fixtures.Identity) Resolved {
		t.Helper()
		r, err := Resolve(Config{Target: "https://mpsd.example", World: world, IdentityPools: pools, Shard: shard, Procs: procs})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Two shards of two processes and four sets: shard 2 takes pools 1 and 2.
	r := resolve("2/2", 2, pool(1), pool(2), pool(3))
	sets, err := r.ProcessWorlds(2)
	if err != nil || sets[0].Name != "identityPools[1]" || sets[1].Name != "identityPools[2]" || r.SharesIdentitiesWithOtherShards() {
		t.Errorf("shard 2/2 with enough sets: %v %+v", err, sets)
	}
	// Too few sets for every shard: each shard uses the first ones, and says so.
	r = resolve("2/2", 1)
	if set, _ := r.ShardWorld(); set.Name != "" || !r.SharesIdentitiesWithOtherShards() {
		t.Errorf("shard 2/2 with one set: %+v, shares %v", set, r.SharesIdentitiesWithOtherShards())
	}
}
