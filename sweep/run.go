package sweep

import (
	"context"
	"fmt"
	"io"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
)

// Run removes what run runID left on the configured target (see Sweep), printing one line per
// action to out. It returns nil when everything is gone, a configuration error (*config.Error)
// when the target, identities or connection cannot be set up from cfg, and Sweep's error
// (wrapping ErrProblems when something could not be cleaned up) otherwise. No error shows an
// Authorization value or the emulator key.
func Run(ctx context.Context, cfg config.Config, runID, journalPath string, out io.Writer) error {
	if cfg.Target == "" {
		return config.Errorf("target (--target) is required: the base URL of the MPSD the run used")
	}
	r, err := config.Resolve(cfg)
	if err != nil {
		return err
	}
	creds, err := r.Credentials("", func(msg string) { fmt.Fprintf(out, "warning: %s\n", msg) })
	if err != nil {
		return err
	}
	ids, err := identities(r, creds)
	if err != nil {
		return err
	}
	client, err := r.NewClient(r.Target, creds.Redactor())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout.D())
	defer cancel()
	learnXUIDs(ctx, ids, out, client.Redactor().String)
	if _, err := Sweep(ctx, client, ids, r.TestWorld, runID, journalPath, out); err != nil {
		return client.Redactor().Error(err)
	}
	return nil
}

// learnXUIDs signs in the users configured without a XUID (their sign-in says it), so that
// discovery can query their handles. One that cannot sign in is said so, and is left out of
// discovery; its journal entries still count as problems if they cannot be undone.
func learnXUIDs(ctx context.Context, ids *identity.Store, out io.Writer, redact func(string) string) {
	for _, name := range ids.Names() {
		id, _ := ids.Get(name)
		if id.Server || id.XUID != "" {
			continue
		}
		if _, err := id.Credential().Authorization(ctx); err != nil {
			fmt.Fprintf(out, "cannot sign %s in to find its handles: %s\n", name, redact(err.Error()))
			continue
		}
		if tok := id.Credential().Token(); tok.XUID != "" {
			ids.SetXUID(name, tok.XUID, tok.Gamertag)
		}
	}
}

// identities returns every identity a run may have acted as: the configured or minted
// identities of process 1 under their own names, and those of processes 2..N (derived for an
// emulator, identityPools otherwise) qualified as name@N, as the journal records them. Its
// errors are *config.Error.
func identities(r config.Resolved, creds *config.Credentials) (*identity.Store, error) {
	processes := len(r.IdentityPools) + 1
	if r.EmulatorTokenKey != "" {
		processes = config.MaxProcs
	}
	r.SpecShard = config.Shard{} // every set, whichever shard used it
	sets, err := r.ProcessWorlds(processes)
	if err != nil {
		return nil, err
	}
	stores := make([]*identity.Store, len(sets))
	for k, set := range sets {
		if stores[k], err = creds.Store(set, nil); err != nil {
			return nil, err
		}
	}
	store, err := identity.Merge(creds.Redactor(), stores, func(k int, name string) string { return journal.Qualify(name, k+1) })
	return store, config.NewError(err)
}
