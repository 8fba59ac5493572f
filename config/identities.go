package config

import (
	"fmt"
	"os"
	"time"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
)

// minted reports whether the harness mints the run's identities (the embedded emulator, or an
// emulator target whose key is configured) instead of reading configured Authorization values.
func (r Resolved) minted() bool { return r.Embedded || r.EmulatorTokenKey != "" }

// ProcessWorlds gives each of n processes its own identities: derived per process where the
// harness mints tokens, else from the configured identity pools (process 1 uses the world's
// own identities), with each Authorization value read (authorizationEnv resolved). MPSD keeps
// per-user state (one activity per user, SCID and title), so processes must not act as the
// same users. Its errors are *Error.
func (r Resolved) ProcessWorlds(n int) ([]fixtures.Environment, error) {
	worlds, err := r.processWorlds(n)
	return worlds, NewError(err)
}

func (r Resolved) processWorlds(n int) ([]fixtures.Environment, error) {
	minted := r.minted()
	offset := r.ShardIdentityOffset()
	if minted && offset > 0 && offset+n > fixtures.MaxWorkers {
		return nil, fmt.Errorf("shard: shard %s with %d processes needs identity set %d, but there are %d: use fewer processes per shard", r.SpecShard, n, offset+n, fixtures.MaxWorkers)
	}
	if !minted && n-1 > len(r.IdentityPools) {
		return nil, fmt.Errorf("procs: %d processes against a target with configured identities need %d identityPools (one per process after the first), the configuration has %d",
			n, n-1, len(r.IdentityPools))
	}
	worlds := make([]fixtures.Environment, n)
	for k := range worlds {
		if minted {
			w, err := r.TestWorld.ForWorker(offset + k)
			if err != nil {
				return nil, err
			}
			worlds[k] = w
			continue
		}
		w := r.TestWorld
		if k > 0 {
			w.Identities = r.IdentityPools[k-1]
		}
		// Workers receive ready Authorization values: they do not see the variables
		// named by authorizationEnv.
		ids, err := identity.FromEnvironment(w, os.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("process %d: %w", k+1, err)
		}
		w.Identities = withAuthorizations(w.Identities, ids)
		worlds[k] = w
	}
	return worlds, nil
}

// ShardIdentityOffset is the first identity set of this shard's processes where the harness
// mints tokens: shards of one run may run at the same time against one target, and MPSD keeps
// per-user state, so shard K's processes act as identity sets (K-1)*procs onwards. It is 0
// without shards and for configured identities (each shard's machine brings its own).
func (r Resolved) ShardIdentityOffset() int {
	if !r.minted() || r.SpecShard.Count < 2 {
		return 0
	}
	return (r.SpecShard.Index - 1) * r.Procs
}

// ShardWorld is the world of a single-process run of this shard: the test world, or for a
// shard with minted identities its own identity set (see ShardIdentityOffset). Its errors are
// *Error.
func (r Resolved) ShardWorld() (fixtures.Environment, error) {
	if r.ShardIdentityOffset() == 0 {
		return r.TestWorld, nil
	}
	worlds, err := r.ProcessWorlds(1)
	if err != nil {
		return r.TestWorld, err
	}
	return worlds[0], nil
}

// withAuthorizations copies the identities with each one's Authorization value as the store
// resolved it (authorizationEnv read), and no authorizationEnv.
func withAuthorizations(specs map[string]fixtures.Identity, ids *identity.Store) map[string]fixtures.Identity {
	out := make(map[string]fixtures.Identity, len(specs))
	for name, spec := range specs {
		if id, err := ids.Get(name); err == nil {
			spec.Authorization, spec.AuthorizationEnv = id.Authorization(), ""
		}
		out[name] = spec
	}
	return out
}

// TargetIdentities builds the identities of world for the configured target: minted with the
// emulator key when one is configured, else from the configured Authorization values. (The
// embedded emulator's identities are minted with the key it makes.) Its errors are *Error.
func (r Resolved) TargetIdentities(world fixtures.Environment) (*identity.Store, error) {
	var ids *identity.Store
	var err error
	if r.EmulatorTokenKey != "" {
		ids, err = identity.Mint(world, []byte(r.EmulatorTokenKey), time.Now())
	} else {
		ids, err = identity.FromEnvironment(world, os.LookupEnv)
	}
	return ids, NewError(err)
}
