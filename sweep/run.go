package sweep

import (
	"context"
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
	ids, err := identities(r)
	if err != nil {
		return err
	}
	client, err := r.NewClient(r.Target, ids)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout.D())
	defer cancel()
	if _, err := Sweep(ctx, client, ids, r.TestWorld, runID, journalPath, out); err != nil {
		return &redactedError{msg: client.Redactor().String(err.Error()), err: err}
	}
	return nil
}

// redactedError shows an error's message with the secrets redacted, and still unwraps to it.
type redactedError struct {
	msg string
	err error
}

// Error returns the redacted message.
func (e *redactedError) Error() string { return e.msg }

// Unwrap returns the original error.
func (e *redactedError) Unwrap() error { return e.err }

// identities returns every identity a run may have acted as: the configured or minted
// identities of process 1 under their own names, and those of processes 2..N (derived for an
// emulator, identityPools otherwise) qualified as name@N, as the journal records them. Its
// errors are *config.Error.
func identities(r config.Resolved) (*identity.Store, error) {
	processes := len(r.IdentityPools) + 1
	if r.EmulatorTokenKey != "" {
		processes = config.MaxProcs
	}
	worlds, err := r.ProcessWorlds(processes)
	if err != nil {
		return nil, err
	}
	var all []identity.Identity
	for k, w := range worlds {
		ids, err := r.TargetIdentities(w)
		if err != nil {
			return nil, config.Errorf("process %d: %w", k+1, err)
		}
		for _, name := range ids.Names() {
			id, _ := ids.Get(name)
			q := identity.New(journal.Qualify(name, k+1), id.XUID, id.TitleID, id.Server, id.Authorization())
			q.Gamertag = id.Gamertag
			all = append(all, q)
		}
	}
	store, err := identity.NewStore(all...)
	return store, config.NewError(err)
}
