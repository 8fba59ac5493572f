package runner

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/fixtures"
)

func TestProcessSet(t *testing.T) {
	base := fixtures.DefaultEnvironment()
	worker := func(process, total int) types.SuiteConfig {
		return types.SuiteConfig{ParallelProcess: process, ParallelTotal: total}
	}
	cases := map[string]struct {
		r        config.Resolved
		sc       types.SuiteConfig
		wantXUID string
		wantErr  string
	}{
		"single process keeps the world": {config.Resolved{TestWorld: base, Embedded: true}, worker(1, 1), base.Identities["user1"].XUID, ""},
		"embedded worker 3 of 4":         {config.Resolved{TestWorld: base, Embedded: true}, worker(3, 4), "2814602000000101", ""},
		"minted worker 2 of 2": {config.Resolved{Config: config.Config{Target: "http://x", EmulatorTokenKey: "k"}, TestWorld: base},
			worker(2, 2), "2814601000000101", ""},
		"configured identities refuse parallel": {config.Resolved{Config: config.Config{Target: "http://x"}, TestWorld: base},
			worker(2, 2), "", "need 1 identityPools"},
		"too many workers": {config.Resolved{TestWorld: base, Embedded: true}, worker(17, 17), "", "at most 16"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			set, err := processSet(tc.r, tc.sc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := set.World.Identities["user1"].XUID; got != tc.wantXUID {
				t.Errorf("user1 XUID %s, want %s", got, tc.wantXUID)
			}
		})
	}
}
