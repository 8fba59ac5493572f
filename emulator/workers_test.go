package emulator

import (
	"testing"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// TestSocialGraphCoversEveryWorker: parallel workers act as derived users, and each must find
// its own social graph in an emulator configured from the base world.
func TestSocialGraphCoversEveryWorker(t *testing.T) {
	env := fixtures.DefaultEnvironment()
	cfg := ConfigFromEnvironment(env, []byte("k"))
	for k := 0; k < fixtures.MaxWorkers; k++ {
		w, err := env.ForWorker(k)
		if err != nil {
			t.Fatal(err)
		}
		people := cfg.SocialGraph[w.Identities[fixtures.User1].XUID][fixtures.MonikerPeople]
		want := w.Identities[fixtures.User2].XUID
		found := false
		for _, x := range people {
			found = found || x == want
		}
		if !found {
			t.Errorf("worker %d: user1's people %v lack user2 %s", k, people, want)
		}
	}
}
