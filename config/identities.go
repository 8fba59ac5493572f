package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/internal/xblauth"
)

// minted reports whether the harness mints the run's identities (the embedded emulator, or an
// emulator target whose key is configured) instead of using each identity's configured source.
func (r Resolved) minted() bool { return r.Embedded || r.EmulatorTokenKey != "" }

// IdentitySet is the identities one process of a run acts as.
type IdentitySet struct {
	// World is the test world with this set's identities.
	World fixtures.Environment
	// Name names the set in messages: "" for the world's own identities, "identityPools[0]"
	// for the first pool, "identity set 3" for the third minted one.
	Name string
}

// ProcessWorlds gives each of n processes its own identities: derived per process where the
// harness mints tokens, else from the configured identity pools (process 1 uses the world's
// own identities). MPSD keeps per-user state (one activity per user, SCID and title), so
// processes must not act as the same users. Its errors are *Error.
func (r Resolved) ProcessWorlds(n int) ([]IdentitySet, error) {
	worlds, err := r.processWorlds(n)
	return worlds, NewError(err)
}

func (r Resolved) processWorlds(n int) ([]IdentitySet, error) {
	minted := r.minted()
	offset := r.ShardIdentityOffset()
	if minted && offset > 0 && offset+n > fixtures.MaxWorkers {
		return nil, fmt.Errorf("shard: shard %s with %d processes needs identity set %d, but there are %d: use fewer processes per shard", r.SpecShard, n, offset+n, fixtures.MaxWorkers)
	}
	if !minted && offset+n-1 > len(r.IdentityPools) {
		return nil, fmt.Errorf("procs: %d processes against a target with configured identities need %d identityPools (one per process after the first), the configuration has %d",
			n, n-1, len(r.IdentityPools))
	}
	sets := make([]IdentitySet, n)
	for k := range sets {
		i := offset + k
		if minted {
			w, err := r.TestWorld.ForWorker(i)
			if err != nil {
				return nil, err
			}
			sets[k] = IdentitySet{World: w}
			if i > 0 {
				sets[k].Name = fmt.Sprintf("identity set %d", i+1)
			}
			continue
		}
		w := r.TestWorld
		if i > 0 {
			w.Identities = r.IdentityPools[i-1]
			sets[k].Name = fmt.Sprintf("identityPools[%d]", i-1)
		}
		sets[k].World = w
	}
	return sets, nil
}

// ShardIdentityOffset is the first identity set of this shard's processes: shards of one run
// may run at the same time against one target, and MPSD keeps per-user state, so shard K's
// processes act as identity sets (K-1)*procs onwards. Where tokens are minted there are
// always enough; against configured identities only when the configuration has a set for
// every process of every shard (identities plus identityPools), else each shard uses the
// configured sets from the first (each shard's machine brings its own, or the shards run one
// after another: see SharesIdentitiesWithOtherShards). It is 0 without shards.
func (r Resolved) ShardIdentityOffset() int {
	if r.SpecShard.Count < 2 || (!r.minted() && len(r.IdentityPools)+1 < r.SpecShard.Count*r.Procs) {
		return 0
	}
	return (r.SpecShard.Index - 1) * r.Procs
}

// SharesIdentitiesWithOtherShards reports whether this shard acts as the same configured
// identities as the other shards of its configuration (there are not enough identity sets for
// each to have its own): the shards must then not run at the same time against one target.
func (r Resolved) SharesIdentitiesWithOtherShards() bool {
	return r.SpecShard.Count > 1 && !r.minted() && len(r.IdentityPools)+1 < r.SpecShard.Count*r.Procs
}

// ShardWorld is the identity set of a single-process run of this shard: the test world, or
// for a shard its own identity set (see ShardIdentityOffset). Its errors are *Error.
func (r Resolved) ShardWorld() (IdentitySet, error) {
	if r.ShardIdentityOffset() == 0 {
		return IdentitySet{World: r.TestWorld}, nil
	}
	sets, err := r.ProcessWorlds(1)
	if err != nil {
		return IdentitySet{World: r.TestWorld}, err
	}
	return sets[0], nil
}

// checkIdentitySets checks what holds across the identity sets of a configuration (the
// world's identities and every identity pool): a user's XUID appears in one set only, and
// either every set has a server principal or none has (so the server specs do not depend on
// which process happens to run them).
func checkIdentitySets(world map[string]fixtures.Identity, pools []map[string]fixtures.Identity) error {
	sets := append([]map[string]fixtures.Identity{world}, pools...)
	label := func(k int) string {
		if k == 0 {
			return "identities"
		}
		return fmt.Sprintf("identityPools[%d]", k-1)
	}
	var problems []string
	type place struct {
		set   int
		where string
	}
	seen := map[string]place{}
	withServer := 0
	for k, set := range sets {
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			id := set[n]
			if id.XUID == "" || id.Server {
				continue
			}
			where := label(k) + "." + n
			other, dup := seen[id.XUID]
			switch {
			case !dup:
				seen[id.XUID] = place{set: k, where: where}
			case other.set != k: // twice in one set is the world's own check
				problems = append(problems, fmt.Sprintf("%s.xuid: XUID %s is also %s: every identity set needs users of its own", where, id.XUID, other.where))
			}
		}
		if _, ok := set[fixtures.Server]; ok {
			withServer++
		}
	}
	if withServer != 0 && withServer != len(sets) {
		problems = append(problems, fmt.Sprintf("server: %d of the %d identity sets (identities and identityPools) have a server principal: give every set one, or none", withServer, len(sets)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("identity sets:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// Credentials makes the identity stores of one process: every store shares one redactor,
// which learns each secret its credentials fetch, and one Xbox Live sign-in client (one
// device for the process).
type Credentials struct {
	opts identity.Options
}

// Credentials returns what builds the run's identity stores for its target: tokens minted
// with the emulator key where one is configured (key, if not empty, overrides it: the
// embedded emulator's own key), else each identity's configured source. warn is told about
// problems that do not stop the run. Its errors are *Error.
func (r Resolved) Credentials(key string, warn func(string)) (*Credentials, error) {
	redactor := mpsdclient.NewRedactor().With(r.EmulatorTokenKey, key)
	if key == "" {
		key = r.EmulatorTokenKey
	}
	opts := identity.Options{Lookup: os.LookupEnv, FetchTimeout: r.CredentialTimeout.D(), Redactor: redactor, Warn: warn}
	if key != "" {
		opts.EmulatorKey = []byte(key)
		return &Credentials{opts: opts}, nil
	}
	if !r.XboxLive.IsZero() {
		client, err := r.XboxLiveClient(redactor.Add)
		if err != nil {
			return nil, err
		}
		opts.XboxLive = client
	}
	return &Credentials{opts: opts}, nil
}

// XboxLiveClient is the Xbox Live sign-in of the configured title (xboxLive), through the
// configured proxy and CA bundle; onSecret learns every token and key it sees. Its errors
// are *Error.
func (r Resolved) XboxLiveClient(onSecret func(...string)) (*xblauth.Client, error) {
	timeout := r.CredentialTimeout.D()
	if timeout <= 0 {
		timeout = DefaultCredentialTimeout
	}
	httpClient, err := mpsdclient.NewHTTPClient(mpsdclient.NetworkOptions{CAFile: r.TLS.CAFile, ProxyURL: r.Proxy, RequestTimeout: timeout})
	if err != nil {
		return nil, NewError(fmt.Errorf("xboxLive: %w", err))
	}
	x := r.XboxLive
	client, err := xblauth.New(xblauth.Config{
		ClientID: x.ClientID, Sandbox: x.Sandbox, Flow: x.Flow, Endpoints: x.Endpoints,
		DeviceType: x.DeviceType, DeviceVersion: x.DeviceVersion,
		HTTPClient: httpClient, OnSecret: onSecret,
	})
	return client, NewError(err)
}

// Redactor returns the redactor of every store the credentials build.
func (c *Credentials) Redactor() *mpsdclient.Redactor { return c.opts.Redactor }

// Store builds the identities of one identity set. lookup, if not nil, reads environment
// variables before the process's own environment (a worker gets the values its parent
// fetched that way). Its errors are *Error.
func (c *Credentials) Store(set IdentitySet, lookup func(string) (string, bool)) (*identity.Store, error) {
	opts := c.opts
	if lookup != nil {
		opts.Lookup = func(name string) (string, bool) {
			if v, ok := lookup(name); ok {
				return v, true
			}
			return os.LookupEnv(name)
		}
	}
	store, err := identity.Build(set.World, set.Name, opts)
	return store, NewError(err)
}
