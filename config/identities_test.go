package config

import (
	"context"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

func TestProcessWorlds(t *testing.T) {
	base := fixtures.DefaultEnvironment()
	embedded := Resolved{TestWorld: base, Embedded: true}
	sets, err := embedded.ProcessWorlds(3)
	if err != nil || sets[2].World.Identities["user1"].XUID != "2814602000000101" || sets[2].Name != "identity set 3" || sets[0].Name != "" {
		t.Fatalf("embedded sets: %v %+v", err, sets)
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
		id.Authorization = "XBL3.0 x=p;pool-" + name
		pool[name] = id
	}
	r := Resolved{Config: Config{Target: "https://mpsd.example", IdentityPools: []map[string]fixtures.Identity{pool}}, TestWorld: configured}
	if _, err := r.ProcessWorlds(3); err == nil || !strings.Contains(err.Error(), "identityPools") {
		t.Errorf("3 processes with one pool: %v", err)
	}
	sets, err = r.ProcessWorlds(2)
	if err != nil {
		t.Fatal(err)
	}
	if got := sets[1].World.Identities["user1"]; got.Authorization != "XBL3.0 x=p;pool-user1" || got.XUID != "2814700000000101" || sets[1].Name != "identityPools[0]" {
		t.Errorf("process 2 does not use the pool: %+v %q", got, sets[1].Name)
	}

	creds, err := r.Credentials("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := creds.Store(sets[0], nil); err == nil || !strings.Contains(err.Error(), "TEST_AUTH_user2") {
		t.Errorf("unset authorizationEnv: %v", err)
	}
	for name := range base.Identities {
		t.Setenv("TEST_AUTH_"+name, "XBL3.0 x=1;tok-"+name)
	}
	ids, err := creds.Store(sets[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := ids.Get("user2")
	if got, err := id.Credential().Authorization(context.Background()); err != nil || got != "XBL3.0 x=1;tok-user2" {
		t.Errorf("process 1 identity not read from its variable: %q %v", got, err)
	}
	if got := creds.Redactor().String("Authorization: XBL3.0 x=1;tok-user2"); strings.Contains(got, "tok-user2") {
		t.Errorf("the redactor does not know the value read: %s", got)
	}
	// A worker gets the values its parent read, before its own environment.
	worker, err := creds.Store(sets[0], func(name string) (string, bool) {
		return "XBL3.0 x=9;from-parent", name == "TEST_AUTH_user3"
	})
	if err != nil {
		t.Fatal(err)
	}
	id, _ = worker.Get("user3")
	if got, _ := id.Credential().Authorization(context.Background()); got != "XBL3.0 x=9;from-parent" {
		t.Errorf("worker lookup not used first: %q", got)
	}
}

func TestIdentitySetsMustNotShareUsersOrDisagreeOnTheServer(t *testing.T) {
	world := fixtures.DefaultEnvironment().Identities
	same := map[string]fixtures.Identity{}
	other := map[string]fixtures.Identity{}
	noServer := map[string]fixtures.Identity{}
	for name, id := range world {
		same[name] = id
		moved := id
		if !id.Server {
			moved.XUID = strings.Replace(id.XUID, "28146", "28149", 1)
			noServer[name] = moved
		}
		other[name] = moved
	}
	if err := checkIdentitySets(world, []map[string]fixtures.Identity{other}); err != nil {
		t.Errorf("distinct sets refused: %v", err)
	}
	err := checkIdentitySets(world, []map[string]fixtures.Identity{other, same})
	if err == nil || !strings.Contains(err.Error(), "identityPools[1].user1.xuid: XUID 2814600000000101 is also identities.user1") {
		t.Errorf("a pool repeating the world's users: %v", err)
	}
	err = checkIdentitySets(world, []map[string]fixtures.Identity{noServer})
	if err == nil || !strings.Contains(err.Error(), "1 of the 2 identity sets") {
		t.Errorf("a pool without the server the world has: %v", err)
	}
}
