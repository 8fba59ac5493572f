package identity

import (
	"context"
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
	for _, name := range append(fixtures.RequiredIdentities, fixtures.Server) {
		id, err := s.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		value := id.Credential().Token().Authorization
		c, err := xbltoken.Parse(key, value, now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.XUID != id.XUID || c.Server != id.Server || c.TitleID != env.TitleID {
			t.Errorf("%s: claims %+v do not match identity %+v", name, c, id)
		}
		if strings.Contains(id.String(), value) {
			t.Errorf("String() leaks the secret")
		}
		_, token, _ := strings.Cut(value, ";")
		if got := s.Redactor().String("sent " + token); strings.Contains(got, token) {
			t.Errorf("%s: the store's redactor does not know the token: %s", name, got)
		}
	}
}

func TestBuildReadsAuthorizationFromTheEnvironment(t *testing.T) {
	env := fixtures.DefaultEnvironment()
	for name, id := range env.Identities {
		id.AuthorizationEnv = "AUTH_" + strings.ToUpper(name)
		env.Identities[name] = id
	}
	vars := map[string]string{"AUTH_USER1": "XBL3.0 x=1;one-token", "AUTH_USER2": "XBL3.0 x=2;two-token", "AUTH_USER3": "XBL3.0 x=3;three-token"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	if _, err := Build(env, "", Options{Lookup: lookup}); err == nil || !strings.Contains(err.Error(), "AUTH_SERVER") {
		t.Fatalf("missing variable not named: %v", err)
	}
	vars["AUTH_SERVER"] = "XBL3.0 x=-;srv-token"
	s, err := Build(env, "", Options{Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := s.Get("user2")
	if got, err := id.Credential().Authorization(context.Background()); err != nil || got != "XBL3.0 x=2;two-token" {
		t.Errorf("user2 authorization = %q, %v", got, err)
	}
	if id.Credential().Kind() != KindStatic || id.Credential().Source() != "authorizationEnv AUTH_USER2" {
		t.Errorf("source %s %q", id.Credential().Kind(), id.Credential().Source())
	}
	if _, err := s.Get("nobody"); err == nil {
		t.Error("Get of an unknown identity succeeded")
	}
}
