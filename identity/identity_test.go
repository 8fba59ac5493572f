package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

func TestMintGivesEveryIdentityAVerifiableToken(t *testing.T) {
	env := fixtures.DefaultEnvironment()
	key := []byte("k-0123456789")
	now := time.Now()
	s, err := Mint(env, key, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fixtures.RequiredIdentities {
		id, err := s.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := xbltoken.Parse(key, id.Authorization(), now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.XUID != id.XUID || c.Server != id.Server || c.TitleID != env.TitleID {
			t.Errorf("%s: claims %+v do not match identity %+v", name, c, id)
		}
		if strings.Contains(id.String(), id.Authorization()) {
			t.Errorf("String() leaks the secret")
		}
	}
	if len(s.Secrets()) != 2*len(env.Identities) {
		t.Errorf("Secrets() = %d values, want header and token of each identity", len(s.Secrets()))
	}
}

func TestFromEnvironment(t *testing.T) {
	env := fixtures.DefaultEnvironment()
	for name, id := range env.Identities {
		id.AuthorizationEnv = "AUTH_" + strings.ToUpper(name)
		env.Identities[name] = id
	}
	vars := map[string]string{"AUTH_USER1": "XBL3.0 x=1;one", "AUTH_USER2": "XBL3.0 x=2;two", "AUTH_USER3": "XBL3.0 x=3;three"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	if _, err := FromEnvironment(env, lookup); err == nil || !strings.Contains(err.Error(), "AUTH_SERVER") {
		t.Fatalf("missing variable not named: %v", err)
	}
	vars["AUTH_SERVER"] = "XBL3.0 x=-;srv"
	s, err := FromEnvironment(env, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := s.Get("user2"); id.Authorization() != "XBL3.0 x=2;two" {
		t.Errorf("user2 authorization = %q", id.Authorization())
	}
	if _, err := s.Get("nobody"); err == nil {
		t.Error("Get of an unknown identity succeeded")
	}
}
