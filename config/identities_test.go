package config

import (
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

func TestProcessWorlds(t *testing.T) {
	base := fixtures.DefaultEnvironment()
	embedded := Resolved{TestWorld: base, Embedded: true}
	worlds, err := embedded.ProcessWorlds(3)
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
	r := Resolved{Config: Config{Target: "https://mpsd.example", IdentityPools: []map[string]fixtures.Identity{pool}}, TestWorld: configured}
	if _, err := r.ProcessWorlds(3); err == nil || !strings.Contains(err.Error(), "identityPools") {
		t.Errorf("3 processes with one pool: %v", err)
	}
	if _, err := r.ProcessWorlds(2); err == nil || !strings.Contains(err.Error(), "TEST_AUTH_") {
		t.Errorf("unset authorizationEnv: %v", err)
	}
	for name := range base.Identities {
		t.Setenv("TEST_AUTH_"+name, "XBL3.0 x=1;tok-"+name)
	}
	worlds, err = r.ProcessWorlds(2)
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
